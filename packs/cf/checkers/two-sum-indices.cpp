// Checker of "two-sum-indices": any pair i != j with a_i + a_j = x; -1 only when the jury has none.
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 4) { std::cout << "usage: checker input output answer\n"; return 3; }
  std::ifstream input(argv[1]), output(argv[2]), answer(argv[3]);
  long long n = 0, x = 0, jury_first = 0;
  if (!(input >> n >> x) || !(answer >> jury_first)) { std::cout << "cannot read input or answer\n"; return 3; }
  std::vector<long long> a(n);
  for (long long& v : a) input >> v;
  std::vector<long long> got;
  std::string token;
  while (output >> token) {
    try {
      size_t used = 0;
      got.push_back(std::stoll(token, &used));
      if (used != token.size()) throw 0;
    } catch (...) { std::cout << "not an integer: " << token << "\n"; return 2; }
  }
  const bool jury_none = jury_first == -1;
  if (got.size() == 1 && got[0] == -1) {
    if (jury_none) return 0;
    std::cout << "answered -1 but a pair exists\n";
    return 1;
  }
  if (got.size() != 2) { std::cout << "expected two indices or -1\n"; return 1; }
  const long long i = got[0], j = got[1];
  if (i < 1 || i > n || j < 1 || j > n || i == j) { std::cout << "bad indices " << i << " " << j << "\n"; return 1; }
  if (a[i - 1] + a[j - 1] != x) { std::cout << "a_i + a_j != x\n"; return 1; }
  if (jury_none) { std::cout << "found a pair the jury did not: judge error\n"; return 3; }
  return 0;
}
