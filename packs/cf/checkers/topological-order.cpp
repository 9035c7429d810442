// Checker of "topological-order": any order of all tasks that respects every requirement;
// -1 only when the jury says so.
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 4) { std::cout << "usage: checker input output answer\n"; return 3; }
  std::ifstream input(argv[1]), output(argv[2]), answer(argv[3]);
  long long n = 0, m = 0, jury_first = 0;
  if (!(input >> n >> m) || !(answer >> jury_first)) { std::cout << "cannot read input or answer\n"; return 3; }
  std::vector<std::pair<long long, long long>> edges(m);
  for (auto& [u, v] : edges) input >> u >> v;
  std::vector<long long> got;
  std::string token;
  while (output >> token) {
    try {
      size_t used = 0;
      got.push_back(std::stoll(token, &used));
      if (used != token.size()) throw 0;
    } catch (...) { std::cout << "not an integer: " << token << "\n"; return 2; }
  }
  const bool jury_none = jury_first == -1 && n > 1;
  if (got.size() == 1 && got[0] == -1 && n > 1) {
    if (jury_none) return 0;
    std::cout << "answered -1 but an order exists\n";
    return 1;
  }
  if (static_cast<long long>(got.size()) != n) { std::cout << "expected " << n << " tasks\n"; return 1; }
  std::vector<long long> position(n + 1, -1);
  for (long long i = 0; i < n; ++i) {
    if (got[i] < 1 || got[i] > n || position[got[i]] != -1) { std::cout << "not a permutation\n"; return 1; }
    position[got[i]] = i;
  }
  for (auto [u, v] : edges)
    if (position[u] > position[v]) { std::cout << u << " must come before " << v << "\n"; return 1; }
  if (jury_none) { std::cout << "found an order the jury did not: judge error\n"; return 3; }
  return 0;
}
