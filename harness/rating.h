// Codeforces-style rating estimate of a model from its per-problem solve rates. Pure functions.
//
// Why: the R1 paper reports a Codeforces rating (and the percentile of human participants it
// beats) next to pass@1; this estimate puts a run on the same scale from rated problems
// (meta.rating of a Codeforces-style pack) and the model's pass@1 on each.
//
// Method: Codeforces ratings follow the Elo model, in which a contestant of rating R solves a
// problem of rating r with probability
//     P(R, r) = 1 / (1 + 10^((r − R) / 400))
// (a problem's rating is, by Codeforces' definition, the rating at which P = 1/2). The estimate
// is the R where the expected number of solved problems equals the observed one:
//     Σ_i P(R, r_i) = Σ_i p_i,      p_i = the model's pass@1 on problem i, in [0, 1].
// The left side increases strictly with R, so R is found by bisection on [min_rating,
// max_rating] (default [0, 4000]) to within kRatingTolerance. When no R inside the bounds
// matches, the nearer bound is returned and `bound` says which: every problem solved (or more
// solved than even max_rating predicts) gives max_rating and kCeiling; none solved (or fewer
// than min_rating predicts) gives min_rating and kFloor. A bound is a limit, not an estimate.
// Examples: one problem of rating 1500 solved half the time gives 1500; problems rated
// 1500 − d and 1500 + d solved with p and 1 − p (symmetric) give 1500.
//
// Interval: a percentile bootstrap over problems (BootstrapDraws of metrics.h: resamples, seed
// and confidence from BootstrapOptions, default 1000 draws, seed 0, 95%); each resample is
// solved the same way (bounds included), so an interval may touch a bound.
//
// Problems without a rating are skipped and counted in num_unrated.
// Failures (InvalidInput, naming the problem by its position): a solve rate outside [0, 1] or
// NaN; a rating that is not finite; no rated problem; min_rating ≥ max_rating; bootstrap options
// out of range. Thread-safe (no shared state). Tested by tests/harness/rating_test.cpp.
#pragma once

#include <optional>
#include <span>

#include "base/status.h"
#include "harness/metrics.h"

namespace r1b::harness {

// Bisection stops when the bracket is narrower than this many rating points.
inline constexpr double kRatingTolerance = 1e-6;

// One problem: its rating (nullopt when unrated) and the model's pass@1 on it.
struct RatedProblem {
  std::optional<double> rating;
  double solve_rate = 0.0;  // in [0, 1]
};

struct RatingOptions {
  double min_rating = 0.0;
  double max_rating = 4000.0;
  BootstrapOptions bootstrap;
};

// Which bound the estimate sits at, when no rating inside the bounds matches.
enum class RatingBound { kNone, kFloor, kCeiling };

struct RatingEstimate {
  double rating = 0.0;
  double ci_low = 0.0;   // bootstrap interval (options.bootstrap.confidence)
  double ci_high = 0.0;
  RatingBound bound = RatingBound::kNone;
  int num_rated = 0;     // problems used
  int num_unrated = 0;   // problems skipped for lack of a rating
  double expected_solved = 0.0;  // Σ p_i over the rated problems
};

// P(R, r): the Elo probability that a contestant rated `rating` solves a problem rated
// `problem_rating`.
double solve_probability(double rating, double problem_rating);

// The estimate described above.
Result<RatingEstimate> estimate_rating(std::span<const RatedProblem> problems, const RatingOptions& options = {});

}  // namespace r1b::harness
