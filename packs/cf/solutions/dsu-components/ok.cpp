#include <cstdio>
#include <numeric>
#include <vector>
std::vector<int> parent;
int find(int v) {
  while (parent[v] != v) v = parent[v] = parent[parent[v]];
  return v;
}
int main() {
  int n, m;
  std::scanf("%d %d", &n, &m);
  parent.resize(n + 1);
  std::iota(parent.begin(), parent.end(), 0);
  int components = n;
  for (int j = 0; j < m; ++j) {
    int u, v;
    std::scanf("%d %d", &u, &v);
    u = find(u), v = find(v);
    if (u != v) parent[u] = v, --components;
    std::printf("%d%c", components, j + 1 == m ? '\n' : ' ');
  }
}
