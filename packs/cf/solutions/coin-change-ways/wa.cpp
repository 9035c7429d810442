// Loops over sums outside and coins inside: counts ordered sequences, not multisets.
#include <cstdio>
#include <vector>
int main() {
  const long long kMod = 1000000007;
  int n, x;
  std::scanf("%d %d", &n, &x);
  std::vector<int> coins(n);
  for (auto& c : coins) std::scanf("%d", &c);
  std::vector<long long> ways(x + 1, 0);
  ways[0] = 1;
  for (int s = 1; s <= x; ++s)
    for (int c : coins)
      if (c <= s) ways[s] = (ways[s] + ways[s - c]) % kMod;
  std::printf("%lld\n", ways[x]);
}
