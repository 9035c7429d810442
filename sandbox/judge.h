// Judge: judges a submission against a CodeProblem's tests, Codeforces-style.
//
// Flow: extract the submission (submission.h) -> compile it once (compile_cache.h) -> run
// every test in a fresh box (sandbox.h) on a bounded pool of workers -> check each output
// with the problem's checker (checker.h, or a testlib-style checker program) -> one verdict.
// Results do not depend on the number of workers or on timing of other tests: with
// stop_on_first_failure the verdict is the first failing test in test order, and `tests`
// lists the tests up to and including it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/code_problem.h"
#include "sandbox/compile_cache.h"
#include "sandbox/sandbox.h"
#include "sandbox/submission.h"

namespace r1b::sandbox {

class WorkerPool;

// The closed set of judge verdicts. kSandboxError is the judge's failure (sandbox could not
// run, a checker program failed or does not compile): never the contestant's fault; callers
// report it as judge_error and may re-run it.
enum class Verdict {
  kAccepted,
  kWrongAnswer,   // also: no code block, presentation error of a checker program
  kCompileError,  // also: a fence tag naming no supported language
  kRuntimeError,
  kTimeLimit,
  kMemoryLimit,
  kOutputLimit,
  kSandboxError,
};

std::string_view verdict_name(Verdict verdict);  // "accepted", "wrong_answer", ...

struct TestResult {
  int index = 0;  // 0-based position in CodeProblem::cases
  Verdict verdict = Verdict::kSandboxError;
  std::string reason;           // checker's reason, or the run's message; "" when accepted
  int64_t cpu_ms = 0;           // RunResult fields of the contestant's run
  int64_t wall_ms = 0;
  int64_t peak_memory_bytes = 0;
  int exit_code = 0;
  int signal = 0;
  bool wall_timed_out = false;
};

struct JudgeResult {
  Verdict verdict = Verdict::kSandboxError;
  std::string reason;       // "test 3: line 1: expected '4', got '5'", the compiler message, ...
  std::string language;     // the submission's language ("" when none)
  int failed_test = -1;     // index of the first failing test, -1 when none failed
  std::vector<TestResult> tests;  // in test order (see the header comment)
  bool compile_cache_hit = false;
  int64_t compile_ms = 0;
  int64_t max_cpu_ms = 0;   // maxima over `tests`
  int64_t max_wall_ms = 0;
  int64_t max_peak_memory_bytes = 0;
};

// How the judge runs a program or checker (the process seam). Must be thread-safe.
using ProgramRunner = std::function<RunResult(const RunSpec&)>;

struct JudgeOptions {
  int num_workers = 0;                // tests run at once; 0: one per hardware thread
  std::filesystem::path cache_dir;    // compile cache; empty: <tmp>/r1bench-compile-cache
  // Runs the tests and checker programs (compiles always use run_sandboxed). Tests swap in a
  // fault-injecting runner; empty means run_sandboxed.
  ProgramRunner runner_for_testing;
};

class Judge {
 public:
  explicit Judge(JudgeOptions options = {});
  ~Judge();  // waits for the tests under way
  Judge(const Judge&) = delete;
  Judge& operator=(const Judge&) = delete;

  // Extracts the submission from `completion` and judges it. No fenced block: kWrongAnswer
  // "no code block". Thread-safe: any number of calls may run at once; they share the pool.
  // Never throws. Must not be called from inside a pool task.
  JudgeResult judge(const CodeProblem& problem, std::string_view completion);

  // Judges an already extracted submission. Same contract as judge().
  JudgeResult judge_submission(const CodeProblem& problem, const Submission& submission);

  CompileCache& compile_cache() { return *cache_; }
  int num_workers() const;

 private:
  const ProgramRunner runner_;
  std::unique_ptr<CompileCache> cache_;
  std::unique_ptr<WorkerPool> pool_;
};

}  // namespace r1b::sandbox
