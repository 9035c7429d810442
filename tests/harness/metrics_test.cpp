#include "harness/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>

namespace r1b::harness {
namespace {

using results::MetricRow;

SampleOutcome sample(int sample_idx, bool correct, std::string extracted = "", std::string verdict = "") {
  if (verdict.empty()) verdict = correct ? "correct" : "wrong";
  return {sample_idx, correct, verdict, std::move(extracted), std::nullopt, 0, std::nullopt, std::nullopt};
}

// A problem whose first `num_correct` of `n` samples are correct.
ProblemSamples problem(std::string pack, std::string task_id, int n, int num_correct,
                       std::map<std::string, std::string> slices = {}) {
  ProblemSamples result{std::move(pack), std::move(task_id), std::move(slices), {}};
  for (int i = 0; i < n; ++i) result.samples.push_back(sample(i, i < num_correct));
  return result;
}

const MetricRow* find_row(const std::vector<MetricRow>& rows, const std::string& pack,
                          const std::string& slice, const std::string& metric, int k) {
  for (const MetricRow& row : rows) {
    if (row.pack == pack && row.slice == slice && row.metric == metric && row.k == k) return &row;
  }
  return nullptr;
}

std::vector<MetricRow> metrics_or_die(std::span<const ProblemSamples> problems, int n,
                                      const MetricOptions& options = {}) {
  Result<std::vector<MetricRow>> rows = compute_metrics(1, problems, n, nullptr, options);
  EXPECT_TRUE(rows.is_ok()) << rows.status().message();
  return rows.is_ok() ? *rows : std::vector<MetricRow>{};
}

TEST(Metrics, PassAtKMatchesHandValuesForFourSamplesTwoCorrect) {
  EXPECT_DOUBLE_EQ(pass_at_k(4, 2, 1), 0.5);
  EXPECT_DOUBLE_EQ(pass_at_k(4, 2, 2), 1.0 - 1.0 / 6.0);  // 1 − C(2,2)/C(4,2)
  EXPECT_DOUBLE_EQ(pass_at_k(4, 2, 3), 1.0);
  EXPECT_DOUBLE_EQ(pass_at_k(4, 2, 4), 1.0);
}

TEST(Metrics, PassAtKMatchesBruteForceBinomialsForSixtyFourSamples) {
  constexpr int n = 64;
  // Pascal's triangle in exact integers: C(64, 32) < 2^64.
  std::vector<std::vector<uint64_t>> choose(n + 1, std::vector<uint64_t>(n + 1, 0));
  for (int row = 0; row <= n; ++row) {
    choose[row][0] = 1;
    for (int col = 1; col <= row; ++col) choose[row][col] = choose[row - 1][col - 1] + choose[row - 1][col];
  }
  for (int c = 0; c <= n; ++c) {
    for (int k = 1; k <= n; ++k) {
      const double expected = 1.0 - static_cast<double>(choose[n - c][k]) / static_cast<double>(choose[n][k]);
      EXPECT_NEAR(pass_at_k(n, c, k), expected, 1e-12) << "c=" << c << " k=" << k;
    }
  }
}

TEST(Metrics, PassAtOneIsMeanOfCorrectOverNAndPassAtKUsesTheEstimator) {
  const std::vector<ProblemSamples> problems = {problem("math", "a", 4, 2), problem("math", "b", 4, 0),
                                                problem("math", "c", 4, 4)};
  const std::vector<MetricRow> rows = metrics_or_die(problems, 4);
  const MetricRow* pass1 = find_row(rows, "math", "", "pass@k", 1);
  ASSERT_NE(pass1, nullptr);
  EXPECT_DOUBLE_EQ(pass1->value, (0.5 + 0.0 + 1.0) / 3.0);
  EXPECT_EQ(pass1->num_problems, 3);
  const MetricRow* pass2 = find_row(rows, "math", "", "pass@k", 2);
  ASSERT_NE(pass2, nullptr);
  EXPECT_NEAR(pass2->value, (5.0 / 6.0 + 0.0 + 1.0) / 3.0, 1e-12);
  EXPECT_NE(find_row(rows, "math", "", "pass@k", 4), nullptr);
  EXPECT_EQ(find_row(rows, "math", "", "pass@k", 5), nullptr);
}

TEST(Metrics, RowsCoverWholeRunEveryPackAndEverySliceValue) {
  const std::vector<ProblemSamples> problems = {
      problem("math", "a", 2, 2, {{"subject", "Algebra"}, {"level", "3"}}),
      problem("math", "b", 2, 0, {{"subject", "Geometry"}, {"level", "3"}}),
      problem("aime", "c", 2, 1, {{"year", "2024"}})};
  const std::vector<MetricRow> rows = metrics_or_die(problems, 2);
  const auto pass1 = [&](const std::string& pack, const std::string& slice) {
    const MetricRow* row = find_row(rows, pack, slice, "pass@k", 1);
    EXPECT_NE(row, nullptr) << pack << " " << slice;
    return row != nullptr ? std::pair(row->value, row->num_problems) : std::pair(-1.0, int64_t{-1});
  };
  EXPECT_EQ(pass1("*", ""), std::pair(0.5, int64_t{3}));
  EXPECT_EQ(pass1("math", ""), std::pair(0.5, int64_t{2}));
  EXPECT_EQ(pass1("aime", ""), std::pair(0.5, int64_t{1}));
  EXPECT_EQ(pass1("math", "subject=Algebra"), std::pair(1.0, int64_t{1}));
  EXPECT_EQ(pass1("math", "subject=Geometry"), std::pair(0.0, int64_t{1}));
  EXPECT_EQ(pass1("math", "level=3"), std::pair(0.5, int64_t{2}));
  EXPECT_EQ(pass1("aime", "year=2024"), std::pair(0.5, int64_t{1}));
  EXPECT_EQ(pass1("*", "year=2024"), std::pair(0.5, int64_t{1}));
  EXPECT_EQ(find_row(rows, "aime", "level=3", "pass@k", 1), nullptr);
  EXPECT_EQ(rows.front().pack, "*");
}

TEST(Metrics, ConsensusCountsEquivalentAnswersAsOneVote) {
  ProblemSamples votes{"math",
                       "half",
                       {},
                       {sample(0, false, "3"), sample(1, true, "1/2"), sample(2, false, "3"),
                        sample(3, true, "0.5"), sample(4, true, "0.5")}};
  const SameAnswer halves_match = [](const ProblemSamples&, const std::string& a, const std::string& b) {
    const auto is_half = [](const std::string& text) { return text == "1/2" || text == "0.5"; };
    return is_half(a) && is_half(b);
  };
  // Exact strings: "3" and "0.5" tie at two votes and "3" was seen first.
  EXPECT_FALSE(majority_vote_correct(votes, nullptr));
  EXPECT_TRUE(majority_vote_correct(votes, halves_match));
  const std::vector<ProblemSamples> problems = {votes};
  Result<std::vector<MetricRow>> rows = compute_metrics(1, problems, 5, halves_match, {});
  ASSERT_TRUE(rows.is_ok()) << rows.status().message();
  const MetricRow* cons = find_row(*rows, "math", "", "cons@k", 5);
  ASSERT_NE(cons, nullptr);
  EXPECT_EQ(cons->value, 1.0);
}

TEST(Metrics, ConsensusTieGoesToTheGroupWithTheSmallestSampleIdx) {
  ProblemSamples tied{
      "math",
      "tie",
      {},
      {sample(0, false, "7"), sample(1, true, "5"), sample(2, true, "5"), sample(3, false, "7")}};
  EXPECT_FALSE(majority_vote_correct(tied, nullptr));
  // The list order does not matter, only sample_idx does.
  std::reverse(tied.samples.begin(), tied.samples.end());
  EXPECT_FALSE(majority_vote_correct(tied, nullptr));
  tied.samples = {sample(3, false, "7"), sample(0, true, "5"), sample(2, false, "7"), sample(1, true, "5")};
  EXPECT_TRUE(majority_vote_correct(tied, nullptr));
}

TEST(Metrics, EmptyAnswersDoNotVoteAndNoVotesIsWrong) {
  ProblemSamples mostly_empty{
      "math", "e", {}, {sample(0, false, ""), sample(1, false, ""), sample(2, true, "4")}};
  EXPECT_TRUE(majority_vote_correct(mostly_empty, nullptr));
  ProblemSamples all_empty{"math", "e", {}, {sample(0, true, ""), sample(1, true, "")}};
  EXPECT_FALSE(majority_vote_correct(all_empty, nullptr));
}

TEST(Metrics, JudgeErrorsAreCountedAndLeftOutNeverScoredWrong) {
  ProblemSamples flaky{"code",
                       "f",
                       {},
                       {sample(0, true, "1"), sample(1, false, "9", "judge_error"), sample(2, false, "2"),
                        sample(3, false, "9", "judge_error")}};
  const std::vector<ProblemSamples> problems = {flaky, problem("code", "g", 4, 4)};
  const std::vector<MetricRow> rows = metrics_or_die(problems, 4);
  const MetricRow* judge_errors = find_row(rows, "code", "", "judge_errors", 0);
  ASSERT_NE(judge_errors, nullptr);
  EXPECT_EQ(judge_errors->value, 2.0);
  EXPECT_FALSE(judge_errors->ci_low.has_value());
  const MetricRow* pass1 = find_row(rows, "code", "", "pass@k", 1);
  ASSERT_NE(pass1, nullptr);
  EXPECT_DOUBLE_EQ(pass1->value, (1.0 / 2.0 + 1.0) / 2.0);  // c=1 of n_i=2, not of 4
  const MetricRow* pass2 = find_row(rows, "code", "", "pass@k", 2);
  ASSERT_NE(pass2, nullptr);
  EXPECT_EQ(pass2->num_problems, 2);
  const MetricRow* pass3 = find_row(rows, "code", "", "pass@k", 3);
  ASSERT_NE(pass3, nullptr);
  EXPECT_EQ(pass3->num_problems, 1);  // n_i = 2 < 3: the flaky problem cannot estimate pass@3
  // "9" came from the judge errors only, so it does not outvote the graded answers.
  EXPECT_TRUE(majority_vote_correct(flaky, nullptr));
  Result<std::vector<ProblemScore>> scores = problem_scores(problems, 4);
  ASSERT_TRUE(scores.is_ok()) << scores.status().message();
  ASSERT_EQ(scores->size(), 2u);
  EXPECT_DOUBLE_EQ((*scores)[0].score, 0.5);
}

TEST(Metrics, ProblemWithOnlyJudgeErrorsIsLeftOutOfScores) {
  ProblemSamples broken{
      "code", "x", {}, {sample(0, false, "", "judge_error"), sample(1, false, "", "judge_error")}};
  const std::vector<ProblemSamples> problems = {broken, problem("code", "y", 2, 1)};
  const std::vector<MetricRow> rows = metrics_or_die(problems, 2);
  EXPECT_EQ(find_row(rows, "code", "", "pass@k", 1)->num_problems, 1);
  EXPECT_EQ(find_row(rows, "code", "", "cons@k", 2)->num_problems, 1);
  EXPECT_EQ(find_row(rows, "code", "", "judge_errors", 0)->num_problems, 2);
  EXPECT_EQ(problem_scores(problems, 2)->size(), 1u);
}

TEST(Metrics, PassAtOneIsInvariantToSampleOrder) {
  std::vector<ProblemSamples> problems;
  for (int i = 0; i < 10; ++i) problems.push_back(problem("math", std::to_string(i), 8, i % 9));
  const std::vector<MetricRow> ordered = metrics_or_die(problems, 8);
  std::mt19937 rng(3);
  for (ProblemSamples& shuffled : problems)
    std::shuffle(shuffled.samples.begin(), shuffled.samples.end(), rng);
  const std::vector<MetricRow> shuffled = metrics_or_die(problems, 8);
  ASSERT_EQ(ordered.size(), shuffled.size());
  for (size_t i = 0; i < ordered.size(); ++i) {
    EXPECT_EQ(ordered[i].value, shuffled[i].value) << ordered[i].metric << ordered[i].k;
    EXPECT_EQ(ordered[i].ci_low, shuffled[i].ci_low) << ordered[i].metric << ordered[i].k;
  }
}

TEST(Metrics, PassAtOneDoesNotDriftWhenNGrowsWithTheSameRates) {
  std::vector<ProblemSamples> four, eight;
  for (int correct = 0; correct <= 4; ++correct) {
    four.push_back(problem("math", std::to_string(correct), 4, correct));
    eight.push_back(problem("math", std::to_string(correct), 8, 2 * correct));
  }
  const std::vector<MetricRow> rows_four = metrics_or_die(four, 4);
  const std::vector<MetricRow> rows_eight = metrics_or_die(eight, 8);
  const MetricRow* pass1_four = find_row(rows_four, "math", "", "pass@k", 1);
  const MetricRow* pass1_eight = find_row(rows_eight, "math", "", "pass@k", 1);
  ASSERT_NE(pass1_four, nullptr);
  ASSERT_NE(pass1_eight, nullptr);
  EXPECT_EQ(pass1_four->value, 0.5);
  EXPECT_EQ(pass1_eight->value, pass1_four->value);
}

TEST(Metrics, BootstrapIntervalContainsEstimateAndRepeatsForASeed) {
  std::vector<ProblemSamples> problems;
  for (int i = 0; i < 60; ++i) problems.push_back(problem("math", std::to_string(i), 4, (i * 7) % 5));
  MetricOptions options;
  options.bootstrap.seed = 11;
  const std::vector<MetricRow> first = metrics_or_die(problems, 4, options);
  for (const MetricRow& row : first) {
    if (!row.ci_low) continue;
    EXPECT_LE(*row.ci_low, row.value) << row.metric << row.k;
    EXPECT_GE(*row.ci_high, row.value) << row.metric << row.k;
  }
  const MetricRow* pass1 = find_row(first, "math", "", "pass@k", 1);
  ASSERT_NE(pass1, nullptr);
  EXPECT_LT(*pass1->ci_low, *pass1->ci_high);
  const MetricRow* again = find_row(metrics_or_die(problems, 4, options), "math", "", "pass@k", 1);
  EXPECT_EQ(again->ci_low, pass1->ci_low);
  EXPECT_EQ(again->ci_high, pass1->ci_high);
  options.bootstrap.seed = 12;
  const MetricRow* reseeded = find_row(metrics_or_die(problems, 4, options), "math", "", "pass@k", 1);
  EXPECT_NE(reseeded->ci_low, pass1->ci_low);
}

TEST(Metrics, ConstantScoresGiveAZeroWidthInterval) {
  const std::vector<ProblemSamples> problems = {problem("math", "a", 2, 1), problem("math", "b", 2, 1)};
  const MetricRow* pass1 = find_row(metrics_or_die(problems, 2), "math", "", "pass@k", 1);
  ASSERT_NE(pass1, nullptr);
  EXPECT_EQ(*pass1->ci_low, 0.5);
  EXPECT_EQ(*pass1->ci_high, 0.5);
}

TEST(Metrics, LengthStatsNeedEveryTokenCount) {
  ProblemSamples counted = problem("math", "a", 4, 1);
  const int64_t tokens[] = {10, 40, 20, 30};
  for (int i = 0; i < 4; ++i) {
    counted.samples[i].completion_tokens = tokens[i];
    counted.samples[i].completion_chars = 100 * (i + 1);
  }
  std::vector<ProblemSamples> problems = {counted};
  std::vector<MetricRow> rows = metrics_or_die(problems, 4);
  ASSERT_NE(find_row(rows, "math", "", "mean_completion_tokens", 0), nullptr);
  EXPECT_EQ(find_row(rows, "math", "", "mean_completion_tokens", 0)->value, 25.0);
  EXPECT_EQ(find_row(rows, "math", "", "median_completion_tokens", 0)->value, 25.0);
  EXPECT_EQ(find_row(rows, "math", "", "mean_completion_chars", 0)->value, 250.0);
  problems.push_back(problem("math", "b", 4, 0));  // no token counts
  rows = metrics_or_die(problems, 4);
  EXPECT_EQ(find_row(rows, "math", "", "mean_completion_tokens", 0), nullptr);
  EXPECT_EQ(find_row(rows, "math", "", "median_completion_tokens", 0), nullptr);
  EXPECT_EQ(find_row(rows, "math", "", "mean_completion_chars", 0)->value, 125.0);
}

TEST(Metrics, UnfinishedOrDuplicatedProblemIsAnErrorNotAnAverage) {
  std::vector<ProblemSamples> problems = {problem("math", "a", 4, 2), problem("math", "short", 3, 1)};
  Result<std::vector<MetricRow>> rows = compute_metrics(1, problems, 4, nullptr, {});
  ASSERT_FALSE(rows.is_ok());
  EXPECT_NE(rows.status().message().find("math/short has 3 graded samples, expected n=4"), std::string::npos)
      << rows.status().message();
  EXPECT_FALSE(problem_scores(problems, 4).is_ok());

  problems = {problem("math", "a", 2, 2), problem("math", "a", 2, 0)};
  EXPECT_FALSE(compute_metrics(1, problems, 2, nullptr, {}).is_ok());
  problems = {problem("math", "a", 2, 2)};
  problems[0].samples[1].sample_idx = 0;
  EXPECT_FALSE(compute_metrics(1, problems, 2, nullptr, {}).is_ok());
  EXPECT_FALSE(compute_metrics(1, problems, 0, nullptr, {}).is_ok());
}

TEST(Metrics, GroupSamplesBuildsProblemsFromStoreRows) {
  const auto row = [](std::string task_id, int sample_idx, bool correct) {
    results::SampleRow result;
    result.run_id = 1;
    result.pack = "math";
    result.task_id = std::move(task_id);
    result.sample_idx = sample_idx;
    result.correct = correct;
    result.verdict = correct ? "correct" : "wrong";
    return result;
  };
  std::vector<results::SampleRow> rows = {row("a", 1, false), row("b", 0, true), row("a", 0, true)};
  rows[0].completion = "héllo";
  rows[2].extracted = "4";
  rows[2].completion_tokens = 7;
  const std::vector<ProblemSamples> problems = group_samples(rows);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].task_id, "a");
  ASSERT_EQ(problems[0].samples.size(), 2u);
  EXPECT_EQ(problems[0].samples[0].sample_idx, 0);
  EXPECT_EQ(problems[0].samples[0].extracted, "4");
  EXPECT_EQ(problems[0].samples[0].completion_tokens, 7);
  EXPECT_EQ(problems[0].samples[1].completion_chars, 5);  // code points, not bytes
}

