#include "sandbox/judge.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "sandbox_test_util.h"

namespace r1b::sandbox {
namespace {

using nlohmann::json;

CodeProblem sum_problem(bool stop_on_first_failure = true) {
  json tests = {{"language", "cpp"}, {"time_limit_ms", 1000}, {"memory_limit_mb", 128},
                {"stop_on_first_failure", stop_on_first_failure}, {"checker", {{"type", "tokens"}}},
                {"cases", json::array()}};
  for (int a : {1, 2, 3, 4, 5}) {
    tests["cases"].push_back({{"input", std::to_string(a) + " " + std::to_string(a * 10) + "\n"},
                              {"output", std::to_string(a * 11) + "\n"}});
  }
  return parse_code_problem(tests).value();
}

std::string cpp_block(const std::string& body) {
  return "</think>\n```cpp\n#include <cstdio>\n#include <cstdlib>\n#include <vector>\n" + body + "\n```\n";
}

const std::string kSumCpp = cpp_block("int main() { long a, b; scanf(\"%ld %ld\", &a, &b); printf(\"%ld\\n\", a + b); }");
// Right on tests 1, 3 and 5 (odd a), wrong on 2 and 4.
const std::string kOddOnlyCpp =
    cpp_block("int main() { long a, b; scanf(\"%ld %ld\", &a, &b); printf(\"%ld\\n\", a % 2 ? a + b : 0); }");

JudgeOptions judge_options(int num_workers, ProgramRunner runner = {}) {
  JudgeOptions options;
  options.num_workers = num_workers;
  options.cache_dir = shared_compile_cache().dir();
  options.runner_for_testing = std::move(runner);
  return options;
}

Judge& shared_judge() {
  static Judge judge(judge_options(4));
  return judge;
}

TEST(JudgeTest, CorrectCppAndPythonAreAccepted) {
  R1B_SKIP_WITHOUT_SANDBOX();
  const JudgeResult cpp = shared_judge().judge(sum_problem(), kSumCpp);
  EXPECT_EQ(cpp.verdict, Verdict::kAccepted) << cpp.reason;
  EXPECT_EQ(cpp.tests.size(), 5u);
  EXPECT_EQ(cpp.failed_test, -1);
  EXPECT_EQ(cpp.language, "cpp");
  const JudgeResult python = shared_judge().judge(sum_problem(), "```python\na, b = map(int, input().split())\nprint(a + b)\n```");
  EXPECT_EQ(python.verdict, Verdict::kAccepted) << python.reason;
  EXPECT_GT(python.max_peak_memory_bytes, 0);
}

TEST(JudgeTest, NoCodeBlockIsWrongAnswer) {
  const JudgeResult result = shared_judge().judge(sum_problem(), "</think>The answer is 42.");
  EXPECT_EQ(result.verdict, Verdict::kWrongAnswer);
  EXPECT_EQ(result.reason, "no code block");
}

TEST(JudgeTest, UnsupportedFenceTagIsCompileError) {
  const JudgeResult result = shared_judge().judge(sum_problem(), "```java\nclass A {}\n```");
  EXPECT_EQ(result.verdict, Verdict::kCompileError);
  EXPECT_NE(result.reason.find("java"), std::string::npos);
}

TEST(JudgeTest, CompileErrorCarriesTheMessage) {
  R1B_SKIP_WITHOUT_SANDBOX();
  const JudgeResult result = shared_judge().judge(sum_problem(), cpp_block("int main() { return oops; }"));
  EXPECT_EQ(result.verdict, Verdict::kCompileError);
  EXPECT_NE(result.reason.find("oops"), std::string::npos) << result.reason;
}

TEST(JudgeTest, StopOnFirstFailureReportsTheFirstFailingTestOnly) {
  R1B_SKIP_WITHOUT_SANDBOX();
  const JudgeResult result = shared_judge().judge(sum_problem(true), kOddOnlyCpp);
  EXPECT_EQ(result.verdict, Verdict::kWrongAnswer);
  EXPECT_EQ(result.failed_test, 1);
  EXPECT_EQ(result.tests.size(), 2u);
  EXPECT_EQ(result.reason, "test 2: token 1: expected '22', got '0'");
}

TEST(JudgeTest, RunAllReportsEveryTestAndTheFirstFailure) {
  R1B_SKIP_WITHOUT_SANDBOX();
  const JudgeResult result = shared_judge().judge(sum_problem(false), kOddOnlyCpp);
  EXPECT_EQ(result.verdict, Verdict::kWrongAnswer);
  EXPECT_EQ(result.failed_test, 1);
  ASSERT_EQ(result.tests.size(), 5u);
  const Verdict expected[] = {Verdict::kAccepted, Verdict::kWrongAnswer, Verdict::kAccepted, Verdict::kWrongAnswer,
                              Verdict::kAccepted};
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(result.tests[i].verdict, expected[i]) << "test " << i;
}

TEST(JudgeTest, ParallelJudgingGivesTheSameVerdictsAsSequential) {
  R1B_SKIP_WITHOUT_SANDBOX();
  Judge sequential(judge_options(1));
  const std::vector<std::string> submissions = {
      kSumCpp, kOddOnlyCpp, cpp_block("int main() { return 2; }"),
      cpp_block("int main() { long a, b; scanf(\"%ld %ld\", &a, &b); if (a == 3) for (;;) {} printf(\"%ld\\n\", a + b); }"),
      cpp_block("int main() { long a, b; scanf(\"%ld %ld\", &a, &b); if (a == 4) { volatile int* p = nullptr; *p = 1; }"
                " printf(\"%ld\\n\", a + b); }")};
  for (bool stop_first : {true, false}) {
    for (const std::string& submission : submissions) {
      const JudgeResult one = sequential.judge(sum_problem(stop_first), submission);
      const JudgeResult many = shared_judge().judge(sum_problem(stop_first), submission);
      EXPECT_EQ(one.verdict, many.verdict) << submission;
      EXPECT_EQ(one.failed_test, many.failed_test) << submission;
      ASSERT_EQ(one.tests.size(), many.tests.size()) << submission;
      for (size_t i = 0; i < one.tests.size(); ++i) EXPECT_EQ(one.tests[i].verdict, many.tests[i].verdict);
    }
  }
}

TEST(JudgeTest, LimitVerdictsReachTheJudgeResult) {
  R1B_SKIP_WITHOUT_SANDBOX();
  CodeProblem problem = sum_problem();
  problem.time_limit_ms = 300;
  EXPECT_EQ(shared_judge().judge(problem, cpp_block("int main() { for (;;) {} }")).verdict, Verdict::kTimeLimit);
  EXPECT_EQ(shared_judge().judge(problem, cpp_block("int main() { for (;;) puts(\"x\"); }")).verdict,
            Verdict::kOutputLimit);
  // Touching 300 MiB takes a while on a loaded machine: a CPU limit that cannot end it first.
  CodeProblem memory_problem = sum_problem();
  memory_problem.time_limit_ms = 5000;
  const JudgeResult memory = shared_judge().judge(
      memory_problem, cpp_block("int main() { std::vector<char> v(300 << 20); for (size_t i = 0; i < v.size(); i += 4096)"
                         " v[i] = 1; printf(\"%d\", v[4096]); }"));
  EXPECT_EQ(memory.verdict, Verdict::kMemoryLimit) << memory.reason;
  const JudgeResult crash = shared_judge().judge(problem, cpp_block("int main() { return 7; }"));
  EXPECT_EQ(crash.verdict, Verdict::kRuntimeError);
  ASSERT_FALSE(crash.tests.empty());
  EXPECT_EQ(crash.tests[0].exit_code, 7);
}

CodeProblem problem_with_checker(const std::string& checker_source) {
  CodeProblem problem = sum_problem();
  problem.checker.type = CheckerType::kProgram;
  problem.checker.language = "cpp";
  problem.checker.source = checker_source;
  return problem;
}

// Accepts any answer whose parity matches the jury's (reads input, output, answer files).
const std::string kParityChecker = R"(#include <cstdio>
int main(int argc, char** argv) {
  if (argc != 4) return 3;
  long got = 0, want = 0;
  FILE* out = fopen(argv[2], "r"); FILE* ans = fopen(argv[3], "r");
  if (!out || !ans) return 3;
  if (fscanf(out, "%ld", &got) != 1) { fprintf(stderr, "no number\n"); return 2; }
  if (fscanf(ans, "%ld", &want) != 1) return 3;
  if ((got - want) % 2 != 0) { fprintf(stderr, "parity differs: %ld vs %ld\n", got, want); return 1; }
  return 0;
})";

TEST(JudgeTest, CheckerProgramVerdicts) {
  R1B_SKIP_WITHOUT_SANDBOX();
  const CodeProblem problem = problem_with_checker(kParityChecker);
  EXPECT_EQ(shared_judge().judge(problem, kSumCpp).verdict, Verdict::kAccepted);
  const JudgeResult plus_two = shared_judge().judge(
      problem, cpp_block("int main() { long a, b; scanf(\"%ld %ld\", &a, &b); printf(\"%ld\\n\", a + b + 2); }"));
  EXPECT_EQ(plus_two.verdict, Verdict::kAccepted) << plus_two.reason;
  const JudgeResult plus_one = shared_judge().judge(
      problem, cpp_block("int main() { long a, b; scanf(\"%ld %ld\", &a, &b); printf(\"%ld\\n\", a + b + 1); }"));
  EXPECT_EQ(plus_one.verdict, Verdict::kWrongAnswer);
  EXPECT_EQ(plus_one.reason, "test 1: parity differs: 12 vs 11");
  const JudgeResult empty = shared_judge().judge(problem, cpp_block("int main() {}"));
  EXPECT_EQ(empty.verdict, Verdict::kWrongAnswer);
  EXPECT_EQ(empty.reason, "test 1: presentation error: no number");
}

TEST(JudgeTest, CrashingOrBrokenCheckerIsSandboxError) {
  R1B_SKIP_WITHOUT_SANDBOX();
  const JudgeResult crashing =
      shared_judge().judge(problem_with_checker("int main() { volatile int* p = nullptr; return *p; }"), kSumCpp);
  EXPECT_EQ(crashing.verdict, Verdict::kSandboxError) << crashing.reason;
  const JudgeResult exit_three = shared_judge().judge(problem_with_checker("int main() { return 3; }"), kSumCpp);
  EXPECT_EQ(exit_three.verdict, Verdict::kSandboxError);
  const JudgeResult not_compiling = shared_judge().judge(problem_with_checker("int main() { nope }"), kSumCpp);
  EXPECT_EQ(not_compiling.verdict, Verdict::kSandboxError);
  EXPECT_NE(not_compiling.reason.find("checker program does not compile"), std::string::npos);
}

TEST(JudgeTest, SandboxFailureInOneTestIsSandboxErrorNotWrongAnswer) {
  R1B_SKIP_WITHOUT_SANDBOX();
  Judge judge(judge_options(2, [](const RunSpec& spec) {
                 if (spec.stdin_text.rfind("3 ", 0) != 0) return run_sandboxed(spec);
                 RunResult failed;  // test 3: the harness fails
                 failed.outcome = RunOutcome::kSandboxError;
                 failed.message = "injected: bwrap died";
                 return failed;
               }));
  const JudgeResult result = judge.judge(sum_problem(), kSumCpp);
  EXPECT_EQ(result.verdict, Verdict::kSandboxError);
  EXPECT_EQ(result.failed_test, 2);
  EXPECT_EQ(result.reason, "test 3: injected: bwrap died");
  const JudgeResult earlier_wrong = judge.judge(sum_problem(), kOddOnlyCpp);  // test 2 fails first
  EXPECT_EQ(earlier_wrong.verdict, Verdict::kWrongAnswer);
  EXPECT_EQ(earlier_wrong.failed_test, 1);
}

TEST(JudgeTest, LaterTestsFinishingFirstDoNotChangeTheVerdict) {
  R1B_SKIP_WITHOUT_SANDBOX();
  // Test k (input "k ...") is delayed by (6 - k) x 40 ms, so the tests finish in reverse order.
  Judge judge(judge_options(5, [](const RunSpec& spec) {
                 std::this_thread::sleep_for(std::chrono::milliseconds(40 * (6 - (spec.stdin_text[0] - '0'))));
                 return run_sandboxed(spec);
               }));
  const JudgeResult result = judge.judge(sum_problem(true), kOddOnlyCpp);
  EXPECT_EQ(result.verdict, Verdict::kWrongAnswer);
  EXPECT_EQ(result.failed_test, 1);
  EXPECT_EQ(result.tests.size(), 2u);
}

TEST(JudgeTest, VerdictNamesAreStable) {
  EXPECT_EQ(verdict_name(Verdict::kAccepted), "accepted");
  EXPECT_EQ(verdict_name(Verdict::kWrongAnswer), "wrong_answer");
  EXPECT_EQ(verdict_name(Verdict::kSandboxError), "sandbox_error");
}

}  // namespace
}  // namespace r1b::sandbox
