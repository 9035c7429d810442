#include <cstdio>
#include <cstdlib>
int main() {
  long long x1, y1, x2, y2, x3, y3;
  std::scanf("%lld %lld %lld %lld %lld %lld", &x1, &y1, &x2, &y2, &x3, &y3);
  long long cross = std::llabs((x2 - x1) * (y3 - y1) - (x3 - x1) * (y2 - y1));
  std::printf("%lld.%d\n", cross / 2, cross % 2 ? 5 : 0);
}
