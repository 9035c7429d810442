// Language consistency: the one measure behind the R1 language-consistency reward and the
// harness's language-mixing metric (DESIGN.md "Language mixing rate").
//
// Contract: pure functions, thread-safe (ICU break iterators are created per call), never throw;
// text beyond kMaxLanguageBytes is not read (the first kMaxLanguageBytes bytes are measured).
//
// Measure: math is removed first ($..$, \(..\), \[..\], LaTeX commands, <think> tags), so
// formulas and variable names do not count as words. The rest is split into words with ICU's
// word break iterator; each word with letters gets the script class of its letters (ICU
// uscript): Latin, Cyrillic, Greek, Arabic, Hebrew, Devanagari, Hangul, Thai, and CJK (Han, Hiragana,
// Katakana, Bopomofo together, since Japanese mixes them); other scripts by their ICU name.
// Single-letter non-CJK words (variables such as x, n, π) are skipped. The target is the script
// class with the most words in the prompt (Latin when the prompt has none).
// target_share = words in the target class / words (1.0 when there are no words); that share is
// the language-consistency reward. `mixed`: at least max(2, 1% of words) words are outside the
// target class.
// Language is approximated by script: English and French reasoning both count as Latin.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace r1b::tasks {

inline constexpr size_t kMaxLanguageBytes = 1 << 20;

struct LanguageMix {
  std::string target;                     // script class of the prompt, e.g. "Latin", "CJK"
  size_t num_words = 0;
  size_t num_target_words = 0;
  double target_share = 1.0;              // the language-consistency reward
  bool mixed = false;
  std::map<std::string, size_t> words_by_script;
};

// The script class with the most words in `text` ("" when it has no words).
std::string dominant_script(std::string_view text);

// Measures `reasoning` against the prompt's script class.
LanguageMix measure_language(std::string_view prompt, std::string_view reasoning);

}  // namespace r1b::tasks
