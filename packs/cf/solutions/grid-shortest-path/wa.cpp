// Depth-first search: finds a route, not a shortest one.
#include <iostream>
#include <string>
#include <vector>
int n, m;
std::vector<std::string> g;
std::vector<std::vector<bool>> seen;
std::string route;
const int dr[4] = {1, 0, -1, 0}, dc[4] = {0, 1, 0, -1};
const char name[4] = {'D', 'R', 'U', 'L'};
bool dfs(int r, int c) {
  if (g[r][c] == 'T') return true;
  seen[r][c] = true;
  for (int d = 0; d < 4; ++d) {
    int nr = r + dr[d], nc = c + dc[d];
    if (nr < 0 || nr >= n || nc < 0 || nc >= m || g[nr][nc] == '#' || seen[nr][nc]) continue;
    route += name[d];
    if (dfs(nr, nc)) return true;
    route.pop_back();
  }
  return false;
}
int main() {
  std::cin >> n >> m;
  g.resize(n);
  seen.assign(n, std::vector<bool>(m, false));
  int sr = 0, sc = 0;
  for (int i = 0; i < n; ++i) {
    std::cin >> g[i];
    for (int j = 0; j < m; ++j)
      if (g[i][j] == 'S') sr = i, sc = j;
  }
  if (!dfs(sr, sc)) { std::cout << -1 << "\n"; return 0; }
  std::cout << route.size() << "\n" << route << "\n";
}
