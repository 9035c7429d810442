// Gate: the CI regression gate. Compares a candidate run with a baseline, pack by pack, on the
// problems both runs graded, with a paired test rather than a fixed epsilon alone. Pure, no I/O.
//
// Per pack present in both runs: problems are paired on task_id (the unpaired ones are counted);
// d = mean over pairs of (candidate − baseline) per-problem pass@1. The p-value is a one-sided
// sign-flip permutation test on the per-pair differences, p = P(mean of flipped ≤ observed mean):
// exact enumeration when at most `exact_max_nonzero` differences are nonzero, else
// `monte_carlo_flips` seeded random flips with p = (1 + hits) / (1 + flips). All-zero differences
// give p = 1. A pack regresses iff d < −allowed_drop AND p < alpha. d also carries a paired
// percentile bootstrap interval. Packs present in one run only are listed, not judged.
//
// Failures (data errors, kInvalidInput naming run, pack and task_id): a (pack, task_id) twice in
// one run; a score that is not in [0, 1]; a pack both runs have with no task_id in common; no pack
// in common at all; invalid options, or allowed_drop_by_pack naming a pack neither run has.
// gate_exit_code maps the outcome to the process exit code: 0 pass, 1 regression, 2 data error.
//
// Thread-safety: every function is reentrant. Same inputs and seed, same result.
// Tested by tests/harness/gate_test.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "harness/metrics.h"

namespace r1b::harness {

struct GateOptions {
  double allowed_drop = 0.0;                           // absolute drop in pass@1 tolerated, ≥ 0
  std::map<std::string, double> allowed_drop_by_pack;  // overrides allowed_drop for a pack
  double alpha = 0.05;                                 // significance level, in (0, 1]
  int exact_max_nonzero = 16;                          // ≤ this many nonzero diffs: exact test
  int monte_carlo_flips = 20000;
  BootstrapOptions bootstrap;  // interval of d; its seed also seeds the flips
  size_t max_moves = 10;       // top_moves kept per pack
};

enum class GateVerdict { kPass, kRegression };

const char* gate_verdict_name(GateVerdict verdict);  // "pass" | "regression"

struct ProblemMove {
  std::string task_id;
  double base_score = 0.0;
  double cand_score = 0.0;
  double diff = 0.0;  // cand_score − base_score, nonzero
};

struct PackComparison {
  std::string pack;
  double base_mean = 0.0;  // over the paired problems
  double cand_mean = 0.0;
  double mean_diff = 0.0;  // d
  Interval mean_diff_ci;
  double p_value = 1.0;
  int64_t num_paired = 0;
  int64_t num_unpaired_base = 0;  // in the baseline only
  int64_t num_unpaired_cand = 0;  // in the candidate only
  double allowed_drop = 0.0;      // the one applied to this pack
  GateVerdict verdict = GateVerdict::kPass;
  std::vector<ProblemMove> top_moves;  // nonzero diffs, largest |diff| first, ties by task_id
};

struct GateResult {
  std::vector<PackComparison> packs;  // every pack both runs have, sorted by name
  std::vector<std::string> packs_only_in_baseline;
  std::vector<std::string> packs_only_in_candidate;

  bool has_regression() const;
};

Result<GateResult> compare_runs(const std::vector<ProblemScore>& baseline,
                                const std::vector<ProblemScore>& candidate, const GateOptions& options = {});

inline constexpr int kGateExitPass = 0;
inline constexpr int kGateExitRegression = 1;
inline constexpr int kGateExitDataError = 2;

int gate_exit_code(const Result<GateResult>& result);

// One-sided sign-flip p-value P(mean of randomly sign-flipped diffs ≤ mean of diffs), as above.
// Requires 0 ≤ exact_max_nonzero ≤ 30 and monte_carlo_flips ≥ 1 (checked).
double sign_flip_p_value(std::span<const double> diffs, int exact_max_nonzero, int monte_carlo_flips,
                         uint64_t seed);

}  // namespace r1b::harness
