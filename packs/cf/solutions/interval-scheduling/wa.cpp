// Earliest start first: a long early talk blocks many short ones.
#include <algorithm>
#include <cstdio>
#include <vector>
int main() {
  int n;
  std::scanf("%d", &n);
  std::vector<std::pair<int, int>> talks(n);  // (start, end)
  for (auto& [l, r] : talks) std::scanf("%d %d", &l, &r);
  std::sort(talks.begin(), talks.end());
  int count = 0, free_from = 0;
  for (auto [l, r] : talks)
    if (l >= free_from) ++count, free_from = r;
  std::printf("%d\n", count);
}