TEST(Metrics, LanguageMixingComesFromTheVerifierMeasure) {
  results::SampleRow a;
  a.pack = "math";
  a.task_id = "t";
  a.sample_idx = 0;
  a.verdict = "correct";
  a.details_json = R"({"language": {"target": "Latin", "share": 0.5, "mixed": true, "words": 10}})";
  results::SampleRow b = a;
  b.sample_idx = 1;
  b.details_json = R"({"language": {"target": "Latin", "share": 1.0, "mixed": false, "words": 12}})";
  results::SampleRow unmeasured = a;
  unmeasured.task_id = "u";
  unmeasured.details_json = "{}";
  std::vector<results::SampleRow> rows = {a, b};
  std::vector<ProblemSamples> problems = group_samples(rows);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].samples[0].language_mixed, true);
  EXPECT_DOUBLE_EQ(*problems[0].samples[0].language_share, 0.5);

  const std::vector<MetricRow> metrics = metrics_or_die(problems, 2);
  const MetricRow* mixed = find_row(metrics, "*", "", "language_mixed_rate", 0);
  const MetricRow* off = find_row(metrics, "*", "", "mean_off_language_share", 0);
  ASSERT_NE(mixed, nullptr);
  ASSERT_NE(off, nullptr);
  EXPECT_DOUBLE_EQ(mixed->value, 0.5);   // one of two responses mixes
  EXPECT_DOUBLE_EQ(off->value, 0.25);    // (0.5 + 0.0) / 2 of the words are off-language

  std::vector<results::SampleRow> none = {unmeasured};
  const std::vector<MetricRow> without = metrics_or_die(group_samples(none), 1);
  EXPECT_EQ(find_row(without, "*", "", "language_mixed_rate", 0), nullptr);
}

}  // namespace
}  // namespace r1b::harness

namespace r1b::harness {
namespace {

TEST(Metrics, CodeAndPatchProblemsHaveNoConsensusVote) {
  ProblemSamples math = problem("mixed", "m1", 4, 3);
  for (SampleOutcome& s : math.samples) s.extracted = "7";
  ProblemSamples code = problem("mixed", "c1", 4, 1);
  for (SampleOutcome& s : code.samples) s.extracted = "cpp";
  code.has_answers = false;
  const std::vector<ProblemSamples> both = {math, code};
  const auto rows = metrics_or_die(both, 4);
  const MetricRow* cons = find_row(rows, "mixed", "", "cons@k", 4);
  ASSERT_NE(cons, nullptr);
  EXPECT_EQ(cons->num_problems, 1);  // only the math problem voted
  const MetricRow* pass1 = find_row(rows, "mixed", "", "pass@k", 1);
  ASSERT_NE(pass1, nullptr);
  EXPECT_EQ(pass1->num_problems, 2);
  const std::vector<ProblemSamples> only_code = {code};
  EXPECT_EQ(find_row(metrics_or_die(only_code, 4), "mixed", "", "cons@k", 4), nullptr);
}

}  // namespace
}  // namespace r1b::harness
