#include <cstdio>
#include <unordered_map>
int main() {
  int n;
  long long x;
  std::scanf("%d %lld", &n, &x);
  std::unordered_map<long long, int> seen;
  seen.reserve(2 * n);
  for (int j = 1; j <= n; ++j) {
    long long a;
    std::scanf("%lld", &a);
    auto it = seen.find(x - a);
    if (it != seen.end()) { std::printf("%d %d\n", it->second, j); return 0; }
    seen.emplace(a, j);
  }
  std::puts("-1");
}
