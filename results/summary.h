// Run summaries: the headline metrics of each run and pack, read from the metric rows the harness
// stored (results/store.h), as a value (summarize_runs), as a Markdown table for CI logs
// (summary_markdown) or as JSON for tools (summary_json). The HTML leaderboard
// (results/report_html.h) shows the same numbers.
//
// Metric conventions (written by the harness): whole-pack rows have slice ""; pack "*" is the
// whole run; rates (pass@k, cons@k) are fractions in [0, 1] with an optional 95% interval;
// "pass@k" rows exist for k = 1..n, where n is the number of samples per problem, and "cons@k"
// for k = n. A metric the run did not store is absent (std::nullopt, JSON null, "–" in Markdown).
//
// Failures: an unknown run id is NotFound (nothing is written); a database error is passed on
// from the Store. Thread-safety: these functions hold no state; they are as thread-safe as the
// Store they read (which serialises its own access). The Store is borrowed for the call only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "results/store.h"

namespace r1b::results {

struct MetricValue {
  double value = 0.0;
  std::optional<double> ci_low;   // 95% interval, when the metric has one
  std::optional<double> ci_high;
};

struct PackSummary {
  std::string pack;                          // "*" for the whole run
  int64_t num_problems = 0;
  int num_samples_per_problem = 0;           // n: the largest k of the pass@k rows (0 if none)
  std::optional<MetricValue> pass_at_1;
  std::optional<MetricValue> pass_at_n;      // pass@k at k = n
  std::optional<MetricValue> cons_at_n;      // cons@k at its largest stored k
  int cons_k = 0;                            // that k (0 if no cons@k row)
  std::optional<double> judge_errors;        // count of judge_error samples
  std::optional<double> mean_completion_tokens;
  std::optional<MetricValue> codeforces_rating;  // packs of rated code problems (harness/rating.h)
  std::vector<std::pair<int, double>> pass_curve;  // (k, pass@k) for every stored k, by k
};

struct RunSummary {
  RunInfo run;
  std::vector<PackSummary> packs;            // "*" first, then packs by name
};

// The summaries of `run_ids` in the given order; an empty span means every run in the store,
// by run id.
Result<std::vector<RunSummary>> summarize_runs(Store& store, std::span<const int64_t> run_ids);

// One Markdown table, one row per run and pack: run, name, model, pack, problems, n,
// pass@1 and its interval, cons@n, pass@n (percent, one decimal), judge errors, mean tokens.
Result<std::string> summary_markdown(Store& store, std::span<const int64_t> run_ids);

// {"runs": [{"run_id", "name", "model", "backend", "status", "started_at",
//   "packs": [{"pack", "num_problems", "n", "pass@1": {"value", "ci_low", "ci_high"} | null,
//              "pass@n": ..., "cons@n": {..., "k"} | null, "judge_errors", "mean_completion_tokens"}]}]}
// Rates are fractions in [0, 1]; a missing metric or interval bound is null.
Result<nlohmann::json> summary_json(Store& store, std::span<const int64_t> run_ids);

}  // namespace r1b::results
