// Binary search on the average t: some segment of length >= k has average >= t iff
// max over r of (P[r] - r t) - min over l <= r - k of (P[l] - l t) >= 0.
#include <algorithm>
#include <cstdio>
#include <vector>
int main() {
  int n, k;
  std::scanf("%d %d", &n, &k);
  std::vector<double> a(n);
  for (auto& v : a) { int x; std::scanf("%d", &x); v = x; }
  double low = 0, high = 1e6;
  std::vector<double> prefix(n + 1);
  for (int iteration = 0; iteration < 60; ++iteration) {
    const double mid = (low + high) / 2;
    prefix[0] = 0;
    for (int i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + a[i] - mid;
    double smallest = 1e300;
    bool reachable = false;
    for (int r = k; r <= n && !reachable; ++r) {
      smallest = std::min(smallest, prefix[r - k]);
      reachable = prefix[r] - smallest >= 0;
    }
    (reachable ? low : high) = mid;
  }
  std::printf("%.9f\n", low);
}
