// verify(): the dispatch by task kind, integer (AIME/AMC) and multiple-choice grading, verdict
// names, and same_answer for cons@k vote grouping.
#include "tasks/verify/verify.h"

#include <gtest/gtest.h>

#include "sandbox/sandbox.h"

namespace r1b::tasks {
namespace {

Task integer_task(std::string gold) {
  Task t;
  t.id = "aime-test";
  t.kind = TaskKind::kMath;
  t.answer = std::move(gold);
  t.answer_format = AnswerFormat::kInteger;
  return t;
}

Task choice_task(std::string gold) {
  Task t;
  t.id = "gpqa-test";
  t.kind = TaskKind::kChoice;
  t.choices = {"4", "7 meters", "a prime", "none of these"};
  t.answer = std::move(gold);
  return t;
}

Task expression_task(std::string gold) {
  Task t;
  t.id = "math-test";
  t.kind = TaskKind::kMath;
  t.answer = std::move(gold);
  t.answer_format = AnswerFormat::kExpression;
  return t;
}

// --- verdict names ------------------------------------------------------------------------------

TEST(VerifyVerdict, NamesRoundTripForTheClosedSet) {
  for (Verdict v : {Verdict::kCorrect, Verdict::kWrong, Verdict::kCompileError, Verdict::kRuntimeError,
                    Verdict::kTimeout, Verdict::kMemoryLimit, Verdict::kJudgeError}) {
    auto parsed = parse_verdict(verdict_name(v));
    ASSERT_TRUE(parsed.has_value()) << verdict_name(v);
    EXPECT_EQ(*parsed, v);
  }
  EXPECT_EQ(verdict_name(Verdict::kJudgeError), "judge_error");
  EXPECT_FALSE(parse_verdict("accepted").has_value());
  EXPECT_FALSE(parse_verdict("").has_value());
}

TEST(VerifyVersion, IsANonEmptyTaggedString) {
  EXPECT_TRUE(verifier_version().starts_with("r1b-verify-"));
}

// --- integer answers ----------------------------------------------------------------------------

TEST(VerifyInteger, BoxedAnswerAfterThinkIsCorrect) {
  auto r = verify(integer_task("25"), "<think>maybe \\boxed{24}</think>The answer is \\boxed{25}.");
  EXPECT_EQ(r.verdict, Verdict::kCorrect) << r.reason;
  EXPECT_EQ(r.reward, 1.0);
  EXPECT_EQ(r.extracted, "25");
}

TEST(VerifyInteger, LeadingZerosDecimalsAndSeparatorsAreTheSameInteger) {
  EXPECT_TRUE(verify(integer_task("025"), "\\boxed{25}").correct());
  EXPECT_TRUE(verify(integer_task("25"), "\\boxed{025}").correct());
  EXPECT_TRUE(verify(integer_task("27.0"), "\\boxed{27}").correct());
  EXPECT_TRUE(verify(integer_task("27"), "\\boxed{27.0}").correct());
  EXPECT_TRUE(verify(integer_task("1000"), "\\boxed{1,000}").correct());
  EXPECT_TRUE(verify(integer_task("10080"), "\\boxed{10,\\!080}").correct());
  EXPECT_TRUE(verify(integer_task("-1.0"), "\\boxed{-1}").correct());
  EXPECT_TRUE(verify(integer_task("3159"), "\\boxed{3{,}159}").correct());
}

TEST(VerifyInteger, NonIntegerAnswerIsWrong) {
  auto r = verify(integer_task("27"), "\\boxed{27.5}");
  EXPECT_EQ(r.verdict, Verdict::kWrong);
  EXPECT_NE(r.reason.find("not an integer"), std::string::npos) << r.reason;
  EXPECT_FALSE(verify(integer_task("1000"), "\\boxed{1,00}").correct());
}

TEST(VerifyInteger, ExactIntegerValuesInOtherFormsCount) {
  EXPECT_TRUE(verify(integer_task("32"), "\\boxed{2^{5}}").correct());
  EXPECT_TRUE(verify(integer_task("25"), "\\boxed{\\frac{50}{2}}").correct());
  EXPECT_TRUE(verify(integer_task("25"), "\\boxed{25 \\text{ minutes}}").correct());
  EXPECT_TRUE(verify(integer_task("120"), "\\boxed{5!}").correct());
  EXPECT_FALSE(verify(integer_task("25"), "\\boxed{25\\%}").correct());
  EXPECT_FALSE(verify(integer_task("1"), "\\boxed{\\sqrt{2}}").correct());
}

TEST(VerifyInteger, DifferentIntegerIsWrong) {
  auto r = verify(integer_task("204"), "so \\boxed{240}");
  EXPECT_EQ(r.verdict, Verdict::kWrong);
  EXPECT_EQ(r.reward, 0.0);
  EXPECT_EQ(r.extracted, "240");
}

TEST(VerifyInteger, TruncatedInsideThinkFailsClosed) {
  auto r = verify(integer_task("25"), "<think>Let me compute... \\boxed{25} hmm, wait");
  EXPECT_EQ(r.verdict, Verdict::kWrong);
  EXPECT_EQ(r.reason, "truncated inside <think>");
}

TEST(VerifyInteger, UnclosedBoxAtTheEndFailsClosed) {
  auto r = verify(integer_task("25"), "</think>First \\boxed{25}, then finally \\boxed{2");
  EXPECT_EQ(r.verdict, Verdict::kWrong);
  EXPECT_NE(r.reason.find("unclosed"), std::string::npos) << r.reason;
}

TEST(VerifyInteger, LastBoxWinsAndBoxesAreNotMerged) {
  EXPECT_TRUE(verify(integer_task("7"), "\\boxed{3} no wait \\boxed{7}").correct());
  EXPECT_FALSE(verify(integer_task("3"), "\\boxed{3} no wait \\boxed{7}").correct());
  EXPECT_FALSE(verify(integer_task("37"), "\\boxed{3} and \\boxed{7}").correct());
}

TEST(VerifyInteger, NestedBracesInBoxAreRead) {
  auto r = verify(integer_task("12"), "\\boxed{\\text{{12}}}");
  EXPECT_TRUE(r.correct()) << r.reason << " extracted=" << r.extracted;
  EXPECT_TRUE(verify(integer_task("12"), "\\fbox{12}").correct());
}

TEST(VerifyInteger, FinalAnswerLineWhenNoBox) {
  EXPECT_TRUE(verify(integer_task("113"), "</think>\nWork.\nThe final answer is 113.").correct());
  EXPECT_TRUE(verify(integer_task("113"), "</think>\nWork.\nAnswer: 113").correct());
  EXPECT_TRUE(verify(integer_task("113"), "Work.\n**Final Answer:** $113$").correct());
  EXPECT_TRUE(verify(integer_task("113"), "Work.\n**Final Answer**\n\n113\n").correct());
}

TEST(VerifyInteger, EchoedEmptyBoxInstructionDoesNotOverrideTheAnswer) {
  auto r = verify(integer_task("42"),
                  "</think>So \\boxed{42}.\n\nPlease reason step by step, and put your final answer within \\boxed{}.");
  EXPECT_TRUE(r.correct()) << r.reason;
}

TEST(VerifyInteger, LastNumberFallbackCanBeSwitchedOff) {
  const char* completion = "</think>After all that work we get 204 as the count.";
  EXPECT_TRUE(verify(integer_task("204"), completion).correct());
  VerifyOptions strict;
  strict.last_number_fallback = false;
  auto r = verify(integer_task("204"), completion, strict);
  EXPECT_EQ(r.verdict, Verdict::kWrong);
  EXPECT_NE(r.reason.find("no final answer"), std::string::npos) << r.reason;
}

TEST(VerifyInteger, AnswerBeforeThinkIsIgnoredWhenThinking) {
  // The region is after </think>: numbers inside the reasoning are never the answer.
  auto r = verify(integer_task("5"), "<think>\\boxed{5}</think>I cannot decide.");
  EXPECT_EQ(r.verdict, Verdict::kWrong) << r.reason;
  VerifyOptions whole;
  whole.answer_after_think = false;
  EXPECT_TRUE(verify(integer_task("5"), "<think>\\boxed{5}</think>I cannot decide.", whole).correct());
}

TEST(VerifyInteger, GoldThatIsNotAnIntegerIsAJudgeErrorNeverCorrect) {
  for (const char* gold : {"27.5", "\\frac{1}{2}", "abc", ""}) {
    auto r = verify(integer_task(gold), std::string("\\boxed{") + gold + "}");
    EXPECT_EQ(r.verdict, Verdict::kJudgeError) << gold;
    EXPECT_EQ(r.reward, 0.0);
  }
}

TEST(VerifyInteger, EmptyAndGarbageCompletionsAreWrongWithAReason) {
  for (std::string completion : {std::string(""), std::string("\x01\xff\xfe"), std::string(100000, '{'),
                                 std::string("</think>"), std::string("\\boxed")}) {
    auto r = verify(integer_task("25"), completion);
    EXPECT_EQ(r.verdict, Verdict::kWrong);
    EXPECT_FALSE(r.reason.empty());
  }
}

TEST(VerifyInteger, ReasonAndExtractedAreValidUtf8ForJson) {
  auto r = verify(integer_task("25"), "\\boxed{2\xff\xfe" "5\xe2\x82}");
  EXPECT_EQ(r.verdict, Verdict::kWrong);
  EXPECT_NO_THROW((void)nlohmann::json({{"reason", r.reason}, {"extracted", r.extracted}}).dump());
  auto gold_bad = verify(integer_task("\xff\xfe"), "\\boxed{1}");
  EXPECT_EQ(gold_bad.verdict, Verdict::kJudgeError);
  EXPECT_NO_THROW((void)nlohmann::json({{"reason", gold_bad.reason}}).dump());
}

TEST(VerifyInteger, HugeIntegersCompareWithoutOverflow) {
  std::string big(300, '9');
  EXPECT_TRUE(verify(integer_task(big), "\\boxed{" + big + "}").correct());
  EXPECT_FALSE(verify(integer_task(big), "\\boxed{" + big + "8}").correct());
}

// --- multiple choice ----------------------------------------------------------------------------

TEST(VerifyChoice, AnswerLineLetterIsRead) {
  auto r = verify(choice_task("C"), "</think>Reasoning.\nAnswer: C");
  EXPECT_TRUE(r.correct()) << r.reason;
  EXPECT_EQ(r.extracted, "C");
}

TEST(VerifyChoice, AllCommonFormsAreRead) {
  for (const char* completion :
       {"Answer: C", "The answer is (C).", "\\boxed{C}", "the correct answer is C", "Answer: (c)", "answer: c",
        "**Answer: C**", "Final Answer: $\\boxed{\\text{C}}$", "Thus:\n\n(C)", "The answer is C. a prime",
        "The correct option is C) a prime"}) {
    auto r = verify(choice_task("C"), completion);
    EXPECT_TRUE(r.correct()) << completion << " -> " << r.reason;
  }
}

TEST(VerifyChoice, LowercaseLetterCounts) {
  EXPECT_TRUE(verify(choice_task("B"), "Answer: b").correct());
  EXPECT_TRUE(verify(choice_task("A"), "The answer is a").correct());
}

TEST(VerifyChoice, StrayLettersInProseDoNotCount) {
  auto r = verify(choice_task("A"), "The answer is a bit unclear to me.");
  EXPECT_EQ(r.verdict, Verdict::kWrong);
  EXPECT_NE(r.reason.find("no option letter"), std::string::npos) << r.reason;
  EXPECT_TRUE(verify(choice_task("D"), "Answer: D, since a cat is a mammal").correct());
}

TEST(VerifyChoice, SeveralDifferentLettersAreWrong) {
  auto r = verify(choice_task("B"), "Answer: B or C");
  EXPECT_EQ(r.verdict, Verdict::kWrong);
  EXPECT_NE(r.reason.find("several different letters"), std::string::npos) << r.reason;
}

TEST(VerifyChoice, NoLetterIsWrongWithAReason) {
  auto r = verify(choice_task("B"), "I am not sure.");
  EXPECT_EQ(r.verdict, Verdict::kWrong);
  EXPECT_FALSE(r.reason.empty());
}

TEST(VerifyChoice, LastFinalAnswerWins) {
  EXPECT_TRUE(verify(choice_task("D"), "Answer: B\nWait, I made an error.\nAnswer: D").correct());
  EXPECT_FALSE(verify(choice_task("B"), "Answer: B\nWait, I made an error.\nAnswer: D").correct());
}

TEST(VerifyChoice, EchoedTemplateAfterTheAnswerIsIgnored) {
  auto r = verify(choice_task("C"),
                  "Answer: C\n\nThe last line of your response should be of the form Answer: $LETTER");
  EXPECT_TRUE(r.correct()) << r.reason;
}

TEST(VerifyChoice, OptionTextChoosesItsLetter) {
  EXPECT_TRUE(verify(choice_task("B"), "Answer: 7 meters").correct());
  EXPECT_FALSE(verify(choice_task("A"), "Answer: 7 meters").correct());
}

TEST(VerifyChoice, TruncatedInsideThinkFailsClosed) {
  EXPECT_EQ(verify(choice_task("C"), "<think>Answer: C").reason, "truncated inside <think>");
}

TEST(VerifyChoice, BadGoldLetterIsAJudgeError) {
  Task t = choice_task("C");
  t.answer = "F";
  EXPECT_EQ(verify(t, "Answer: F").verdict, Verdict::kJudgeError);
}

// --- other kinds --------------------------------------------------------------------------------

TEST(VerifyDispatch, MalformedCodeOrPatchTestsAreAJudgeErrorNamingTheField) {
  Task t;
  t.id = "cf-1";
  t.kind = TaskKind::kCode;
  t.tests = nlohmann::json::object();
  auto r = verify(t, "```cpp\nint main(){}\n```");
  EXPECT_EQ(r.verdict, Verdict::kJudgeError);
  EXPECT_NE(r.reason.find("cases"), std::string::npos) << r.reason;
  t.kind = TaskKind::kPatch;
  r = verify(t, "```diff\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n```");
  EXPECT_EQ(r.verdict, Verdict::kJudgeError);
  EXPECT_NE(r.reason.find("cf-1"), std::string::npos) << r.reason;
}

TEST(VerifyDispatch, CodeTasksAreJudgedInTheSandbox) {
  if (Status s = sandbox::check_sandbox_available(); !s.is_ok()) GTEST_SKIP() << s.message();
  Task t;
  t.id = "a-plus-b";
  t.kind = TaskKind::kCode;
  t.tests = nlohmann::json::parse(R"({"language": "cpp", "time_limit_ms": 1000, "memory_limit_mb": 256,
      "checker": {"type": "tokens"}, "cases": [{"input": "1 2\n", "output": "3\n"}, {"input": "-5 5\n", "output": "0\n"}]})");
  const std::string ok = "<think>add them</think>\n```cpp\n#include <iostream>\nint main(){long long a,b;std::cin>>a>>b;std::cout<<a+b;}\n```";
  auto r = verify(t, ok);
  EXPECT_EQ(r.verdict, Verdict::kCorrect) << r.reason;
  EXPECT_EQ(r.reward, 1.0);
  EXPECT_EQ(r.details["judge"], "accepted");
  const std::string wrong = "```python\na, b = map(int, input().split())\nprint(a - b)\n```";
  r = verify(t, wrong);
  EXPECT_EQ(r.verdict, Verdict::kWrong) << r.reason;
  EXPECT_EQ(r.details["failed_test"], 0);
  r = verify(t, "```cpp\nint main( {\n```");
  EXPECT_EQ(r.verdict, Verdict::kCompileError);
  r = verify(t, "I would add the two numbers.");
  EXPECT_EQ(r.verdict, Verdict::kWrong);
}

TEST(VerifyExpression, BoxedFractionMatchesTheGold) {
  EXPECT_TRUE(verify(expression_task("\\frac{1}{2}"), "\\boxed{\\dfrac{1}{2}}").correct());
  EXPECT_FALSE(verify(expression_task("\\frac{1}{2}"), "\\boxed{\\frac{1}{3}}").correct());
}

// --- same_answer --------------------------------------------------------------------------------

TEST(VerifySameAnswer, IntegersGroupByCanonicalValue) {
  Task t = integer_task("25");
  EXPECT_TRUE(same_answer(t, "025", "25"));
  EXPECT_TRUE(same_answer(t, "27.0", "27"));
  EXPECT_FALSE(same_answer(t, "25", "26"));
  EXPECT_FALSE(same_answer(t, "", ""));
}

TEST(VerifySameAnswer, LettersGroupCaseInsensitively) {
  Task t = choice_task("A");
  EXPECT_TRUE(same_answer(t, "c", "C"));
  EXPECT_TRUE(same_answer(t, "(C)", "C"));
  EXPECT_FALSE(same_answer(t, "B", "C"));
}

TEST(VerifySameAnswer, ExpressionsGroupByEquivalence) {
  Task t = expression_task("\\frac{1}{2}");
  EXPECT_TRUE(same_answer(t, "\\dfrac{1}{2}", "\\frac{1}{2}"));
  EXPECT_FALSE(same_answer(t, "\\frac{1}{2}", "\\frac{1}{3}"));
}

}  // namespace
}  // namespace r1b::tasks
