// Only looks at segments of length exactly k.
#include <algorithm>
#include <cstdio>
#include <vector>
int main() {
  int n, k;
  std::scanf("%d %d", &n, &k);
  std::vector<long long> prefix(n + 1, 0);
  for (int i = 0; i < n; ++i) { long long x; std::scanf("%lld", &x); prefix[i + 1] = prefix[i] + x; }
  long long best = 0;
  for (int r = k; r <= n; ++r) best = std::max(best, prefix[r] - prefix[r - k]);
  std::printf("%.9f\n", double(best) / k);
}
