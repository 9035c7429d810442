// Counts values in an array sized for small values: values up to 10^9 fall outside it.
#include <cstdio>
#include <vector>
int main() {
  int n, k;
  std::scanf("%d %d", &n, &k);
  std::vector<int> a(n), count(100001, 0);
  for (auto& v : a) std::scanf("%d", &v);
  int distinct = 0;
  for (int i = 0; i < n; ++i) {
    if (count.at(a[i])++ == 0) ++distinct;
    if (i >= k && --count.at(a[i - k]) == 0) --distinct;
    if (i >= k - 1) std::printf("%d%c", distinct, i + 1 == n ? '\n' : ' ');
  }
}
