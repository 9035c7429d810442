#include <cstdio>
int main() {
  int t;
  std::scanf("%d", &t);
  while (t--) {
    unsigned long long a, b, m;
    std::scanf("%llu %llu %llu", &a, &b, &m);
    unsigned long long result = 1 % m, base = a % m;
    for (; b; b >>= 1, base = base * base % m)
      if (b & 1) result = result * base % m;
    std::printf("%llu\n", result);
  }
}
