// Every segment of length >= k through prefix sums: O(n^2).
#include <algorithm>
#include <cstdio>
#include <vector>
int main() {
  int n, k;
  std::scanf("%d %d", &n, &k);
  std::vector<long long> prefix(n + 1, 0);
  for (int i = 0; i < n; ++i) { long long x; std::scanf("%lld", &x); prefix[i + 1] = prefix[i] + x; }
  double best = 0;
  for (int l = 0; l < n; ++l)
    for (int r = l + k; r <= n; ++r) best = std::max(best, double(prefix[r] - prefix[l]) / (r - l));
  std::printf("%.9f\n", best);
}
