#include "harness/rating.h"

#include <cmath>
#include <string>
#include <vector>

namespace r1b::harness {

namespace {

struct Solved {
  double rating = 0.0;
  RatingBound bound = RatingBound::kNone;
};

// The R with Σ P(R, r_i) = Σ p_i over the problems at `indices` of `rated`, or the bound.
template <typename Indices>
Solved solve_rating(const std::vector<RatedProblem>& rated, const Indices& indices, const RatingOptions& options) {
  double target = 0.0;
  for (auto i : indices) target += rated[i].solve_rate;
  auto excess = [&](double rating) {
    double expected = 0.0;
    for (auto i : indices) expected += solve_probability(rating, *rated[i].rating);
    return expected - target;
  };
  double low = options.min_rating;
  double high = options.max_rating;
  if (excess(low) >= 0.0) return {low, RatingBound::kFloor};
  if (excess(high) <= 0.0) return {high, RatingBound::kCeiling};
  while (high - low > kRatingTolerance) {
    const double mid = low + (high - low) / 2.0;
    (excess(mid) < 0.0 ? low : high) = mid;
  }
  return {low + (high - low) / 2.0, RatingBound::kNone};
}

std::vector<size_t> all_indices(size_t count) {
  std::vector<size_t> indices(count);
  for (size_t i = 0; i < count; ++i) indices[i] = i;
  return indices;
}

Status check_options(const RatingOptions& options) {
  if (!(std::isfinite(options.min_rating) && std::isfinite(options.max_rating) &&
        options.min_rating < options.max_rating)) {
    return Status::invalid_input("rating: the bounds must be finite with min_rating < max_rating, got [" +
                                 std::to_string(options.min_rating) + ", " + std::to_string(options.max_rating) + "]");
  }
  const BootstrapOptions& bootstrap = options.bootstrap;
  if (bootstrap.resamples < 1 || !(bootstrap.confidence > 0.0 && bootstrap.confidence < 1.0)) {
    return Status::invalid_input("rating: bootstrap needs resamples >= 1 and confidence in (0, 1), got " +
                                 std::to_string(bootstrap.resamples) + " and " + std::to_string(bootstrap.confidence));
  }
  return Status::ok();
}

}  // namespace

double solve_probability(double rating, double problem_rating) {
  return 1.0 / (1.0 + std::pow(10.0, (problem_rating - rating) / 400.0));
}

Result<RatingEstimate> estimate_rating(std::span<const RatedProblem> problems, const RatingOptions& options) {
  R1B_RETURN_IF_ERROR(check_options(options));
  RatingEstimate estimate;
  std::vector<RatedProblem> rated;
  for (size_t i = 0; i < problems.size(); ++i) {
    const RatedProblem& problem = problems[i];
    const std::string where = "rating: problem " + std::to_string(i) + ": ";
    if (!(problem.solve_rate >= 0.0 && problem.solve_rate <= 1.0)) {
      return Status::invalid_input(where + "solve rate " + std::to_string(problem.solve_rate) +
                                   " is outside [0, 1]; pass the problem's pass@1");
    }
    if (!problem.rating) {
      ++estimate.num_unrated;
      continue;
    }
    if (!std::isfinite(*problem.rating)) return Status::invalid_input(where + "rating is not a finite number");
    rated.push_back(problem);
    estimate.expected_solved += problem.solve_rate;
  }
  if (rated.empty()) {
    return Status::invalid_input("rating: none of the " + std::to_string(problems.size()) +
                                 " problems has a rating; rate them (meta.rating) to estimate a rating");
  }
  estimate.num_rated = static_cast<int>(rated.size());
  const Solved solved = solve_rating(rated, all_indices(rated.size()), options);
  estimate.rating = solved.rating;
  estimate.bound = solved.bound;
  const Interval interval = BootstrapDraws(rated.size(), options.bootstrap)
                                .interval([&](std::span<const uint32_t> indices) {
                                  return solve_rating(rated, indices, options).rating;
                                });
  estimate.ci_low = interval.low;
  estimate.ci_high = interval.high;
  return estimate;
}

}  // namespace r1b::harness
