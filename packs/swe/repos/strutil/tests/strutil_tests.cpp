// One executable, one test per name: `strutil_tests <test-name>` (ctest runs each).
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "strutil/strutil.h"

namespace {

int failures = 0;

#define EXPECT(cond)                                                             \
  do {                                                                           \
    if (!(cond)) {                                                               \
      std::printf("%s:%d: expectation failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                                \
    }                                                                            \
  } while (0)

using Fields = std::vector<std::string>;

const std::map<std::string, std::function<void()>> kTests = {
    {"trim_both_ends", [] { EXPECT(strutil::trim("  a b \t\n") == "a b"); }},
    {"trim_all_whitespace", [] { EXPECT(strutil::trim(" \t ").empty()); }},
    {"split_simple", [] { EXPECT((strutil::split("a,b,c", ',') == Fields{"a", "b", "c"})); }},
    {"split_single_field",
     [] {
       EXPECT((strutil::split("abc", ',') == Fields{"abc"}));
       EXPECT((strutil::split("", ',') == Fields{""}));
     }},
    {"join_round_trip",
     [] {
       EXPECT(strutil::join({"x", "y", "z"}, ':') == "x:y:z");
       EXPECT(strutil::join(strutil::split("usr:bin:local", ':'), ':') == "usr:bin:local");
     }},
    {"starts_ends_with",
     [] {
       EXPECT(strutil::starts_with("release-1.2", "release-"));
       EXPECT(!strutil::starts_with("rel", "release-"));
       EXPECT(strutil::ends_with("archive.tar.gz", ".gz"));
     }},
    {"split_keeps_empty_fields",
     [] {
       EXPECT((strutil::split("a,,b", ',') == Fields{"a", "", "b"}));
       EXPECT((strutil::split(",a", ',') == Fields{"", "a"}));
     }},
    {"split_keeps_trailing_empty_field",
     [] {
       EXPECT((strutil::split("a,", ',') == Fields{"a", ""}));
       EXPECT(strutil::join(strutil::split("a,b,", ','), ',') == "a,b,");
     }},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || kTests.find(argv[1]) == kTests.end()) {
    std::fprintf(stderr, "usage: strutil_tests <test-name>\n");
    return 2;
  }
  kTests.at(argv[1])();
  return failures == 0 ? 0 : 1;
}
