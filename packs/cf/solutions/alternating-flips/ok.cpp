#include <algorithm>
#include <iostream>
#include <string>
int main() {
  std::string s;
  std::cin >> s;
  long long zero_first = 0;
  for (size_t i = 0; i < s.size(); ++i) zero_first += s[i] != "01"[i % 2];
  std::cout << std::min<long long>(zero_first, s.size() - zero_first) << "\n";
}
