#include <algorithm>
#include <iostream>
#include <queue>
#include <string>
#include <vector>
int main() {
  int n, m;
  std::cin >> n >> m;
  std::vector<std::string> g(n);
  int sr = 0, sc = 0, tr = 0, tc = 0;
  for (int i = 0; i < n; ++i) {
    std::cin >> g[i];
    for (int j = 0; j < m; ++j) {
      if (g[i][j] == 'S') sr = i, sc = j;
      if (g[i][j] == 'T') tr = i, tc = j;
    }
  }
  const int dr[4] = {-1, 1, 0, 0}, dc[4] = {0, 0, -1, 1};
  const char name[4] = {'U', 'D', 'L', 'R'};
  std::vector<std::vector<int>> how(n, std::vector<int>(m, -1));
  std::queue<std::pair<int, int>> q;
  q.push({sr, sc});
  how[sr][sc] = 4;
  while (!q.empty()) {
    auto [r, c] = q.front();
    q.pop();
    for (int d = 0; d < 4; ++d) {
      int nr = r + dr[d], nc = c + dc[d];
      if (nr < 0 || nr >= n || nc < 0 || nc >= m || g[nr][nc] == '#' || how[nr][nc] != -1) continue;
      how[nr][nc] = d;
      q.push({nr, nc});
    }
  }
  if (how[tr][tc] == -1) { std::cout << -1 << "\n"; return 0; }
  std::string route;
  for (int r = tr, c = tc; how[r][c] != 4;) {
    int d = how[r][c];
    route += name[d];
    r -= dr[d], c -= dc[d];
  }
  std::reverse(route.begin(), route.end());
  std::cout << route.size() << "\n" << route << "\n";
}
