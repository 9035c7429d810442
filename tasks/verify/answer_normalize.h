// Text-level normalization of one answer before it is parsed (math_parser.h).
//
// Contract (private to tasks/verify/): a pure function, linear in the answer length, thread-safe,
// never throws. Answers longer than kMaxAnswerChars are not read (too_long).
//
// What it does, in order: Unicode math signs to LaTeX (− × · π √ ∞ ≤ ≥ ≠ ± ° ∪ ∈), math
// delimiters and markdown emphasis off, spacing commands (\, \! \; \quad ~) and sizing commands
// (\left \right \big \displaystyle) off, "{,}" to a thousands separator, then flags for a percent
// sign, degrees (^\circ, \degree, "degrees") and currency (\$, "dollars"), which are removed.
// Text wrappers (\text \textbf \mbox \mathrm ...) are unwrapped; a wrapped word after math is a
// unit and is dropped ("15\mbox{ cm}^2" -> "15"), a wrapped "or"/"and" separates answers. An
// answer that is only words ("\text{Evelyn}", "east") is a text answer. Plain-text units after a
// number ("5.4 cents", "10 inches") are dropped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace r1b::tasks::verifier {

inline constexpr size_t kMaxAnswerChars = 10000;

// The character math_lexer.h reads as a thousands separator (from "{,}" or "\,!").
inline constexpr char kThousandsSeparator = '\x1f';

struct NormalizedAnswer {
  std::string math;      // input for the math parser (empty for text answers)
  std::string text;      // a compact lower-case form: the text answer, and the last-resort compare
  bool is_text = false;  // only words: compared as text
  bool percent = false;
  bool degrees = false;
  bool currency = false;
  bool too_long = false;
};

NormalizedAnswer normalize_answer(std::string_view raw);

// Whether `word` (lower case ASCII) is a math name the parser knows (sin, pi, sqrt, infty, ...).
bool is_math_word(std::string_view word);

}  // namespace r1b::tasks::verifier
