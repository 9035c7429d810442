// judge_patch(): grade a model's patch for a SWE-bench-style task end to end — extract the diff
// (patch.h), apply it to a fresh copy of the repository, apply the task's test patch, run the
// setup and test commands in the sandbox (sandbox.h), parse the test report (test_report.h) and
// decide: resolved when every FAIL_TO_PASS test passes and every PASS_TO_PASS test still passes.
//
// Outcomes (a closed set; the verifier maps them onto its verdicts):
//   kResolved      every listed test passed
//   kNotResolved   a listed test failed or is missing from the report, or the setup command
//                  failed (the patch broke the build)
//   kNoDiff        the completion holds no unified diff
//   kNotApplied    `git apply` refused the diff (reason carries git's message)
//   kTimeLimit     setup + tests ran past time_limit_ms (wall clock, shared by both)
//   kJudgeError    the harness's fault, never the model's: the repository or its test patch
//                  could not be prepared, or the sandbox failed
// Limits of the sandboxed commands: time_limit_ms of wall and CPU time, kPatchMemoryBytes,
// kPatchMaxProcesses (compilers and test runners fork), the workspace bound at /box.
// Thread-safe: each call owns its workspace, removed before it returns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sandbox/patch.h"
#include "sandbox/test_report.h"

namespace r1b::sandbox {

inline constexpr int64_t kPatchMemoryBytes = 2ll << 30;
inline constexpr int kPatchMaxProcesses = 128;

enum class PatchOutcome { kResolved, kNotResolved, kNoDiff, kNotApplied, kTimeLimit, kJudgeError };

std::string_view patch_outcome_name(PatchOutcome outcome);  // "resolved", "not_resolved", ...

struct PatchJudgeResult {
  PatchOutcome outcome = PatchOutcome::kJudgeError;
  std::string reason;        // one line: the first failing test, git's message, the sandbox error
  TestReport report;         // parsed test results (empty when the tests did not run)
  int64_t wall_ms = 0;       // setup + test commands
  int64_t peak_memory_bytes = 0;
};

PatchJudgeResult judge_patch(const PatchProblem& problem, std::string_view completion);

}  // namespace r1b::sandbox
