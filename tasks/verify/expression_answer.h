// Math answers in any LaTeX/plain form (MATH-500): reading an answer and the expression grader.
//
// Contract (private to tasks/verify/): pure, thread-safe, never throws, bounded in time and memory
// (answer_normalize.h, math_parser.h, structure_compare.h). A gold that cannot be read is
// kJudgeError, never kCorrect.
//
// Two answers are the same when: both are text answers with the same normalized text; or both
// parse and their trees are equivalent (structure_compare.h); or one carries a percent sign or a
// degree mark the other lacks and the value matches with the mark dropped (50\% = 50) or applied
// (50\% = 0.5, 30^\circ = \pi/6). An answer that does not parse is equal only to a gold with the
// same normalized text. When in doubt: not equal.
#pragma once

#include <string>
#include <string_view>

#include "tasks/verify/answer_normalize.h"
#include "tasks/verify/math_ast.h"
#include "tasks/verify/verify.h"

namespace r1b::tasks::verifier {

struct ParsedAnswer {
  NormalizedAnswer normalized;
  NodePtr tree;       // null for text answers and parse failures
  std::string error;  // why the tree is missing (parse failures only)
  bool readable() const { return !normalized.too_long && (normalized.is_text || tree != nullptr); }
};

ParsedAnswer read_answer(std::string_view raw);

bool same_parsed(const ParsedAnswer& gold, const ParsedAnswer& answer);

// Whether two answer texts are the same mathematical answer. When in doubt: false.
bool same_expression(std::string_view gold, std::string_view answer);

VerifyResult grade_expression(const Task& task, std::string_view completion, const VerifyOptions& options);

}  // namespace r1b::tasks::verifier
