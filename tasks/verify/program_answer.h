// Code and patch tasks: judged by running the model's program or patch in the sandbox (sandbox/).
//
// Contract (private to tasks/verify/): thread-safe, never throws; time-bounded by the task's limits.
// Code: the last fenced block (after </think>) is compiled and run on every test by one
// process-wide sandbox::Judge (its worker pool and compile cache are shared by all callers);
// verdicts map accepted → correct, wrong_answer → wrong, compile_error → compile_error,
// runtime_error and output_limit → runtime_error (reason says which), time_limit → timeout,
// memory_limit → memory_limit, sandbox_error → judge_error. details: {"judge": verdict name,
// "failed_test", "tests", "max_cpu_ms", "max_wall_ms", "max_peak_memory_bytes", "compile_ms",
// "language", "time_limit_ms", "memory_limit_mb"}.
// Patch: sandbox::judge_patch(); resolved → correct, not_resolved / no_diff / patch_not_applied →
// wrong (reason says which), time_limit → timeout, judge_error → judge_error. details:
// {"outcome", "tests": {id: status}, "wall_ms", "peak_memory_bytes"}.
// A task whose tests object does not parse is judge_error naming the field (the pack's fault).
#pragma once

#include <string_view>

#include "tasks/verify/verify.h"

namespace r1b::tasks::verifier {

VerifyResult grade_code(const Task& task, std::string_view completion);
VerifyResult grade_patch(const Task& task, std::string_view completion);

}  // namespace r1b::tasks::verifier
