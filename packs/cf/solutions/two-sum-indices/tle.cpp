// Checks every pair: O(n^2).
#include <cstdio>
#include <vector>
int main() {
  int n;
  long long x;
  std::scanf("%d %lld", &n, &x);
  std::vector<long long> a(n);
  for (auto& v : a) std::scanf("%lld", &v);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      if (a[i] + a[j] == x) { std::printf("%d %d\n", i + 1, j + 1); return 0; }
  std::puts("-1");
}
