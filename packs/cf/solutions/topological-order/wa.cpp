// Reverse DFS post-order without checking for cycles: prints an "order" even when none exists.
#include <algorithm>
#include <cstdio>
#include <vector>
int main() {
  int n, m;
  std::scanf("%d %d", &n, &m);
  std::vector<std::vector<int>> out(n + 1);
  for (int i = 0; i < m; ++i) {
    int u, v;
    std::scanf("%d %d", &u, &v);
    out[u].push_back(v);
  }
  std::vector<int> order, state(n + 1, 0), next(n + 1, 0), stack;
  for (int s = 1; s <= n; ++s) {
    if (state[s]) continue;
    stack.push_back(s);
    state[s] = 1;
    while (!stack.empty()) {
      int u = stack.back();
      if (next[u] < static_cast<int>(out[u].size())) {
        int v = out[u][next[u]++];
        if (!state[v]) { state[v] = 1; stack.push_back(v); }
      } else {
        order.push_back(u);
        stack.pop_back();
      }
    }
  }
  std::reverse(order.begin(), order.end());
  for (int i = 0; i < n; ++i) std::printf("%d%c", order[i], i + 1 == n ? '\n' : ' ');
}
