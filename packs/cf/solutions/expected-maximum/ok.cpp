// E[max] = sum_k k * ((k/m)^n - ((k-1)/m)^n), powers of ratios <= 1 so nothing overflows.
#include <cmath>
#include <cstdio>
int main() {
  int m, n;
  std::scanf("%d %d", &m, &n);
  double expected = 0;
  for (int k = 1; k <= m; ++k)
    expected += k * (std::pow(double(k) / m, n) - std::pow(double(k - 1) / m, n));
  std::printf("%.9f\n", expected);
}
