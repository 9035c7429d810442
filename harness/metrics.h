// Metrics: the scores of a run, computed from its graded samples. Pure functions, no I/O.
//
// compute_metrics() turns the graded samples of every problem into results::MetricRow values for
// the whole run (pack "*"), for every pack, and for every slice value ("subject=Algebra",
// "level=3", "year=2024") within the whole run and within every pack:
//   pass@k (k = 1..n)  mean over problems of the unbiased estimator 1 − C(n_i−c_i, k)/C(n_i, k)
//                      (pass@1 = mean of c_i/n_i, the R1 protocol);
//   cons@k (k = n)     majority vote over the extracted answers (rule below); math and choice
//                      problems only (ProblemSamples::has_answers);
//   judge_errors       number of samples whose verdict is "judge_error" (a count: no interval;
//                      num_problems is every problem of the group);
//   mean_completion_tokens, median_completion_tokens  (only when every sample of the group has a
//                      token count; a partly known group gets no token rows rather than a biased one);
//   mean_completion_chars;
//   language_mixed_rate   share of samples whose reasoning mixes languages/scripts, and
//   mean_off_language_share  mean share of reasoning words outside the prompt's language — both from
//                      the verifier's per-sample language measure (the same one the R1
//                      language-consistency reward uses); samples without it are left out.
// Every metric but judge_errors carries a percentile bootstrap interval over problems in
// ci_low/ci_high; num_problems is the number of problems the value was computed over.
//
// Judge errors: a "judge_error" sample is not a wrong answer. It is left out of c_i and n_i of its
// problem (n_i = n − judge errors) and does not vote in cons@k. A problem whose n_i is below k is
// left out of pass@k (visible in num_problems); one with n_i = 0 is left out of pass@k and cons@k.
// A metric that no problem of a group contributes to gets no row for that group.
// Length metrics count every sample, judge errors included (the completion exists).
//
// cons@k rule: samples are visited in sample_idx order; an empty extracted answer does not vote;
// each answer joins the first existing group whose representative (first member) is the same
// answer by SameAnswer (identical strings are the same answer without calling it), else starts a
// new group. Tie rule: among the groups with the most votes, the group whose first member has the
// smallest sample_idx wins. The problem counts as correct iff that representative is correct.
// No votes at all counts as wrong.
//
// Failures: compute_metrics and problem_scores return kInvalidInput, naming pack/task_id, when n < 1, when a
// problem does not have exactly n samples with distinct sample_idx (an unfinished run must be resumed, never
// silently averaged), when a (pack, task_id) appears twice, when a pack is named "*", or when the
// options are invalid.
//
// Thread-safety: every function is reentrant and BootstrapDraws is immutable once built;
// compute_metrics calls SameAnswer from the calling thread only. Tested by tests/harness/metrics_test.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "results/store.h"

namespace r1b::harness {

inline constexpr char kJudgeErrorVerdict[] = "judge_error";

struct SampleOutcome {
  int sample_idx = 0;
  bool correct = false;
  std::string verdict;                       // tasks::verdict_name(); "judge_error" is excluded
  std::string extracted;                     // "" when no answer was extracted (does not vote)
  std::optional<int64_t> completion_tokens;  // null when the backend did not say
  int64_t completion_chars = 0;              // Unicode code points of the completion
  std::optional<bool> language_mixed;         // verifier details "language"."mixed"; null when absent
  std::optional<double> language_share;       // share of reasoning words in the prompt's language
};

struct ProblemSamples {
  std::string pack;
  std::string task_id;
  std::map<std::string, std::string> slices;  // e.g. {"subject": "Algebra", "level": "3"}
  std::vector<SampleOutcome> samples;
  // False for code and patch tasks: judged by their tests, they have no answer to vote on, so
  // they are left out of cons@k (a group of them reports no cons@k at all).
  bool has_answers = true;
};

// True when answers `a` and `b` of `problem` are the same answer (the verifier's equivalence,
// e.g. "1/2" and "0.5"). An empty function means exact string equality.
using SameAnswer =
    std::function<bool(const ProblemSamples& problem, const std::string& a, const std::string& b)>;

struct BootstrapOptions {
  int resamples = 1000;      // ≥ 1
  uint64_t seed = 0;         // same seed, same interval
  double confidence = 0.95;  // in (0, 1)
};

struct MetricOptions {
  BootstrapOptions bootstrap;
};

// Groups store rows into one ProblemSamples per (pack, task_id), in first-appearance order, with
// samples sorted by sample_idx and completion_chars counted in UTF-8 code points. Slices are left
// empty for the caller to fill from the tasks.
std::vector<ProblemSamples> group_samples(std::span<const results::SampleRow> rows);

// The metric rows described above, in a deterministic order: groups sorted by (pack, slice), "*"
// first; within a group judge_errors, pass@1..pass@n, cons@n, then the length metrics.
Result<std::vector<results::MetricRow>> compute_metrics(int64_t run_id,
                                                        std::span<const ProblemSamples> problems, int n,
                                                        const SameAnswer& same_answer,
                                                        const MetricOptions& options = {});

// One problem's pass@1 (c_i / n_i), the per-problem score the regression gate pairs.
struct ProblemScore {
  std::string pack;
  std::string task_id;
  double score = 0.0;  // in [0, 1]
};

// pass@1 of every problem, in input order; a problem with only judge errors (n_i = 0) is left out.
// Fails like compute_metrics on an unfinished or duplicated problem.
Result<std::vector<ProblemScore>> problem_scores(std::span<const ProblemSamples> problems, int n);

// Unbiased pass@k of one problem with c correct out of n samples, in the stable product form
// 1 − Π_{i=n−c+1}^{n} (1 − k/i). Requires 0 ≤ c ≤ n and 1 ≤ k ≤ n (checked: a broken invariant).
double pass_at_k(int n, int c, int k);

// Whether the cons@k vote of `problem` is correct (rule above).
bool majority_vote_correct(const ProblemSamples& problem, const SameAnswer& same_answer);

struct Interval {
  double low = 0.0;
  double high = 0.0;
};

// Percentile bootstrap over items (problems): options.resamples draws of num_items indices with
// replacement from a std::mt19937_64 seeded with options.seed. Identical (num_items, options) give
// identical draws, and every statistic evaluated on one BootstrapDraws sees the same resamples.
// Requires 1 ≤ num_items < 2^32 and valid options (checked). Holds resamples × num_items indices.
class BootstrapDraws {
 public:
  BootstrapDraws(size_t num_items, const BootstrapOptions& options);

  // The (1 ∓ confidence)/2 quantiles (linear interpolation) of `statistic` over the draws; each
  // call receives the item indices of one resample.
  Interval interval(const std::function<double(std::span<const uint32_t> indices)>& statistic) const;

 private:
  size_t num_items_;
  double confidence_;
  std::vector<uint32_t> indices_;  // resample-major
};

}  // namespace r1b::harness
