// Checker of "derangement": any permutation with p_i != i is accepted; -1 only when n = 1.
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 4) { std::cout << "usage: checker input output answer\n"; return 3; }
  std::ifstream input(argv[1]), output(argv[2]), answer(argv[3]);
  long long n = 0, jury_first = 0;
  if (!(input >> n) || !(answer >> jury_first)) { std::cout << "cannot read input or answer\n"; return 3; }
  std::string token;
  std::vector<long long> p;
  while (output >> token) {
    try {
      size_t used = 0;
      p.push_back(std::stoll(token, &used));
      if (used != token.size()) throw 0;
    } catch (...) { std::cout << "not an integer: " << token << "\n"; return 2; }
  }
  if (jury_first == -1) {
    if (p.size() == 1 && p[0] == -1) return 0;
    std::cout << "no derangement exists, expected -1\n";
    return 1;
  }
  if (p.size() == 1 && p[0] == -1) { std::cout << "answered -1 but a derangement exists\n"; return 1; }
  if (static_cast<long long>(p.size()) != n) {
    std::cout << "expected " << n << " numbers, got " << p.size() << "\n";
    return 1;
  }
  std::vector<bool> seen(n + 1, false);
  for (long long i = 1; i <= n; ++i) {
    const long long v = p[i - 1];
    if (v < 1 || v > n || seen[v]) { std::cout << "not a permutation at position " << i << "\n"; return 1; }
    if (v == i) { std::cout << "fixed point at position " << i << "\n"; return 1; }
    seen[v] = true;
  }
  return 0;
}
