// Sorts every window: O((n - k + 1) k log k).
#include <algorithm>
#include <cstdio>
#include <vector>
int main() {
  int n, k;
  std::scanf("%d %d", &n, &k);
  std::vector<int> a(n);
  for (auto& v : a) std::scanf("%d", &v);
  for (int i = 0; i + k <= n; ++i) {
    std::vector<int> window(a.begin() + i, a.begin() + i + k);
    std::sort(window.begin(), window.end());
    int distinct = std::unique(window.begin(), window.end()) - window.begin();
    std::printf("%d%c", distinct, i + k == n ? '\n' : ' ');
  }
}
