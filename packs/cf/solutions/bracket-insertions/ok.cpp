#include <iostream>
#include <string>
int main() {
  std::string s;
  std::cin >> s;
  long long depth = 0, inserted = 0;
  for (char c : s) {
    if (c == '(') ++depth;
    else if (depth) --depth;
    else ++inserted;
  }
  std::cout << inserted + depth << "\n";
}
