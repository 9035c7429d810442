// The answer-pair table (answer_pairs.tsv): every construct of issue 3, equal and not equal, graded
// through verify() with the answer boxed in a completion, and through same_answer() both ways.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tasks/verify/verify.h"

namespace r1b::tasks {
namespace {

struct Pair {
  int line = 0;
  std::string gold, answer, construct;
  bool equal = false;
};

std::vector<Pair> read_pairs() {
  std::ifstream in(std::string(R1B_SOURCE_DIR) + "/tests/tasks/verify/answer_pairs.tsv");
  std::vector<Pair> pairs;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    size_t start = 0;
    for (size_t tab = line.find('\t'); tab != std::string::npos; tab = line.find('\t', start)) {
      cols.push_back(line.substr(start, tab - start));
      start = tab + 1;
    }
    cols.push_back(line.substr(start));
    EXPECT_EQ(cols.size(), 4u) << "answer_pairs.tsv:" << number << ": expected 4 tab-separated columns";
    if (cols.size() != 4) continue;
    EXPECT_TRUE(cols[2] == "equal" || cols[2] == "different") << "answer_pairs.tsv:" << number;
    pairs.push_back({number, cols[0], cols[1], cols[3], cols[2] == "equal"});
  }
  return pairs;
}

Task math_task(const std::string& gold) {
  Task t;
  t.id = "pair";
  t.kind = TaskKind::kMath;
  t.answer = gold;
  t.answer_format = AnswerFormat::kExpression;
  return t;
}

TEST(VerifyAnswerPairs, TableHasAtLeast300PairsInBothDirections) {
  auto pairs = read_pairs();
  ASSERT_GE(pairs.size(), 300u);
  size_t equal = 0;
  for (const auto& p : pairs) {
    equal += p.equal;
  }
  EXPECT_GE(equal, 150u);
  EXPECT_GE(pairs.size() - equal, 120u);
}

TEST(VerifyAnswerPairs, EveryPairGradesAsExpectedThroughVerify) {
  int failures = 0;
  for (const auto& p : read_pairs()) {
    Task task = math_task(p.gold);
    std::string completion = "<think>\nworking\n</think>\nSo the final answer is $\\boxed{" + p.answer + "}$.";
    VerifyResult r = verify(task, completion);
    bool ok = r.verdict == (p.equal ? Verdict::kCorrect : Verdict::kWrong);
    if (!ok) ++failures;
    EXPECT_TRUE(ok) << "answer_pairs.tsv:" << p.line << " [" << p.construct << "] gold \"" << p.gold
                    << "\" answer \"" << p.answer << "\": expected " << (p.equal ? "correct" : "wrong") << ", got "
                    << verdict_name(r.verdict) << " (" << r.reason << ")";
  }
  EXPECT_EQ(failures, 0);
}

TEST(VerifyAnswerPairs, SameAnswerAgreesInBothOrders) {
  for (const auto& p : read_pairs()) {
    Task task = math_task(p.gold);
    EXPECT_EQ(same_answer(task, p.gold, p.answer), p.equal) << "answer_pairs.tsv:" << p.line << " " << p.construct;
    EXPECT_EQ(same_answer(task, p.answer, p.gold), p.equal)
        << "answer_pairs.tsv:" << p.line << " " << p.construct << " (reversed)";
  }
}

TEST(VerifyAnswerPairs, EveryGoldIsReadableAndEqualToItself) {
  for (const auto& p : read_pairs()) {
    Task task = math_task(p.gold);
    VerifyResult r = verify(task, "\\boxed{" + p.gold + "}");
    EXPECT_EQ(r.verdict, Verdict::kCorrect) << "answer_pairs.tsv:" << p.line << " gold \"" << p.gold << "\": " << r.reason;
  }
}

}  // namespace
}  // namespace r1b::tasks
