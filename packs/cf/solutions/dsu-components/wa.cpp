// Decrements for every road between different cities, even when they are already connected.
#include <cstdio>
#include <numeric>
#include <vector>
std::vector<int> parent;
int find(int v) { return parent[v] == v ? v : parent[v] = find(parent[v]); }
int main() {
  int n, m;
  std::scanf("%d %d", &n, &m);
  parent.resize(n + 1);
  std::iota(parent.begin(), parent.end(), 0);
  int components = n;
  for (int j = 0; j < m; ++j) {
    int u, v;
    std::scanf("%d %d", &u, &v);
    if (u != v) parent[find(u)] = find(v), --components;
    std::printf("%d%c", components, j + 1 == m ? '\n' : ' ');
  }
}
