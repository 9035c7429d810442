// Multiplies b times.
#include <cstdio>
int main() {
  int t;
  std::scanf("%d", &t);
  while (t--) {
    unsigned long long a, b, m;
    std::scanf("%llu %llu %llu", &a, &b, &m);
    unsigned long long result = 1 % m;
    a %= m;
    for (unsigned long long i = 0; i < b; ++i) result = result * a % m;
    std::printf("%llu\n", result);
  }
}
