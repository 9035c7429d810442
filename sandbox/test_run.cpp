#include "sandbox/test_run.h"

#include <stdlib.h>

#include <fstream>

#include "sandbox/checker.h"
#include "sandbox/sandbox.h"

namespace r1b::sandbox {
namespace {

namespace fs = std::filesystem;

constexpr int kProgramProcesses = 16;
constexpr int64_t kMinOutputBytes = 16ll << 20;
constexpr int64_t kCheckerMinCpuMs = 5000;
constexpr int64_t kCheckerMemoryBytes = 512ll << 20;

RunLimits program_limits(const CodeProblem& problem, const TestCase& test) {
  RunLimits limits;
  limits.cpu_ms = problem.time_limit_ms;
  limits.wall_ms = 2 * problem.time_limit_ms + 1000;
  limits.memory_bytes = problem.memory_limit_mb << 20;
  limits.max_processes = kProgramProcesses;
  limits.output_bytes = kMinOutputBytes + 2 * static_cast<int64_t>(test.output.size());
  return limits;
}

Verdict verdict_of(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::kOk: return Verdict::kAccepted;
    case RunOutcome::kTimeLimit: return Verdict::kTimeLimit;
    case RunOutcome::kMemoryLimit: return Verdict::kMemoryLimit;
    case RunOutcome::kRuntimeError: return Verdict::kRuntimeError;
    case RunOutcome::kOutputLimit: return Verdict::kOutputLimit;
    case RunOutcome::kSandboxError: return Verdict::kSandboxError;
  }
  return Verdict::kSandboxError;
}

std::string first_line(const std::string& text) {
  const std::string line = text.substr(0, text.find('\n'));
  return line.size() > 200 ? line.substr(0, 200) + "..." : line;
}

std::vector<std::string> with_args(std::vector<std::string> argv, std::initializer_list<const char*> args) {
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// A private host folder readable by the box's uid, removed with this object.
class CheckFolder {
 public:
  CheckFolder() {
    std::string pattern = (fs::temp_directory_path() / "r1b-check-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) {
      path_ = pattern;
      std::error_code ec;
      fs::permissions(path_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                 fs::perms::others_read | fs::perms::others_exec, ec);
    }
  }
  ~CheckFolder() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  CheckFolder(const CheckFolder&) = delete;
  CheckFolder& operator=(const CheckFolder&) = delete;

  // Writes `name`; returns its path, or "" on failure.
  fs::path write(const char* name, const std::string& text) {
    if (path_.empty()) return {};
    const fs::path file = path_ / name;
    std::ofstream out(file, std::ios::binary);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    return out ? file : fs::path();
  }

 private:
  fs::path path_;
};

// Runs the testlib-style checker: `checker input output answer`, exit 0 ok, 1/2 wrong.
CheckResult run_checker_program(const TestContext& context, const TestCase& test, const std::string& output,
                                bool& checker_failed) {
  CheckFolder folder;
  const fs::path input = folder.write("input.txt", test.input);
  const fs::path contestant = folder.write("output.txt", output);
  const fs::path answer = folder.write("answer.txt", test.output);
  if (input.empty() || contestant.empty() || answer.empty()) {
    checker_failed = true;
    return {false, "cannot write the checker's files under " + fs::temp_directory_path().string()};
  }
  const Language& language = *context.checker_language;
  RunSpec spec;
  spec.argv = with_args(language.run_argv, {"input.txt", "output.txt", "answer.txt"});
  spec.read_only_binds = {{context.checker_artifact, std::string(kBoxDir) + "/" + language.artifact_file},
                          {input, std::string(kBoxDir) + "/input.txt"},
                          {contestant, std::string(kBoxDir) + "/output.txt"},
                          {answer, std::string(kBoxDir) + "/answer.txt"}};
  spec.limits.cpu_ms = std::max(kCheckerMinCpuMs, 2 * context.problem.time_limit_ms);
  spec.limits.wall_ms = 2 * spec.limits.cpu_ms + 1000;
  spec.limits.memory_bytes = kCheckerMemoryBytes;
  spec.limits.output_bytes = 1 << 20;
  const RunResult run = context.run(spec);
  const std::string reason = first_line(run.stderr_text.empty() ? run.stdout_text : run.stderr_text);
  if (run.outcome == RunOutcome::kOk) return {true, ""};
  if (run.outcome == RunOutcome::kRuntimeError && run.signal == 0 && (run.exit_code == 1 || run.exit_code == 2)) {
    return {false, (run.exit_code == 2 ? "presentation error: " : "") + reason};
  }
  checker_failed = true;
  return {false, "checker program failed (" + std::string(outcome_name(run.outcome)) + ": " + run.message +
                     (reason.empty() ? "" : "; " + reason) + ")"};
}

CheckResult check_output(const TestContext& context, const TestCase& test, const std::string& output,
                         bool& checker_failed) {
  const CheckerSpec& checker = context.problem.checker;
  switch (checker.type) {
    case CheckerType::kExact: return check_exact(test.output, output);
    case CheckerType::kTokens: return check_tokens(test.output, output);
    case CheckerType::kFloat: return check_float(test.output, output, checker.abs_tolerance, checker.rel_tolerance);
    case CheckerType::kProgram: return run_checker_program(context, test, output, checker_failed);
  }
  checker_failed = true;
  return {false, "unknown checker"};
}

}  // namespace

TestResult run_test(const TestContext& context, int index) {
  const TestCase& test = context.problem.cases[static_cast<size_t>(index)];
  RunSpec spec;
  spec.argv = context.language.run_argv;
  spec.stdin_text = test.input;
  spec.read_only_binds = {{context.artifact, std::string(kBoxDir) + "/" + context.language.artifact_file}};
  spec.limits = program_limits(context.problem, test);
  const RunResult run = context.run(spec);

  TestResult result;
  result.index = index;
  result.verdict = verdict_of(run.outcome);
  result.reason = run.message;
  result.cpu_ms = run.cpu_ms;
  result.wall_ms = run.wall_ms;
  result.peak_memory_bytes = run.peak_memory_bytes;
  result.exit_code = run.exit_code;
  result.signal = run.signal;
  result.wall_timed_out = run.wall_timed_out;
  if (run.outcome != RunOutcome::kOk) return result;
  bool checker_failed = false;
  const CheckResult check = check_output(context, test, run.stdout_text, checker_failed);
  if (checker_failed) {
    result.verdict = Verdict::kSandboxError;
  } else {
    result.verdict = check.accepted ? Verdict::kAccepted : Verdict::kWrongAnswer;
  }
  result.reason = check.reason;
  return result;
}

}  // namespace r1b::sandbox
