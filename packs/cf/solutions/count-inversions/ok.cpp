// Fenwick tree over compressed values.
#include <algorithm>
#include <cstdio>
#include <vector>
int main() {
  int n;
  std::scanf("%d", &n);
  std::vector<int> a(n);
  for (auto& v : a) std::scanf("%d", &v);
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<int> tree(sorted.size() + 1, 0);
  long long inversions = 0;
  for (int i = 0; i < n; ++i) {
    int rank = std::lower_bound(sorted.begin(), sorted.end(), a[i]) - sorted.begin() + 1;
    int not_greater = 0;
    for (int x = rank; x > 0; x -= x & -x) not_greater += tree[x];
    inversions += i - not_greater;
    for (int x = rank; x <= static_cast<int>(sorted.size()); x += x & -x) ++tree[x];
  }
  std::printf("%lld\n", inversions);
}
