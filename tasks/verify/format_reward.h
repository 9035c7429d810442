// The R1-Zero format reward: is the completion "reasoning inside <think>...</think>, then the
// answer"?
//
// Contract: a pure function, linear in the completion, thread-safe, never throws.
// Rules (all must hold for reward 1.0, else 0.0 with the first rule broken as the reason):
//  * exactly one "</think>", and at most one "<think>", which must come first (leading whitespace
//    allowed). With think_opened_by_prompt (the R1 chat template ends the prompt with "<think>\n"),
//    the completion must not open another one;
//  * non-empty reasoning between the tags and a non-empty answer after "</think>";
//  * with require_answer_tags (the R1-Zero training template), the answer is exactly one
//    "<answer>...</answer>" block with non-empty content and nothing but whitespace around it.
#pragma once

#include <string>
#include <string_view>

namespace r1b::tasks {

struct FormatOptions {
  bool think_opened_by_prompt = false;
  bool require_answer_tags = false;
};

struct FormatCheck {
  bool ok = false;
  double reward = 0.0;  // 1.0 when ok
  std::string reason;   // "ok" or the rule broken
};

FormatCheck check_format(std::string_view completion, const FormatOptions& options = {});

}  // namespace r1b::tasks
