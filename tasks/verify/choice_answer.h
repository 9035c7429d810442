// Multiple-choice answers (GPQA): which option letter a completion chose.
//
// Contract (private to tasks/verify/): pure, thread-safe, never throws.
// The final answer is the last answer candidate (extract.h: "Answer: C", "the answer is (C)",
// \boxed{C}, "Final Answer: C"), or, when none is marked, a last line that is only a letter
// ("(C)", "**C**"). Within that text a letter counts when it is the whole answer, in parentheses,
// boxed or bold, leads the answer ("C. 42", "c)"), or stands alone in upper case; letters inside
// words and the article "a"/"A" in prose do not. Lower case counts. Several different letters, or
// none, is no choice (the reason says which). When no letter is found, an answer whose text equals
// one option's text chooses that option.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tasks/verify/verify.h"

namespace r1b::tasks::verifier {

struct ChoiceReading {
  std::optional<char> letter;  // 'A'.. upper case, when exactly one option was chosen
  std::string answer_text;     // the final answer text that was read
  std::string reason;
};

// Reads the chosen letter from an answer text, with `num_choices` options (A..).
ChoiceReading read_choice(std::string_view answer_text, const std::vector<std::string>& choices);

// The canonical letter of an extracted answer ("c", "(C)", "\text{C}") or nullopt.
std::optional<char> canonical_letter(std::string_view text, size_t num_choices);

VerifyResult grade_choice(const Task& task, std::string_view completion, const VerifyOptions& options);

}  // namespace r1b::tasks::verifier
