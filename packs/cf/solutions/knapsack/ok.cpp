// best[c] = largest value within weight c; capacities downwards so each item is used once.
#include <algorithm>
#include <cstdio>
#include <vector>
int main() {
  int n, capacity;
  std::scanf("%d %d", &n, &capacity);
  std::vector<long long> best(capacity + 1, 0);
  for (int i = 0; i < n; ++i) {
    int w;
    long long v;
    std::scanf("%d %lld", &w, &v);
    for (int c = capacity; c >= w; --c) best[c] = std::max(best[c], best[c - w] + v);
  }
  std::printf("%lld\n", best[capacity]);
}
