#include "sandbox/judge.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include "sandbox/test_run.h"
#include "sandbox/worker_pool.h"

namespace r1b::sandbox {
namespace {

namespace fs = std::filesystem;

constexpr size_t kNoFailure = std::numeric_limits<size_t>::max();

// The tests of one submission in flight on the pool.
struct Batch {
  explicit Batch(size_t num_tests) : results(num_tests), remaining(num_tests) {}
  std::mutex mutex;
  std::condition_variable finished;
  std::vector<std::optional<TestResult>> results;  // guarded by mutex
  size_t remaining;                                // guarded by mutex
  std::atomic<size_t> first_failure{kNoFailure};   // lowest failing index seen so far
};

void lower_to(std::atomic<size_t>& value, size_t candidate) {
  size_t current = value.load();
  while (candidate < current && !value.compare_exchange_weak(current, candidate)) {
  }
}

JudgeResult failed_before_tests(Verdict verdict, std::string reason, std::string language) {
  JudgeResult result;
  result.verdict = verdict;
  result.reason = std::move(reason);
  result.language = std::move(language);
  return result;
}

fs::path default_cache_dir() {
  std::error_code ec;
  const fs::path temp = fs::temp_directory_path(ec);
  return (ec ? fs::path("/tmp") : temp) / "r1bench-compile-cache";
}

}  // namespace

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kAccepted: return "accepted";
    case Verdict::kWrongAnswer: return "wrong_answer";
    case Verdict::kCompileError: return "compile_error";
    case Verdict::kRuntimeError: return "runtime_error";
    case Verdict::kTimeLimit: return "time_limit";
    case Verdict::kMemoryLimit: return "memory_limit";
    case Verdict::kOutputLimit: return "output_limit";
    case Verdict::kSandboxError: return "sandbox_error";
  }
  return "sandbox_error";
}

Judge::Judge(JudgeOptions options)
    : runner_(options.runner_for_testing ? std::move(options.runner_for_testing) : ProgramRunner(run_sandboxed)),
      cache_(std::make_unique<CompileCache>(options.cache_dir.empty() ? default_cache_dir() : options.cache_dir)),
      pool_(std::make_unique<WorkerPool>(options.num_workers > 0
                                             ? options.num_workers
                                             : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())))) {}

Judge::~Judge() = default;

int Judge::num_workers() const { return pool_->num_workers(); }

JudgeResult Judge::judge(const CodeProblem& problem, std::string_view completion) {
  const std::optional<Submission> submission = extract_submission(completion, problem.language);
  if (!submission) return failed_before_tests(Verdict::kWrongAnswer, "no code block", "");
  return judge_submission(problem, *submission);
}

JudgeResult Judge::judge_submission(const CodeProblem& problem, const Submission& submission) {
  const Language* language = find_language(submission.language);
  if (language == nullptr) {
    return failed_before_tests(Verdict::kCompileError,
                               "fence tag '" + submission.fence_tag + "' names no supported language (" +
                                   language_names() + ")",
                               "");
  }
  const CompileResult program = cache_->compile(*language, submission.source);
  if (program.outcome == CompileOutcome::kCompileError) {
    JudgeResult result = failed_before_tests(Verdict::kCompileError, program.message, language->name);
    result.compile_cache_hit = program.cache_hit;
    return result;
  }
  if (program.outcome == CompileOutcome::kSandboxError) {
    return failed_before_tests(Verdict::kSandboxError, program.message, language->name);
  }
  TestContext context{runner_, problem, *language, program.artifact_path, nullptr, {}};
  if (problem.checker.type == CheckerType::kProgram) {
    context.checker_language = find_language(problem.checker.language);
    if (context.checker_language == nullptr) {
      return failed_before_tests(Verdict::kSandboxError, "checker language '" + problem.checker.language +
                                                             "' is not supported", language->name);
    }
    const CompileResult checker = cache_->compile(*context.checker_language, problem.checker.source);
    if (checker.outcome != CompileOutcome::kOk) {
      return failed_before_tests(Verdict::kSandboxError, "the checker program does not compile: " + checker.message,
                                 language->name);
    }
    context.checker_artifact = checker.artifact_path;
  }

  const size_t num_tests = problem.cases.size();
  auto batch = std::make_shared<Batch>(num_tests);
  const bool stop_first = problem.stop_on_first_failure;
  for (size_t index = 0; index < num_tests; ++index) {
    pool_->submit([batch, &context, index, stop_first] {
      std::optional<TestResult> result;
      if (!stop_first || index < batch->first_failure.load()) {
        result = run_test(context, static_cast<int>(index));
        if (result->verdict != Verdict::kAccepted) lower_to(batch->first_failure, index);
      }
      std::lock_guard<std::mutex> lock(batch->mutex);
      batch->results[index] = std::move(result);
      if (--batch->remaining == 0) batch->finished.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(batch->mutex);
  batch->finished.wait(lock, [&] { return batch->remaining == 0; });

  JudgeResult result;
  result.verdict = Verdict::kAccepted;
  result.language = language->name;
  result.compile_cache_hit = program.cache_hit;
  result.compile_ms = program.compile_ms;
  for (size_t index = 0; index < num_tests; ++index) {
    if (!batch->results[index]) continue;  // skipped: after the first failure
    TestResult& test = *batch->results[index];
    result.max_cpu_ms = std::max(result.max_cpu_ms, test.cpu_ms);
    result.max_wall_ms = std::max(result.max_wall_ms, test.wall_ms);
    result.max_peak_memory_bytes = std::max(result.max_peak_memory_bytes, test.peak_memory_bytes);
    const bool failed = test.verdict != Verdict::kAccepted;
    if (failed && result.failed_test < 0) {
      result.failed_test = static_cast<int>(index);
      result.verdict = test.verdict;
      result.reason = "test " + std::to_string(index + 1) + ": " + test.reason;
    }
    result.tests.push_back(std::move(test));
    if (failed && stop_first) break;
  }
  return result;
}

}  // namespace r1b::sandbox
