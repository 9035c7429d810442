// Quadratic DP: best[i] = 1 + max best[j] over j < i with a[j] < a[i].
#include <algorithm>
#include <cstdio>
#include <vector>
int main() {
  int n;
  std::scanf("%d", &n);
  std::vector<int> a(n), best(n, 1);
  for (auto& v : a) std::scanf("%d", &v);
  int answer = 0;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < i; ++j)
      if (a[j] < a[i] && best[j] + 1 > best[i]) best[i] = best[j] + 1;
    answer = std::max(answer, best[i]);
  }
  std::printf("%d\n", answer);
}
