// Never erases values whose count dropped to zero, so they are still counted.
#include <cstdio>
#include <unordered_map>
#include <vector>
int main() {
  int n, k;
  std::scanf("%d %d", &n, &k);
  std::vector<int> a(n);
  for (auto& v : a) std::scanf("%d", &v);
  std::unordered_map<int, int> count;
  for (int i = 0; i < n; ++i) {
    ++count[a[i]];
    if (i >= k) --count[a[i - k]];
    if (i >= k - 1) std::printf("%zu%c", count.size(), i + 1 == n ? '\n' : ' ');
  }
}
