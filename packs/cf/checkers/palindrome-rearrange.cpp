// Checker of "palindrome-rearrange": any palindrome that is an anagram of s; NO only when the jury says so.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 4) { std::cout << "usage: checker input output answer\n"; return 3; }
  std::ifstream input(argv[1]), output(argv[2]), answer(argv[3]);
  std::string s, jury, got, extra;
  if (!(input >> s) || !(answer >> jury)) { std::cout << "cannot read input or answer\n"; return 3; }
  if (!(output >> got)) { std::cout << "empty output\n"; return 2; }
  if (output >> extra) { std::cout << "extra output after the answer\n"; return 2; }
  if (got == "NO") {
    if (jury == "NO") return 0;
    std::cout << "answered NO but a palindrome exists\n";
    return 1;
  }
  std::string sorted_s = s, sorted_got = got;
  std::sort(sorted_s.begin(), sorted_s.end());
  std::sort(sorted_got.begin(), sorted_got.end());
  if (sorted_s != sorted_got) { std::cout << "not a rearrangement of s\n"; return 1; }
  if (!std::equal(got.begin(), got.end(), got.rbegin())) { std::cout << "not a palindrome\n"; return 1; }
  if (jury == "NO") { std::cout << "found a palindrome the jury did not: judge error\n"; return 3; }
  return 0;
}
