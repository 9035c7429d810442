#include <cstdio>
#include <unordered_map>
#include <vector>
int main() {
  int n, k;
  std::scanf("%d %d", &n, &k);
  std::vector<int> a(n);
  for (auto& v : a) std::scanf("%d", &v);
  std::unordered_map<int, int> count;
  std::vector<int> answer;
  for (int i = 0; i < n; ++i) {
    ++count[a[i]];
    if (i >= k && --count[a[i - k]] == 0) count.erase(a[i - k]);
    if (i >= k - 1) answer.push_back(count.size());
  }
  for (size_t i = 0; i < answer.size(); ++i) std::printf("%d%c", answer[i], i + 1 == answer.size() ? '\n' : ' ');
}
