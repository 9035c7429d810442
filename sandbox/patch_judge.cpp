#include "sandbox/patch_judge.h"

#include <algorithm>

#include "sandbox/sandbox.h"

namespace r1b::sandbox {
namespace {

constexpr int64_t kCommandOutputBytes = 16ll << 20;

// The last `max` bytes of `text`, on one line: enough of a failing command's output to say why.
std::string tail_line(std::string_view text, std::size_t max = 300) {
  std::string out(text.size() > max ? text.substr(text.size() - max) : text);
  std::replace(out.begin(), out.end(), '\n', ' ');
  return out;
}

RunResult run_command(const std::string& command, const std::filesystem::path& repo_dir, int64_t time_left_ms) {
  RunSpec spec;
  spec.argv = {"/bin/bash", "-c", command};
  spec.work_dir = repo_dir;
  spec.limits.cpu_ms = time_left_ms;
  spec.limits.wall_ms = time_left_ms;
  spec.limits.memory_bytes = kPatchMemoryBytes;
  spec.limits.max_processes = kPatchMaxProcesses;
  spec.limits.file_size_bytes = 512ll << 20;
  spec.limits.disk_bytes = 512ll << 20;
  spec.limits.open_files = 1024;
  spec.limits.output_bytes = kCommandOutputBytes;
  return run_sandboxed(spec);
}

}  // namespace

std::string_view patch_outcome_name(PatchOutcome outcome) {
  switch (outcome) {
    case PatchOutcome::kResolved: return "resolved";
    case PatchOutcome::kNotResolved: return "not_resolved";
    case PatchOutcome::kNoDiff: return "no_diff";
    case PatchOutcome::kNotApplied: return "patch_not_applied";
    case PatchOutcome::kTimeLimit: return "time_limit";
    case PatchOutcome::kJudgeError: return "judge_error";
  }
  return "judge_error";
}

PatchJudgeResult judge_patch(const PatchProblem& problem, std::string_view completion) {
  PatchJudgeResult result;
  auto diff = extract_diff(completion);
  if (!diff.is_ok()) {
    result.outcome = PatchOutcome::kNoDiff;
    result.reason = diff.status().message();
    return result;
  }
  if (Status available = check_sandbox_available(); !available.is_ok()) {
    result.reason = available.message();
    return result;
  }
  auto workspace = PatchWorkspace::create(problem.repo, problem.base_commit);
  if (!workspace.is_ok()) {
    result.reason = "cannot prepare the repository: " + workspace.status().message();
    return result;
  }
  auto applied = (*workspace)->apply_model_diff(*diff);
  if (!applied.is_ok()) {
    result.reason = "cannot apply the diff: " + applied.status().message();
    return result;
  }
  if (!applied->applied) {
    result.outcome = PatchOutcome::kNotApplied;
    result.reason = "patch does not apply: " + tail_line(applied->message);
    return result;
  }
  if (!problem.test_patch.empty()) {
    if (Status s = (*workspace)->apply_test_patch(problem.test_patch); !s.is_ok()) {
      result.reason = "the task's test patch does not apply: " + s.message();
      return result;
    }
  }
  const std::filesystem::path& repo_dir = (*workspace)->repo_dir();
  int64_t time_left_ms = problem.time_limit_ms;
  // Returns true when the command's outcome already decides the result.
  auto decided_by = [&](const RunResult& run, const char* what) {
    result.wall_ms += run.wall_ms;
    result.peak_memory_bytes = std::max(result.peak_memory_bytes, run.peak_memory_bytes);
    time_left_ms -= run.wall_ms;
    if (run.outcome == RunOutcome::kSandboxError) {
      result.outcome = PatchOutcome::kJudgeError;
      result.reason = std::string(what) + ": " + run.message;
      return true;
    }
    if (run.outcome == RunOutcome::kTimeLimit || time_left_ms <= 0) {
      result.outcome = PatchOutcome::kTimeLimit;
      result.reason = std::string(what) + " ran past the task's " + std::to_string(problem.time_limit_ms) + " ms";
      return true;
    }
    return false;
  };
  if (!problem.setup_command.empty()) {
    const RunResult setup = run_command(problem.setup_command, repo_dir, time_left_ms);
    if (decided_by(setup, "setup command")) return result;
    if (!setup.ok()) {
      result.outcome = PatchOutcome::kNotResolved;
      result.reason = "setup command failed (" + std::string(outcome_name(setup.outcome)) +
                      "): " + tail_line(setup.stdout_text + setup.stderr_text);
      return result;
    }
  }
  const RunResult tests = run_command(problem.test_command, repo_dir, time_left_ms);
  if (decided_by(tests, "test command")) return result;
  result.report = parse_report(problem.report, tests.stdout_text + "\n" + tests.stderr_text, repo_dir);
  const Decision decision = decide(result.report, problem.fail_to_pass, problem.pass_to_pass);
  result.outcome = decision.resolved ? PatchOutcome::kResolved : PatchOutcome::kNotResolved;
  result.reason = decision.reason;
  if (!decision.resolved && tests.outcome == RunOutcome::kOutputLimit) result.reason += " (test output hit the cap)";
  return result;
}

}  // namespace r1b::sandbox
