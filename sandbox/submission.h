// extract_submission(): the solution inside a model completion (the code-task rule).
//
// The solution is the LAST closed fenced code block (a line opening with ``` or ~~~, closed by
// a line of at least as many of the same character) after the last "</think>", or in the
// whole completion when there is none. Its fence tag (the first word of the info string)
// picks the language (language.h: ```cpp/c++/cc -> cpp, ```python/py/python3 -> python); no
// tag -> `default_language`. An unclosed fence (a truncated completion) is not a block.
// Pure function; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace r1b::sandbox {

struct Submission {
  std::string language;  // a language name from language.h, or "" when the tag names none
  std::string fence_tag;  // the tag as written ("" when none)
  std::string source;     // the block's lines, each ending in '\n'
};

// nullopt when there is no fenced block (the judge scores that wrong: "no code block").
std::optional<Submission> extract_submission(std::string_view completion, std::string_view default_language);

}  // namespace r1b::sandbox
