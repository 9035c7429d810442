// Format reward (format_reward.h), repetition detection (repetition.h) and the language-consistency
// measure (language_mix.h), and how verify() reports them in its details.
#include <gtest/gtest.h>

#include <string>

#include "tasks/verify/format_reward.h"
#include "tasks/verify/language_mix.h"
#include "tasks/verify/repetition.h"
#include "tasks/verify/verify.h"

namespace r1b::tasks {
namespace {

TEST(FormatReward, ThinkThenAnswerEarnsTheReward) {
  auto check = check_format("<think>\nreasoning\n</think>\nThe answer is 5.");
  EXPECT_TRUE(check.ok) << check.reason;
  EXPECT_EQ(check.reward, 1.0);
}

TEST(FormatReward, EachBrokenRuleHasItsReason) {
  EXPECT_EQ(check_format("The answer is 5.").reason, "no </think>");
  EXPECT_EQ(check_format("reasoning</think>5").reason, "no <think>");
  EXPECT_EQ(check_format("hi <think>r</think>5").reason, "text before <think>");
  EXPECT_EQ(check_format("<think> </think>5").reason, "empty reasoning");
  EXPECT_EQ(check_format("<think>r</think>  ").reason, "no answer after </think>");
  EXPECT_EQ(check_format("<think>r</think>5</think>").reason, "more than one </think>");
  EXPECT_EQ(check_format("<think>r<think>s</think>5").reason, "more than one <think>");
  EXPECT_EQ(check_format("<think>r</think>5").reward, 1.0);
}

TEST(FormatReward, PromptOpenedThinkIsAccepted) {
  FormatOptions opts;
  opts.think_opened_by_prompt = true;
  EXPECT_TRUE(check_format("reasoning\n</think>\n5", opts).ok);
  EXPECT_FALSE(check_format("<think>reasoning</think>5", opts).ok);
}

TEST(FormatReward, AnswerTagsWhenRequired) {
  FormatOptions opts;
  opts.require_answer_tags = true;
  EXPECT_TRUE(check_format("<think>r</think> <answer>5</answer>", opts).ok);
  EXPECT_FALSE(check_format("<think>r</think> 5", opts).ok);
  EXPECT_FALSE(check_format("<think>r</think> <answer> </answer>", opts).ok);
  EXPECT_FALSE(check_format("<think>r</think> <answer>5</answer> extra", opts).ok);
}

TEST(Repetition, LoopingTailIsDetected) {
  std::string text = "Let us begin the proof carefully with several distinct steps here. ";
  for (int k = 0; k < 200; ++k) text += "Wait, let me recompute the sum of the first terms again. ";
  auto report = detect_repetition(text);
  EXPECT_TRUE(report.looping);
  EXPECT_GT(report.repeated_share, 0.8);
}

TEST(Repetition, OrdinaryReasoningIsNotLooping) {
  std::string text;
  for (int k = 0; k < 300; ++k) text += "step " + std::to_string(k) + " adds " + std::to_string(k * 7 % 13) + " to it. ";
  auto report = detect_repetition(text);
  EXPECT_FALSE(report.looping);
  EXPECT_LT(report.repeated_share, 0.2);
  EXPECT_FALSE(detect_repetition("").looping);
}

TEST(Repetition, HugeInputIsBounded) {
  std::string text;
  while (text.size() < (8u << 20)) text += "a b c d e f g h i j ";
  auto report = detect_repetition(text);
  EXPECT_EQ(report.num_words, kMaxRepetitionWords);
  EXPECT_TRUE(report.looping);
}

TEST(LanguageMix, EnglishReasoningForEnglishPromptIsConsistent) {
  auto mix = measure_language("Find the value of x.", "We solve the equation $x^2 = 4$ and get x = 2.");
  EXPECT_EQ(mix.target, "Latin");
  EXPECT_DOUBLE_EQ(mix.target_share, 1.0);
  EXPECT_FALSE(mix.mixed);
}

TEST(LanguageMix, ChineseWordsInEnglishReasoningAreMixed) {
  auto mix = measure_language("Find the value of x.",
                              "We solve the equation. \u6211\u4eec\u9700\u8981\u8ba1\u7b97 the square, then "
                              "\u6240\u4ee5\u7b54\u6848\u662f two.");
  EXPECT_EQ(mix.target, "Latin");
  EXPECT_TRUE(mix.mixed);
  EXPECT_LT(mix.target_share, 1.0);
  EXPECT_GT(mix.words_by_script["CJK"], 0u);
}

TEST(LanguageMix, ChinesePromptTargetsCjk) {
  auto mix = measure_language("\u6c42 x \u7684\u503c\u3002", "\u6211\u4eec\u89e3\u65b9\u7a0b $x^2=4$\uff0c\u5f97\u5230 x=2\u3002");
  EXPECT_EQ(mix.target, "CJK");
  EXPECT_DOUBLE_EQ(mix.target_share, 1.0);
  EXPECT_FALSE(mix.mixed);
}

TEST(LanguageMix, MathAndVariablesAreNotWords) {
  auto mix = measure_language("Compute it.", "$\\frac{\\alpha}{\\beta}$ \\sqrt{x} x y z 12 + 7 = 19 \u03c0");
  EXPECT_EQ(mix.num_words, 0u);
  EXPECT_DOUBLE_EQ(mix.target_share, 1.0);
}

TEST(LanguageMix, InvalidUtf8IsHandled) {
  auto mix = measure_language("Find x.", std::string("abc \xff\xfe def ghi"));
  EXPECT_GE(mix.num_words, 2u);
}

TEST(VerifyStyleDetails, VerifyReportsFormatRepetitionAndLanguage) {
  Task task;
  task.id = "s";
  task.kind = TaskKind::kMath;
  task.prompt = "Find the sum.";
  task.answer = "5";
  auto r = verify(task, "We add them.\n</think>\n\\boxed{5}");
  ASSERT_TRUE(r.details.contains("format"));
  EXPECT_TRUE(r.details["format"]["ok"].get<bool>());
  EXPECT_FALSE(r.details["repetition"]["looping"].get<bool>());
  EXPECT_EQ(r.details["language"]["target"], "Latin");
  EXPECT_FALSE(r.details["language"]["mixed"].get<bool>());
  VerifyOptions quiet;
  quiet.report_style = false;
  EXPECT_FALSE(verify(task, "\\boxed{5}", quiet).details.contains("format"));
}

TEST(VerifyStyleDetails, StyleNeverChangesTheVerdict) {
  Task task;
  task.id = "s";
  task.kind = TaskKind::kMath;
  task.answer = "5";
  EXPECT_TRUE(verify(task, "no think tags at all, \\boxed{5}").correct());
}

}  // namespace
}  // namespace r1b::tasks
