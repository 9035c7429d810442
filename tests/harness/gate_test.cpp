#include "harness/gate.h"

#include <gtest/gtest.h>

#include <cmath>

namespace r1b::harness {
namespace {

// `num_problems` problems of `pack`; problem i scores 1 when i < num_solved, else 0.
std::vector<ProblemScore> run_of(const std::string& pack, int num_problems, int num_solved) {
  std::vector<ProblemScore> scores;
  for (int i = 0; i < num_problems; ++i)
    scores.push_back({pack, "t" + std::to_string(i), i < num_solved ? 1.0 : 0.0});
  return scores;
}

std::vector<ProblemScore> joined(std::vector<ProblemScore> a, const std::vector<ProblemScore>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(Gate, IdenticalRunsPassWithZeroDiffAndPValueOne) {
  const std::vector<ProblemScore> run = run_of("math", 40, 25);
  const Result<GateResult> result = compare_runs(run, run);
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  ASSERT_EQ(result->packs.size(), 1u);
  const PackComparison& math = result->packs[0];
  EXPECT_EQ(math.mean_diff, 0.0);
  EXPECT_EQ(math.p_value, 1.0);
  EXPECT_EQ(math.mean_diff_ci.low, 0.0);
  EXPECT_EQ(math.mean_diff_ci.high, 0.0);
  EXPECT_EQ(math.num_paired, 40);
  EXPECT_EQ(math.verdict, GateVerdict::kPass);
  EXPECT_TRUE(math.top_moves.empty());
  EXPECT_EQ(gate_exit_code(result), kGateExitPass);
}

TEST(Gate, PlantedRegressionOnFifteenOfFortyFails) {
  // The baseline solves 30 of 40; the candidate loses 15 of those.
  const Result<GateResult> result = compare_runs(run_of("math", 40, 30), run_of("math", 40, 15));
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  const PackComparison& math = result->packs[0];
  EXPECT_DOUBLE_EQ(math.base_mean, 0.75);
  EXPECT_DOUBLE_EQ(math.cand_mean, 0.375);
  EXPECT_DOUBLE_EQ(math.mean_diff, -0.375);
  EXPECT_DOUBLE_EQ(math.p_value, std::ldexp(1.0, -15));  // exact: only the observed signs are as low
  EXPECT_LE(math.mean_diff_ci.low, math.mean_diff);
  EXPECT_GE(math.mean_diff_ci.high, math.mean_diff);
  EXPECT_LT(math.mean_diff_ci.high, 0.0);
  EXPECT_EQ(math.verdict, GateVerdict::kRegression);
  EXPECT_STREQ(gate_verdict_name(math.verdict), "regression");
  ASSERT_EQ(math.top_moves.size(), 10u);
  EXPECT_EQ(math.top_moves[0].diff, -1.0);
  EXPECT_EQ(gate_exit_code(result), kGateExitRegression);
}

TEST(Gate, OneDroppedProblemOfFortyIsNoise) {
  const Result<GateResult> result = compare_runs(run_of("math", 40, 20), run_of("math", 40, 19));
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  const PackComparison& math = result->packs[0];
  EXPECT_DOUBLE_EQ(math.mean_diff, -1.0 / 40.0);
  EXPECT_DOUBLE_EQ(math.p_value, 0.5);
  EXPECT_EQ(math.verdict, GateVerdict::kPass);
  ASSERT_EQ(math.top_moves.size(), 1u);
  EXPECT_EQ(math.top_moves[0].task_id, "t19");
  EXPECT_EQ(gate_exit_code(result), kGateExitPass);
}

TEST(Gate, AllowedDropIsRespectedGloballyAndPerPack) {
  const std::vector<ProblemScore> base = run_of("math", 40, 30), cand = run_of("math", 40, 15);  // d = −0.375
  GateOptions options;
  options.allowed_drop = 0.4;
  EXPECT_EQ(gate_exit_code(compare_runs(base, cand, options)), kGateExitPass);
  options.allowed_drop = 0.3;
  EXPECT_EQ(gate_exit_code(compare_runs(base, cand, options)), kGateExitRegression);
  options.allowed_drop_by_pack["math"] = 0.5;
  const Result<GateResult> result = compare_runs(base, cand, options);
  EXPECT_EQ(gate_exit_code(result), kGateExitPass);
  EXPECT_EQ(result->packs[0].allowed_drop, 0.5);
  options.allowed_drop_by_pack = {{"maths", 0.5}};  // a typo must not be ignored
  EXPECT_EQ(gate_exit_code(compare_runs(base, cand, options)), kGateExitDataError);
}

TEST(Gate, DisjointProblemsAreADataError) {
  std::vector<ProblemScore> cand = run_of("math", 5, 5);
  for (ProblemScore& problem : cand) problem.task_id += "-v2";
  const Result<GateResult> result = compare_runs(run_of("math", 5, 5), cand);
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.status().message().find("pack math"), std::string::npos) << result.status().message();
  EXPECT_EQ(gate_exit_code(result), kGateExitDataError);
  EXPECT_EQ(gate_exit_code(compare_runs(run_of("math", 5, 5), run_of("aime", 5, 5))), kGateExitDataError);
  EXPECT_EQ(gate_exit_code(compare_runs({}, {})), kGateExitDataError);
}

TEST(Gate, BadScoresAndDuplicateProblemsAreDataErrors) {
  std::vector<ProblemScore> bad = run_of("math", 5, 5);
  bad[2].score = 1.5;
  EXPECT_EQ(gate_exit_code(compare_runs(run_of("math", 5, 5), bad)), kGateExitDataError);
  bad[2].score = std::nan("");
  EXPECT_EQ(gate_exit_code(compare_runs(run_of("math", 5, 5), bad)), kGateExitDataError);
  const std::vector<ProblemScore> twice = joined(run_of("math", 5, 5), run_of("math", 1, 1));
  EXPECT_EQ(gate_exit_code(compare_runs(twice, run_of("math", 5, 5))), kGateExitDataError);
}

TEST(Gate, PerPackVerdictsAreIndependent) {
  const std::vector<ProblemScore> base = joined(run_of("aime", 40, 30), run_of("math", 40, 20));
  const std::vector<ProblemScore> cand = joined(run_of("aime", 40, 15), run_of("math", 40, 20));
  const Result<GateResult> result = compare_runs(base, cand);
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  ASSERT_EQ(result->packs.size(), 2u);
  EXPECT_EQ(result->packs[0].pack, "aime");
  EXPECT_EQ(result->packs[0].verdict, GateVerdict::kRegression);
  EXPECT_EQ(result->packs[1].pack, "math");
  EXPECT_EQ(result->packs[1].verdict, GateVerdict::kPass);
  EXPECT_EQ(result->packs[1].p_value, 1.0);
  EXPECT_TRUE(result->has_regression());
}

TEST(Gate, UnpairedProblemsAndOneSidedPacksAreReported) {
  const std::vector<ProblemScore> base = joined(run_of("math", 10, 5), run_of("old", 3, 3));
  const std::vector<ProblemScore> cand = joined(run_of("math", 12, 5), run_of("new", 3, 3));
  std::vector<ProblemScore> base_minus_one(base.begin() + 1, base.end());
  const Result<GateResult> result = compare_runs(base_minus_one, cand);
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  ASSERT_EQ(result->packs.size(), 1u);
  EXPECT_EQ(result->packs[0].num_paired, 9);
  EXPECT_EQ(result->packs[0].num_unpaired_base, 0);
  EXPECT_EQ(result->packs[0].num_unpaired_cand, 3);
  EXPECT_EQ(result->packs_only_in_baseline, std::vector<std::string>{"old"});
  EXPECT_EQ(result->packs_only_in_candidate, std::vector<std::string>{"new"});
}

TEST(Gate, FractionalScoresMoveByTheirSize) {
  std::vector<ProblemScore> base = run_of("math", 4, 4), cand = run_of("math", 4, 4);
  cand[1].score = 0.75;
  cand[3].score = 0.25;
  const Result<GateResult> result = compare_runs(base, cand);
  ASSERT_TRUE(result.is_ok()) << result.status().message();
  const std::vector<ProblemMove>& moves = result->packs[0].top_moves;
  ASSERT_EQ(moves.size(), 2u);
  EXPECT_EQ(moves[0].task_id, "t3");
  EXPECT_EQ(moves[0].diff, -0.75);
  EXPECT_EQ(moves[1].task_id, "t1");
}

TEST(Gate, ExactSignFlipPValueMatchesHandCount) {
  const std::vector<double> balanced = {-1.0, 1.0};  // flipped sums −2, 0, 0, 2: three are ≤ 0
  EXPECT_DOUBLE_EQ(sign_flip_p_value(balanced, 16, 20000, 0), 0.75);
  const std::vector<double> all_down = {-1.0, -1.0, -1.0};
  EXPECT_DOUBLE_EQ(sign_flip_p_value(all_down, 16, 20000, 0), 0.125);
  const std::vector<double> with_zeros = {0.0, 0.0, -0.5};  // zeros cannot flip
  EXPECT_DOUBLE_EQ(sign_flip_p_value(with_zeros, 16, 20000, 0), 0.5);
  const std::vector<double> tiny_steps = {-0.1, -0.2, 0.3};  // sums equal up to rounding still count
  EXPECT_DOUBLE_EQ(sign_flip_p_value(tiny_steps, 16, 20000, 0), 0.625);
}

TEST(Gate, MonteCarloPValueAgreesWithExactEnumeration) {
  std::vector<double> diffs;
  for (int i = 0; i < 20; ++i) diffs.push_back(i % 3 == 0 ? 0.5 : -0.25 * (1 + i % 4));
  const double exact = sign_flip_p_value(diffs, 30, 1, 0);
  const double sampled = sign_flip_p_value(diffs, 16, 20000, 7);
  EXPECT_NEAR(sampled, exact, 0.01);  // about 6 standard errors of a 20,000-flip estimate at p ≈ 0.06
  EXPECT_EQ(sign_flip_p_value(diffs, 16, 20000, 7), sampled);
}

}  // namespace
}  // namespace r1b::harness
