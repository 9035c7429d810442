// Earliest end first.
#include <algorithm>
#include <cstdio>
#include <vector>
int main() {
  int n;
  std::scanf("%d", &n);
  std::vector<std::pair<int, int>> talks(n);  // (end, start)
  for (auto& [r, l] : talks) std::scanf("%d %d", &l, &r);
  std::sort(talks.begin(), talks.end());
  int count = 0, free_from = 0;
  for (auto [r, l] : talks)
    if (l >= free_from) ++count, free_from = r;
  std::printf("%d\n", count);
}
