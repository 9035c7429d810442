// verify(): the one reward function. The harness grades with it and GRPO training computes its
// reward with it, so an evaluation score and a training reward can never disagree.
//
// Contract: a pure function of (task, completion, options) plus the sandbox for code and patch
// tasks. Deterministic, thread-safe, time-bounded; never throws and never aborts on model output:
// a malformed completion is kWrong with a reason. A failure of the grader itself (a gold answer
// it cannot read, a sandbox that cannot start) is kJudgeError: never scored as wrong, counted
// separately, and re-gradable. No signals or timers: every step is bounded by size limits
// (tasks/verify/README.md). Symbolic comparisons (GiNaC, not thread-safe) take one internal
// process-wide mutex; the exact and floating-point paths that settle most answers do not.
// Rules for each kind: math integers integer_answer.h, math expressions expression_answer.h,
// choices choice_answer.h, answer extraction extract.h (all in tasks/verify/).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "tasks/task.h"

namespace r1b::tasks {

// The closed set of verdicts (STYLE.md rule 13).
enum class Verdict { kCorrect, kWrong, kCompileError, kRuntimeError, kTimeout, kMemoryLimit, kJudgeError };

std::string_view verdict_name(Verdict verdict);
std::optional<Verdict> parse_verdict(std::string_view name);

struct VerifyResult {
  Verdict verdict = Verdict::kWrong;
  double reward = 0.0;             // 1.0 for correct, 0.0 otherwise (partial credit reserved)
  std::string extracted;           // the answer read from the completion ("" when none)
  std::string reason;              // why: where the answer came from, or why it is wrong
  nlohmann::json details = nlohmann::json::object();  // limits hit, resources used (code/patch)
  bool correct() const { return verdict == Verdict::kCorrect; }
};

struct VerifyOptions {
  bool answer_after_think = true;  // when the completion has </think>, read the answer after it
  bool last_number_fallback = true;  // math: use the last number when no final answer is marked
  // Per-sample style measures in VerifyResult::details (they never change the verdict):
  //   "format":     {"ok", "reason"}                 R1-Zero format (format_reward.h)
  //   "repetition": {"looping", "repeated_share", "tail_repeated_share"}   (repetition.h)
  //   "language":   {"target", "share", "mixed", "words"}  reasoning vs the prompt (language_mix.h)
  bool report_style = true;
  bool think_opened_by_prompt = true;  // the R1 chat template ends the prompt with "<think>\n"
};

VerifyResult verify(const Task& task, std::string_view completion, const VerifyOptions& options = {});

// Whether two extracted answers are the same answer to `task` under the verifier's own
// equivalence (used to group votes for cons@k, so "1/2" and "0.5" vote together).
// Empty answers are never equal to anything. Thread-safe.
bool same_answer(const Task& task, std::string_view a, std::string_view b);

// Version of the grading rules; stored with every run. Bump it whenever a verdict can change.
std::string_view verifier_version();

}  // namespace r1b::tasks
