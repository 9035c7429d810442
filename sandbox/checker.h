// Built-in output checkers: exact, tokens, float. (Checker programs, the testlib contract, are
// run by the judge: judge.h.) Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace r1b::sandbox {

struct CheckResult {
  bool accepted = false;
  std::string reason;  // why not accepted: the first difference, quoted and capped
};

// Byte-exact after removing trailing whitespace (space, tab, CR) at the end of every line and
// trailing empty lines. The reason names the first differing line (1-based).
CheckResult check_exact(std::string_view expected, std::string_view actual);

// Whitespace-separated tokens equal, in order and count.
CheckResult check_tokens(std::string_view expected, std::string_view actual);

// Tokens in order and count; where the expected token is a number (strtod syntax, including
// inf and nan) the actual one must be a number within abs_tolerance OR within
// rel_tolerance * |expected|; other tokens must be equal. nan matches only nan, an infinity
// only the same infinity; -0 equals 0. Tolerances must be >= 0.
CheckResult check_float(std::string_view expected, std::string_view actual, double abs_tolerance,
                        double rel_tolerance);

}  // namespace r1b::sandbox
