// Two breadth-first searches: the farthest vertex from anywhere is an end of a diameter.
#include <algorithm>
#include <cstdio>
#include <queue>
#include <vector>
std::vector<std::vector<int>> adjacent;
std::pair<int, int> farthest(int source) {
  std::vector<int> distance(adjacent.size(), -1);
  std::queue<int> queue;
  queue.push(source);
  distance[source] = 0;
  int last = source;
  while (!queue.empty()) {
    int u = queue.front();
    queue.pop();
    last = u;
    for (int v : adjacent[u])
      if (distance[v] < 0) distance[v] = distance[u] + 1, queue.push(v);
  }
  return {last, distance[last]};
}
int main() {
  int n;
  std::scanf("%d", &n);
  adjacent.resize(n + 1);
  for (int i = 1; i < n; ++i) {
    int u, v;
    std::scanf("%d %d", &u, &v);
    adjacent[u].push_back(v);
    adjacent[v].push_back(u);
  }
  std::printf("%d\n", farthest(farthest(1).first).second);
}
