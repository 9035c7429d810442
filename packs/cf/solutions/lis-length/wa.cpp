// upper_bound: counts non-decreasing subsequences.
#include <algorithm>
#include <cstdio>
#include <vector>
int main() {
  int n;
  std::scanf("%d", &n);
  std::vector<int> tails;
  for (int i = 0; i < n; ++i) {
    int a;
    std::scanf("%d", &a);
    auto it = std::upper_bound(tails.begin(), tails.end(), a);
    if (it == tails.end()) tails.push_back(a); else *it = a;
  }
  std::printf("%zu\n", tails.size());
}
