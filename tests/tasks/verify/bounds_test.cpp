// Every comparison is bounded in time and size (issue 3, item 3 and 6): huge powers, deep nesting,
// megabyte answers and completions, log towers. Each case must return promptly with "not equal"
// (or the right verdict), never hang, crash or exhaust memory.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tasks/verify/verify.h"

namespace r1b::tasks {
namespace {

Task math_task(std::string gold, AnswerFormat format = AnswerFormat::kExpression) {
  Task t;
  t.id = "bounds";
  t.kind = TaskKind::kMath;
  t.answer = std::move(gold);
  t.answer_format = format;
  return t;
}

// Grades and checks the wall time stays under one second.
VerifyResult timed_verify(const Task& task, const std::string& completion) {
  auto start = std::chrono::steady_clock::now();
  VerifyResult r = verify(task, completion);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 1.0) << "grading took " << seconds << " s for a " << completion.size() << "-byte completion";
  return r;
}

TEST(VerifyBounds, TowerOfPowersIsNotEvaluated) {
  EXPECT_TRUE(timed_verify(math_task("10^{10^{10}}"), "\\boxed{10^{10^{10}}}").correct());
  EXPECT_FALSE(timed_verify(math_task("10^{10^{10}}"), "\\boxed{10^{10^{10}} + 1}").correct());
  EXPECT_FALSE(timed_verify(math_task("5"), "\\boxed{10^{10^{10}}}").correct());
  EXPECT_FALSE(timed_verify(math_task("10^{10^{10}}"), "\\boxed{10^{10^{11}} / 10}").correct());
  EXPECT_FALSE(timed_verify(math_task("x^{10^{10}}"), "\\boxed{x^{10^{10}} + x}").correct());
}

TEST(VerifyBounds, HugePowerInTheTextDoesNotBlowUpTheFallback) {
  std::string completion = "</think>We consider 2003^{2002^{2001}} modulo 1000, which leaves 241";
  EXPECT_TRUE(timed_verify(math_task("241", AnswerFormat::kInteger), completion).correct());
  EXPECT_TRUE(timed_verify(math_task("241"), completion).correct());
  EXPECT_FALSE(timed_verify(math_task("2003^{2002^{2001}}"), "\\boxed{2003^{2002^{2001}} - 1}").correct());
}

TEST(VerifyBounds, TenThousandDeepNestingFailsPromptly) {
  std::string deep = std::string(10000, '(') + "1" + std::string(10000, ')');
  EXPECT_FALSE(timed_verify(math_task("1"), "\\boxed{" + deep + "}").correct());
  std::string braces;
  for (int k = 0; k < 10000; ++k) braces += "\\frac{1}{";
  braces += "2" + std::string(10000, '}');
  EXPECT_FALSE(timed_verify(math_task("1"), "\\boxed{" + braces + "}").correct());
  std::string sqrt_tower;
  for (int k = 0; k < 10000; ++k) sqrt_tower += "\\sqrt{";
  sqrt_tower += "2" + std::string(10000, '}');
  EXPECT_FALSE(timed_verify(math_task("2"), "\\boxed{" + sqrt_tower + "}").correct());
}

TEST(VerifyBounds, DeepNestingAsTheGoldIsAJudgeErrorNotAHang) {
  std::string deep = std::string(10000, '(') + "1" + std::string(10000, ')');
  auto r = timed_verify(math_task(deep), "\\boxed{1}");
  EXPECT_EQ(r.verdict, Verdict::kJudgeError) << r.reason;
}

TEST(VerifyBounds, MegabyteAnswerIsNotEqualAndFast) {
  std::string big(1 << 20, '7');
  EXPECT_FALSE(timed_verify(math_task("7"), "\\boxed{" + big + "}").correct());
  std::string sum;
  while (sum.size() < (1 << 20)) sum += "x+";
  sum += "1";
  EXPECT_FALSE(timed_verify(math_task("x+1"), "\\boxed{" + sum + "}").correct());
}

TEST(VerifyBounds, MegabyteCompletionIsReadFromItsEnd) {
  std::string completion = "<think>" + std::string(1 << 20, 'a') + "</think>The answer is \\boxed{12}.";
  EXPECT_TRUE(timed_verify(math_task("12"), completion).correct());
  std::string looping;
  while (looping.size() < (4 << 20)) looping += "Wait, let me recompute \\boxed{3}. ";
  EXPECT_FALSE(timed_verify(math_task("12"), looping).correct());
}

TEST(VerifyBounds, NestedLogTowerIsBounded) {
  std::string tower = "10";
  for (int k = 0; k < 40; ++k) tower = "\\log(" + tower + ")";
  EXPECT_TRUE(timed_verify(math_task(tower), "\\boxed{" + tower + "}").correct());
  EXPECT_FALSE(timed_verify(math_task(tower), "\\boxed{" + tower + "+1}").correct());
  std::string deep = "10";
  for (int k = 0; k < 5000; ++k) deep = "\\log " + deep;
  EXPECT_FALSE(timed_verify(math_task("1"), "\\boxed{" + deep + "}").correct());
}

TEST(VerifyBounds, HugeFactorialsAndBinomialsAreRefused) {
  EXPECT_FALSE(timed_verify(math_task("1"), "\\boxed{\\frac{(10^{9})!}{(10^{9})!} + 0}").correct());
  EXPECT_FALSE(timed_verify(math_task("2"), "\\boxed{\\binom{10^{12}}{10^{6}}}").correct());
  EXPECT_TRUE(timed_verify(math_task("\\frac{1}{2004!}"), "\\boxed{\\frac{1}{2004!}}").correct());
  EXPECT_FALSE(timed_verify(math_task("\\frac{1}{2004!}"), "\\boxed{\\frac{1}{2006!}}").correct());
}

TEST(VerifyBounds, HugeSymbolicPowersAreNotExpanded) {
  EXPECT_FALSE(timed_verify(math_task("(x+y+z)^{1000}"), "\\boxed{(x+y+z)^{1000}+1}").correct());
  EXPECT_FALSE(timed_verify(math_task("(x+1)^{100000}"), "\\boxed{(1+x)^{100000} - 1}").correct());
}

TEST(VerifyBounds, SymbolicTowerIsProbedInFloatsNotExactly) {
  // Found by the fuzzer: probing at rational points computed p^(40000 S^13) exactly (12 s).
  EXPECT_FALSE(timed_verify(math_task("2003^{2002tp^{200SSSSSS200SSSSSSS1}}"), "\\boxed{10}").correct());
  EXPECT_TRUE(timed_verify(math_task("2003^{2002tp^{200SSSSSS200SSSSSSS1}}"),
                           "\\boxed{2003^{2002tp^{200SSSSSS200SSSSSSS1}}}").correct());
}

TEST(VerifyBounds, HugeFloatExponentsAreNotEvaluatedInCln) {
  // Found by the fuzzer: a 50-digit probe of 2003^(2002^(10^12 ...)) asked CLN for terabytes.
  std::string tower = "2003^{2002^{200SSSSSexpS200SSSSSSS088888888888}}";
  EXPECT_FALSE(timed_verify(math_task(tower), "\\boxed{" + tower + "+1}").correct());
  EXPECT_FALSE(timed_verify(math_task("e^{e^{e^{e^{x}}}}"), "\\boxed{e^{e^{e^{e^{x}}}}+1}").correct());
}

TEST(VerifyBounds, PowerOfASumWithAHugeConstantIsNotExpanded) {
  // Found by the fuzzer: expand() split 2^(x-888888888) into 2^x * 2^-888888888, computed exactly.
  EXPECT_FALSE(timed_verify(math_task("2003^{2^{x-888888888}}"), "\\boxed{01}").correct());
  EXPECT_TRUE(timed_verify(math_task("2003^{2^{x-888888888}}"), "\\boxed{2003^{2^{x-888888888}}}").correct());
  EXPECT_FALSE(timed_verify(math_task("2003^{2002^{200SSSeAxSpSS200SSSSSSS08-888888888}}"), "\\boxed{01}").correct());
}

TEST(VerifyBounds, CancellationAgainstHugeValuesIsNotEquality) {
  EXPECT_FALSE(timed_verify(math_task("(x+y+z)^{1000}"), "\\boxed{(x+y+z)^{1000}+1}").correct());
  EXPECT_FALSE(timed_verify(math_task("(x+y+z)^{1000}"), "\\boxed{(x+y+z)^{1000}+10^{-100}}").correct());
  EXPECT_FALSE(timed_verify(math_task("10^{100}x"), "\\boxed{10^{100}x+1}").correct());
}

TEST(VerifyBounds, ManyDigitsAndLongExponentsAreRefused) {
  EXPECT_FALSE(timed_verify(math_task("1"), "\\boxed{1e99999999}").correct());
  EXPECT_FALSE(timed_verify(math_task("1"), "\\boxed{" + std::string(5000, '9') + "}").correct());
}

}  // namespace
}  // namespace r1b::tasks
