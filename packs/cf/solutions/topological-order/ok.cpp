// Kahn's algorithm.
#include <cstdio>
#include <vector>
int main() {
  int n, m;
  std::scanf("%d %d", &n, &m);
  std::vector<std::vector<int>> out(n + 1);
  std::vector<int> indegree(n + 1, 0);
  for (int i = 0; i < m; ++i) {
    int u, v;
    std::scanf("%d %d", &u, &v);
    out[u].push_back(v);
    ++indegree[v];
  }
  std::vector<int> order;
  for (int v = 1; v <= n; ++v)
    if (indegree[v] == 0) order.push_back(v);
  for (size_t i = 0; i < order.size(); ++i)
    for (int v : out[order[i]])
      if (--indegree[v] == 0) order.push_back(v);
  if (static_cast<int>(order.size()) != n) { std::puts("-1"); return 0; }
  for (int i = 0; i < n; ++i) std::printf("%d%c", order[i], i + 1 == n ? '\n' : ' ');
}
