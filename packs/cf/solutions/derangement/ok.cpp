#include <cstdio>
int main() {
  int n;
  std::scanf("%d", &n);
  if (n == 1) { std::puts("-1"); return 0; }
  for (int i = 1; i <= n; ++i) std::printf("%d%c", i % n + 1, i == n ? '\n' : ' ');
}
