#include <algorithm>
#include <iostream>
#include <string>
int main() {
  std::string s;
  std::cin >> s;
  int count[26] = {};
  for (char c : s) ++count[c - 'a'];
  std::string half, middle;
  for (int c = 0; c < 26; ++c) {
    if (count[c] % 2) middle += char('a' + c);
    half += std::string(count[c] / 2, char('a' + c));
  }
  if (middle.size() > 1) { std::cout << "NO\n"; return 0; }
  std::string back(half.rbegin(), half.rend());
  std::cout << half << middle << back << "\n";
}
