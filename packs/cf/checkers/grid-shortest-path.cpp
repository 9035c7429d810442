// Checker of "grid-shortest-path": the route must be valid, end at T and be as short as the jury's.
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 4) { std::cout << "usage: checker input output answer\n"; return 3; }
  std::ifstream input(argv[1]), output(argv[2]), answer(argv[3]);
  int n = 0, m = 0;
  long long jury_k = 0;
  if (!(input >> n >> m) || !(answer >> jury_k)) { std::cout << "cannot read input or answer\n"; return 3; }
  std::vector<std::string> grid(n);
  int r = 0, c = 0;
  for (int i = 0; i < n; ++i) {
    input >> grid[i];
    for (int j = 0; j < m; ++j)
      if (grid[i][j] == 'S') r = i, c = j;
  }
  std::string token;
  if (!(output >> token)) { std::cout << "empty output\n"; return 2; }
  long long k = 0;
  try {
    size_t used = 0;
    k = std::stoll(token, &used);
    if (used != token.size()) throw 0;
  } catch (...) { std::cout << "the first token is not an integer\n"; return 2; }
  if (k != jury_k) { std::cout << "expected " << jury_k << " moves, got " << k << "\n"; return 1; }
  if (k == -1) return 0;
  std::string route;
  if (k > 0 && !(output >> route)) { std::cout << "missing route\n"; return 2; }
  if (static_cast<long long>(route.size()) != k) { std::cout << "route length differs from k\n"; return 1; }
  for (char move : route) {
    if (move == 'U') --r; else if (move == 'D') ++r; else if (move == 'L') --c; else if (move == 'R') ++c;
    else { std::cout << "bad move " << move << "\n"; return 1; }
    if (r < 0 || r >= n || c < 0 || c >= m || grid[r][c] == '#') { std::cout << "route hits a wall or leaves\n"; return 1; }
  }
  if (grid[r][c] != 'T') { std::cout << "route does not end at T\n"; return 1; }
  return 0;
}
