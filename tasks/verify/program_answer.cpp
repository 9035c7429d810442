#include "tasks/verify/program_answer.h"

#include "sandbox/code_problem.h"
#include "sandbox/judge.h"
#include "sandbox/patch_judge.h"

namespace r1b::tasks::verifier {
namespace {

namespace sb = r1b::sandbox;

// One judge per process: its worker pool spans the machine's cores and its compile cache is
// shared, so concurrent verify() calls queue their tests on the same bounded pool.
sb::Judge& shared_judge() {
  static sb::Judge judge;
  return judge;
}

Verdict verdict_of(sb::Verdict verdict) {
  switch (verdict) {
    case sb::Verdict::kAccepted: return Verdict::kCorrect;
    case sb::Verdict::kWrongAnswer: return Verdict::kWrong;
    case sb::Verdict::kCompileError: return Verdict::kCompileError;
    case sb::Verdict::kRuntimeError:
    case sb::Verdict::kOutputLimit: return Verdict::kRuntimeError;
    case sb::Verdict::kTimeLimit: return Verdict::kTimeout;
    case sb::Verdict::kMemoryLimit: return Verdict::kMemoryLimit;
    case sb::Verdict::kSandboxError: return Verdict::kJudgeError;
  }
  return Verdict::kJudgeError;
}

VerifyResult judge_error(std::string reason) {
  VerifyResult result;
  result.verdict = Verdict::kJudgeError;
  result.reason = std::move(reason);
  return result;
}

}  // namespace

VerifyResult grade_code(const Task& task, std::string_view completion) {
  auto problem = sb::parse_code_problem(task.tests);
  if (!problem.is_ok()) return judge_error("task " + task.id + ": " + problem.status().message());
  const sb::JudgeResult judged = shared_judge().judge(*problem, completion);
  VerifyResult result;
  result.verdict = verdict_of(judged.verdict);
  result.reward = result.verdict == Verdict::kCorrect ? 1.0 : 0.0;
  result.extracted = judged.language;
  result.reason = judged.verdict == sb::Verdict::kOutputLimit ? "output limit: " + judged.reason : judged.reason;
  if (result.verdict == Verdict::kCorrect && result.reason.empty()) {
    result.reason = "passed " + std::to_string(judged.tests.size()) + " tests";
  }
  result.details["judge"] = std::string(sb::verdict_name(judged.verdict));
  result.details["language"] = judged.language;
  result.details["failed_test"] = judged.failed_test;
  result.details["tests"] = judged.tests.size();
  result.details["max_cpu_ms"] = judged.max_cpu_ms;
  result.details["max_wall_ms"] = judged.max_wall_ms;
  result.details["max_peak_memory_bytes"] = judged.max_peak_memory_bytes;
  result.details["compile_ms"] = judged.compile_ms;
  result.details["time_limit_ms"] = problem->time_limit_ms;
  result.details["memory_limit_mb"] = problem->memory_limit_mb;
  return result;
}

VerifyResult grade_patch(const Task& task, std::string_view completion) {
  auto problem = sb::parse_patch_problem(task.tests);
  if (!problem.is_ok()) return judge_error("task " + task.id + ": " + problem.status().message());
  const sb::PatchJudgeResult judged = sb::judge_patch(*problem, completion);
  VerifyResult result;
  switch (judged.outcome) {
    case sb::PatchOutcome::kResolved: result.verdict = Verdict::kCorrect; break;
    case sb::PatchOutcome::kNotResolved:
    case sb::PatchOutcome::kNoDiff:
    case sb::PatchOutcome::kNotApplied: result.verdict = Verdict::kWrong; break;
    case sb::PatchOutcome::kTimeLimit: result.verdict = Verdict::kTimeout; break;
    case sb::PatchOutcome::kJudgeError: result.verdict = Verdict::kJudgeError; break;
  }
  result.reward = result.verdict == Verdict::kCorrect ? 1.0 : 0.0;
  result.extracted = std::string(sb::patch_outcome_name(judged.outcome));
  result.reason = judged.reason;
  nlohmann::json tests = nlohmann::json::object();
  for (const auto& [id, status] : judged.report.tests) tests[id] = std::string(sb::test_status_name(status));
  result.details["outcome"] = std::string(sb::patch_outcome_name(judged.outcome));
  result.details["tests"] = std::move(tests);
  result.details["wall_ms"] = judged.wall_ms;
  result.details["peak_memory_bytes"] = judged.peak_memory_bytes;
  return result;
}

}  // namespace r1b::tasks::verifier
