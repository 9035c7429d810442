// Codeforces rating estimate: hand-computed values, symmetric cases, bounds and bad input.
#include "harness/rating.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace r1b::harness {
namespace {

constexpr double kTolerance = 1e-4;  // rating points; bisection stops at kRatingTolerance

RatingEstimate estimate_ok(const std::vector<RatedProblem>& problems, const RatingOptions& options = {}) {
  auto estimate = estimate_rating(problems, options);
  EXPECT_TRUE(estimate.is_ok()) << estimate.status().message();
  return estimate.is_ok() ? *estimate : RatingEstimate{};
}

TEST(SolveProbability, IsOneHalfAtTheProblemRatingAndTenToOneFourHundredAbove) {
  EXPECT_DOUBLE_EQ(solve_probability(1500, 1500), 0.5);
  EXPECT_NEAR(solve_probability(1900, 1500), 10.0 / 11.0, 1e-12);
  EXPECT_NEAR(solve_probability(1100, 1500), 1.0 / 11.0, 1e-12);
}

TEST(EstimateRating, OneProblemSolvedHalfTheTimeGivesItsRating) {
  const RatingEstimate estimate = estimate_ok({{1500.0, 0.5}});
  EXPECT_NEAR(estimate.rating, 1500.0, kTolerance);
  EXPECT_EQ(estimate.bound, RatingBound::kNone);
  EXPECT_EQ(estimate.num_rated, 1);
  // Every resample of one problem is that problem: the interval collapses onto the estimate.
  EXPECT_NEAR(estimate.ci_low, 1500.0, kTolerance);
  EXPECT_NEAR(estimate.ci_high, 1500.0, kTolerance);
}

TEST(EstimateRating, SolveRateTenEleventhsIsFourHundredPointsAbove) {
  // 1 / (1 + 10^((1500 - R)/400)) = 10/11  <=>  (1500 - R)/400 = -1  <=>  R = 1900.
  EXPECT_NEAR(estimate_ok({{1500.0, 10.0 / 11.0}}).rating, 1900.0, kTolerance);
  EXPECT_NEAR(estimate_ok({{2000.0, 1.0 / 11.0}}).rating, 1600.0, kTolerance);
}

TEST(EstimateRating, SymmetricProblemsAroundACentreGiveTheCentre) {
  EXPECT_NEAR(estimate_ok({{1200.0, 0.8}, {1800.0, 0.2}}).rating, 1500.0, kTolerance);
  EXPECT_NEAR(estimate_ok({{1000.0, 1.0}, {2000.0, 0.0}}).rating, 1500.0, kTolerance);
  EXPECT_NEAR(estimate_ok({{800.0, 0.9}, {1400.0, 0.5}, {2000.0, 0.1}}).rating, 1400.0, kTolerance);
}

TEST(EstimateRating, MatchesExpectedSolvesOnAMixedSet) {
  const std::vector<RatedProblem> problems = {{800, 1.0}, {1200, 0.75}, {1600, 0.5}, {2000, 0.0}, {2400, 0.0}};
  const RatingEstimate estimate = estimate_ok(problems);
  double expected = 0;
  for (const RatedProblem& problem : problems) expected += solve_probability(estimate.rating, *problem.rating);
  EXPECT_NEAR(expected, 2.25, 1e-6);
  EXPECT_DOUBLE_EQ(estimate.expected_solved, 2.25);
  EXPECT_LE(estimate.ci_low, estimate.rating);
  EXPECT_GE(estimate.ci_high, estimate.rating);
  EXPECT_LT(estimate.ci_low, estimate.ci_high);
}

TEST(EstimateRating, AllSolvedIsTheCeilingAndNoneSolvedTheFloor) {
  const RatingEstimate all = estimate_ok({{1500, 1.0}, {2400, 1.0}});
  EXPECT_EQ(all.rating, 4000.0);
  EXPECT_EQ(all.bound, RatingBound::kCeiling);
  const RatingEstimate none = estimate_ok({{800, 0.0}, {1500, 0.0}});
  EXPECT_EQ(none.rating, 0.0);
  EXPECT_EQ(none.bound, RatingBound::kFloor);
  RatingOptions narrow;
  narrow.min_rating = 1000;
  narrow.max_rating = 2000;
  EXPECT_EQ(estimate_ok({{3500, 0.9}}, narrow).rating, 2000.0);  // above what the bounds allow
}

TEST(EstimateRating, UnratedProblemsAreSkippedAndCounted) {
  const RatingEstimate estimate = estimate_ok({{std::nullopt, 1.0}, {1500.0, 0.5}, {std::nullopt, 0.0}});
  EXPECT_NEAR(estimate.rating, 1500.0, kTolerance);
  EXPECT_EQ(estimate.num_rated, 1);
  EXPECT_EQ(estimate.num_unrated, 2);
}

TEST(EstimateRating, SameSeedSameIntervalOtherSeedOtherDraws) {
  std::vector<RatedProblem> problems;
  for (int i = 0; i < 20; ++i) problems.push_back({800.0 + 80 * i, i % 3 == 0 ? 0.25 : 0.75});
  RatingOptions options;
  options.bootstrap.seed = 7;
  const RatingEstimate first = estimate_ok(problems, options);
  const RatingEstimate again = estimate_ok(problems, options);
  EXPECT_EQ(first.ci_low, again.ci_low);
  EXPECT_EQ(first.ci_high, again.ci_high);
  options.bootstrap.seed = 8;
  const RatingEstimate other = estimate_ok(problems, options);
  EXPECT_NEAR(other.rating, first.rating, 1e-9);
  EXPECT_TRUE(other.ci_low != first.ci_low || other.ci_high != first.ci_high);
}

TEST(EstimateRating, BadSolveRatesAndNoRatedProblemsAreErrors) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (double rate : {-0.1, 1.5, nan}) {
    auto estimate = estimate_rating(std::vector<RatedProblem>{{1500.0, 0.5}, {1600.0, rate}});
    ASSERT_FALSE(estimate.is_ok());
    EXPECT_EQ(estimate.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(estimate.status().message().find("problem 1: solve rate"), std::string::npos)
        << estimate.status().message();
  }
  auto unrated = estimate_rating(std::vector<RatedProblem>{{std::nullopt, 0.5}});
  ASSERT_FALSE(unrated.is_ok());
  EXPECT_NE(unrated.status().message().find("none of the 1 problems has a rating"), std::string::npos);
  RatingOptions inverted;
  inverted.min_rating = 3000;
  inverted.max_rating = 1000;
  EXPECT_FALSE(estimate_rating(std::vector<RatedProblem>{{1500.0, 0.5}}, inverted).is_ok());
}

}  // namespace
}  // namespace r1b::harness
