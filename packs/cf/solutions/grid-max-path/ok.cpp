#include <algorithm>
#include <climits>
#include <cstdio>
#include <vector>
int main() {
  int n, m;
  std::scanf("%d %d", &n, &m);
  std::vector<long long> best(m, LLONG_MIN);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < m; ++j) {
      long long a;
      std::scanf("%lld", &a);
      long long before = (i == 0 && j == 0) ? 0 : std::max(best[j], j ? best[j - 1] : LLONG_MIN);
      best[j] = before + a;
    }
  std::printf("%lld\n", best[m - 1]);
}
