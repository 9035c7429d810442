#include "sandbox/language.h"

#include <algorithm>
#include <cctype>

namespace r1b::sandbox {
namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

const std::vector<Language>& languages() {
  static const std::vector<Language> kLanguages = {
      {"cpp", {"cpp", "c++", "cc", "cxx"}, "main.cpp",
       {"g++", "-std=c++17", "-O2", "-pipe", "-o", "prog", "main.cpp"}, "prog", {"./prog"},
       "g++ (apt-get install g++)"},
      {"python", {"python", "py", "python3"}, "main.py", {}, "main.py", {"python3", "main.py"},
       "python3 (apt-get install python3)"},
  };
  return kLanguages;
}

const Language* find_language(std::string_view name_or_tag) {
  for (const Language& language : languages()) {
    if (equals_ignoring_case(language.name, name_or_tag)) return &language;
    for (const std::string& tag : language.fence_tags) {
      if (equals_ignoring_case(tag, name_or_tag)) return &language;
    }
  }
  return nullptr;
}

std::string language_names() {
  std::string names;
  for (const Language& language : languages()) {
    if (!names.empty()) names += ", ";
    names += language.name;
  }
  return names;
}

}  // namespace r1b::sandbox
