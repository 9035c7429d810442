// Answer extraction (extract.h): where the final answer is read from, and the failure modes of
// issue 3 item 6 (last final answer wins, truncation fails closed, any math delimiter, bold finals).
#include "tasks/verify/extract.h"

#include <gtest/gtest.h>

namespace r1b::tasks::verifier {
namespace {

Extraction extract(std::string_view completion, bool after_think = true, bool fallback = true) {
  return extract_final_answer(completion, after_think, fallback);
}

TEST(ExtractAnswer, LastBoxWinsNotTheFirst) {
  auto ex = extract("\\boxed{1} then \\boxed{2} finally \\boxed{3}");
  EXPECT_EQ(ex.status, ExtractStatus::kFound);
  EXPECT_EQ(ex.answer, "3");
  EXPECT_EQ(ex.source, CandidateKind::kBoxed);
}

TEST(ExtractAnswer, BoxesAreNeverMergedOrConcatenated) {
  EXPECT_EQ(extract("\\boxed{1}\\boxed{2}").answer, "2");
  EXPECT_EQ(extract("\\boxed{1}, \\boxed{2}").answer, "2");
}

TEST(ExtractAnswer, LaterAnswerLineBeatsEarlierBox) {
  auto ex = extract("First guess \\boxed{4}. Wait, that is wrong.\nFinal answer: 5");
  EXPECT_EQ(ex.answer, "5");
  EXPECT_EQ(ex.source, CandidateKind::kFinalAnswerLine);
}

TEST(ExtractAnswer, FirstAnswerLineDoesNotWin) {
  EXPECT_EQ(extract("Answer: 3\nHmm, recheck.\nAnswer: 4").answer, "4");
}

TEST(ExtractAnswer, EchoedInstructionAfterTheAnswerIsIgnored) {
  EXPECT_EQ(extract("\\boxed{7}\nPlease reason step by step, and put your final answer within \\boxed{}.").answer, "7");
  EXPECT_EQ(extract("Answer: 7\nThe final answer should be written as Answer: $ANSWER").answer, "7");
}

TEST(ExtractAnswer, TruncationInsideThinkFailsClosed) {
  auto ex = extract("<think>so the answer is \\boxed{5}");
  EXPECT_EQ(ex.status, ExtractStatus::kTruncatedInThink);
  EXPECT_EQ(ex.reason, "truncated inside <think>");
}

TEST(ExtractAnswer, OpenBoxAtTheEndFailsClosedEvenAfterAClosedOne) {
  auto ex = extract("\\boxed{5}. Actually \\boxed{\\frac{1}{");
  EXPECT_EQ(ex.status, ExtractStatus::kUnclosedBox);
}

TEST(ExtractAnswer, NestedBracesAreKept) {
  EXPECT_EQ(extract("\\boxed{\\frac{\\sqrt{3}}{2}}").answer, "\\frac{\\sqrt{3}}{2}");
  EXPECT_EQ(extract("\\boxed{\\{1, 2\\}}").answer, "\\{1, 2\\}");
}

TEST(ExtractAnswer, BoxWithoutBracesTakesTheNextToken) {
  EXPECT_EQ(extract("so \\boxed 5 is it").answer, "5");
}

TEST(ExtractAnswer, MathInAnyDelimiterIsRead) {
  EXPECT_EQ(extract("The final answer is $\\frac{1}{2}$.").answer, "\\frac{1}{2}");
  EXPECT_EQ(extract("The final answer is \\(\\frac{1}{2}\\).").answer, "\\frac{1}{2}");
  EXPECT_EQ(extract("The final answer is \\[\\frac{1}{2}\\]").answer, "\\frac{1}{2}");
  EXPECT_EQ(extract("The final answer is $$\\frac{1}{2}$$").answer, "\\frac{1}{2}");
}

TEST(ExtractAnswer, MarkdownBoldFinalsAreRead) {
  EXPECT_EQ(extract("**Final Answer:** 12").answer, "12");
  EXPECT_EQ(extract("**Answer: 12**").answer, "12");
  EXPECT_EQ(extract("The answer is **12**.").answer, "12");
  EXPECT_EQ(extract("### Final Answer\n\n**12**").answer, "12");
  EXPECT_EQ(extract("**Final Answer**\n$$\n\\frac{3}{4}\n$$").answer, "\\frac{3}{4}");
}

TEST(ExtractAnswer, AnswerLineProseIsCutAtTheExplanation) {
  EXPECT_EQ(extract("The answer is 12 because the sum is even.").answer, "12");
  EXPECT_EQ(extract("Answer: 12. This follows from the lemma.").answer, "12");
}

TEST(ExtractAnswer, ProseMentioningAnAnswerIsNotAnAnswerLine) {
  auto ex = extract("\\boxed{12}\n\nThis answer is consistent with the constraints.");
  EXPECT_EQ(ex.answer, "12");
}

TEST(ExtractAnswer, RegionIsAfterTheLastThinkClose) {
  EXPECT_EQ(extract("<think>\\boxed{1}</think>\\boxed{2}").answer, "2");
  EXPECT_EQ(extract("<think>\\boxed{1}</think>\\boxed{2}", false).answer, "2");
  EXPECT_EQ(extract("<think>a</think>b</think>\\boxed{3}").answer, "3");
}

TEST(ExtractAnswer, LastNumberFallbackAndItsSwitch) {
  auto ex = extract("so it is 42 apples");
  EXPECT_EQ(ex.answer, "42");
  EXPECT_EQ(ex.source, CandidateKind::kLastNumber);
  EXPECT_EQ(extract("so it is 42 apples", true, false).status, ExtractStatus::kNoAnswer);
}

TEST(ExtractAnswer, LastNumberInsideMathTakesTheMath) {
  auto ex = extract("so we get \\(\\frac{1}{2}\\)");
  EXPECT_EQ(ex.answer, "\\frac{1}{2}");
  EXPECT_EQ(ex.source, CandidateKind::kLastMath);
}

TEST(ExtractAnswer, NumbersWithSeparatorsAndSigns) {
  EXPECT_EQ(extract("total: -1,234 items").answer, "-1,234");
  EXPECT_EQ(extract("ratio 3/4 overall").answer, "3/4");
  EXPECT_EQ(extract("it is .5 now").answer, ".5");
}

TEST(ExtractAnswer, NothingToExtractIsNoAnswer) {
  EXPECT_EQ(extract("").status, ExtractStatus::kNoAnswer);
  EXPECT_EQ(extract("no digits at all").status, ExtractStatus::kNoAnswer);
  EXPECT_EQ(extract("</think>").status, ExtractStatus::kNoAnswer);
}

}  // namespace
}  // namespace r1b::tasks::verifier
