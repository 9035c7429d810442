// Prefix sums in int: overflow once a sum passes 2^31 - 1.
#include <cstdio>
#include <vector>
int main() {
  int n, q;
  std::scanf("%d %d", &n, &q);
  std::vector<int> prefix(n + 1, 0);
  for (int i = 1; i <= n; ++i) { int a; std::scanf("%d", &a); prefix[i] = prefix[i - 1] + a; }
  while (q--) {
    int l, r;
    std::scanf("%d %d", &l, &r);
    std::printf("%d\n", prefix[r] - prefix[l - 1]);
  }
}
