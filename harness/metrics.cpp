#include "harness/metrics.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

namespace r1b::harness {
namespace {

struct GradedCounts {
  int num_graded = 0;   // n_i: samples that are not judge errors
  int num_correct = 0;  // c_i
  int num_judge_errors = 0;
};

// What one problem contributes to every metric; computed once per problem.
struct ProblemStats {
  GradedCounts counts;
  bool has_answers = true;
  bool is_cons_correct = false;
  double mean_chars = 0.0;
  bool are_tokens_known = true;
  std::vector<double> tokens;  // one per sample when are_tokens_known
  std::optional<double> mixed_rate;       // over the samples with a language measure
  std::optional<double> off_language_share;
};

bool is_judge_error(const SampleOutcome& sample) { return sample.verdict == kJudgeErrorVerdict; }

std::string problem_name(const ProblemSamples& problem) { return problem.pack + "/" + problem.task_id; }

int64_t count_code_points(const std::string& text) {
  return std::count_if(text.begin(), text.end(),
                       [](char byte) { return (static_cast<unsigned char>(byte) & 0xC0) != 0x80; });
}

Status check_options(int n, const MetricOptions& options) {
  if (n < 1) return Status::invalid_input("metrics: n must be at least 1, got " + std::to_string(n));
  const BootstrapOptions& bootstrap = options.bootstrap;
  if (bootstrap.resamples < 1 || !(bootstrap.confidence > 0.0 && bootstrap.confidence < 1.0)) {
    return Status::invalid_input("metrics: bootstrap needs resamples >= 1 and confidence in (0, 1), got " +
                                 std::to_string(bootstrap.resamples) + " and " +
                                 std::to_string(bootstrap.confidence));
  }
  return Status::ok();
}

// Checks that `problem` is complete and not in `seen_problems` (those checked so far), then adds it.
Status check_problem(const ProblemSamples& problem, int n,
                     std::set<std::pair<std::string, std::string>>& seen_problems) {
  if (!seen_problems.insert({problem.pack, problem.task_id}).second) {
    return Status::invalid_input("metrics: problem " + problem_name(problem) +
                                 " appears twice; pass each problem once");
  }
  if (problem.pack == "*") {
    return Status::invalid_input("metrics: problem " + problem_name(problem) +
                                 ": pack name \"*\" is reserved for the whole run; rename the pack");
  }
  std::set<int> seen_indices;
  for (const SampleOutcome& sample : problem.samples) {
    if (!seen_indices.insert(sample.sample_idx).second) {
      return Status::invalid_input("metrics: problem " + problem_name(problem) + " has sample_idx " +
                                   std::to_string(sample.sample_idx) +
                                   " twice; each sample must be graded once");
    }
  }
  if (static_cast<int>(problem.samples.size()) != n) {
    return Status::invalid_input("metrics: problem " + problem_name(problem) + " has " +
                                 std::to_string(problem.samples.size()) +
                                 " graded samples, expected n=" + std::to_string(n) +
                                 "; resume the run to grade the missing samples, or pass the run's n");
  }
  return Status::ok();
}

GradedCounts count_graded(const ProblemSamples& problem) {
  GradedCounts counts;
  for (const SampleOutcome& sample : problem.samples) {
    if (is_judge_error(sample)) {
      ++counts.num_judge_errors;
    } else {
      ++counts.num_graded;
      counts.num_correct += sample.correct ? 1 : 0;
    }
  }
  return counts;
}

ProblemStats summarize(const ProblemSamples& problem, const SameAnswer& same_answer) {
  ProblemStats stats;
  stats.counts = count_graded(problem);
  double total_chars = 0.0;
  for (const SampleOutcome& sample : problem.samples) {
    total_chars += static_cast<double>(sample.completion_chars);
    if (sample.completion_tokens) {
      stats.tokens.push_back(static_cast<double>(*sample.completion_tokens));
    } else {
      stats.are_tokens_known = false;
    }
  }
  stats.mean_chars = total_chars / static_cast<double>(problem.samples.size());
  int num_measured = 0;
  double num_mixed = 0.0;
  double off_share = 0.0;
  for (const SampleOutcome& sample : problem.samples) {
    if (!sample.language_mixed || !sample.language_share) continue;
    ++num_measured;
    num_mixed += *sample.language_mixed ? 1.0 : 0.0;
    off_share += 1.0 - *sample.language_share;
  }
  if (num_measured > 0) {
    stats.mixed_rate = num_mixed / num_measured;
    stats.off_language_share = off_share / num_measured;
  }
  stats.has_answers = problem.has_answers;
  stats.is_cons_correct = problem.has_answers && majority_vote_correct(problem, same_answer);
  return stats;
}

double mean_at(std::span<const double> values, std::span<const uint32_t> indices) {
  double sum = 0.0;
  for (uint32_t index : indices) sum += values[index];
  return sum / static_cast<double>(indices.size());
}

double mean_of(const std::vector<double>& values) {
  double sum = 0.0;
  for (double value : values) sum += value;
  return sum / static_cast<double>(values.size());
}

// The median of samples pooled over problems, each problem counted `weights[problem]` times.
// `sorted` holds (value, problem) for every sample, ascending; `total` = Σ weights × samples.
double weighted_median(const std::vector<std::pair<double, uint32_t>>& sorted,
                       const std::vector<int64_t>& weights, int64_t total) {
  auto value_at_rank = [&](int64_t rank) {
    int64_t cumulative = 0;
    for (const auto& [value, problem] : sorted) {
      cumulative += weights[problem];
      if (cumulative > rank) return value;
    }
    R1B_CHECK(false && "rank beyond the pooled samples");
    return 0.0;
  };
  return (value_at_rank((total - 1) / 2) + value_at_rank(total / 2)) / 2.0;
}

double quantile_of_sorted(const std::vector<double>& sorted, double q) {
  const double position = q * static_cast<double>(sorted.size() - 1);
  const size_t lower = static_cast<size_t>(std::floor(position));
  const size_t upper = std::min(lower + 1, sorted.size() - 1);
  const double fraction = position - static_cast<double>(lower);
  return sorted[lower] + fraction * (sorted[upper] - sorted[lower]);
}

// Appends the rows of one (pack, slice) group of problems. Metrics over the same number of
// problems share one set of bootstrap draws.
class GroupRows {
 public:
  GroupRows(int64_t run_id, std::string pack, std::string slice, const BootstrapOptions& options,
            std::vector<results::MetricRow>& rows)
      : run_id_(run_id), pack_(std::move(pack)), slice_(std::move(slice)), options_(options), rows_(rows) {}

  void add_count(const std::string& metric, double value, size_t num_problems) {
    rows_.push_back({run_id_, pack_, slice_, metric, 0, value, std::nullopt, std::nullopt,
                     static_cast<int64_t>(num_problems)});
  }

  // A mean over problems of `values` (one per problem) with its bootstrap interval; no row when
  // no problem contributes.
  void add_mean(const std::string& metric, int k, const std::vector<double>& values) {
    if (values.empty()) return;
    const Interval interval = draws_for(values.size()).interval([&](std::span<const uint32_t> indices) {
      return mean_at(values, indices);
    });
    add(metric, k, mean_of(values), interval, values.size());
  }

  // The median of all samples pooled, resampling whole problems for the interval.
  void add_median(const std::string& metric, const std::vector<const std::vector<double>*>& per_problem) {
    std::vector<std::pair<double, uint32_t>> sorted;
    for (uint32_t problem = 0; problem < per_problem.size(); ++problem) {
      for (double value : *per_problem[problem]) sorted.emplace_back(value, problem);
    }
    std::sort(sorted.begin(), sorted.end());
    std::vector<int64_t> weights(per_problem.size(), 1);
    const double value = weighted_median(sorted, weights, static_cast<int64_t>(sorted.size()));
    const Interval interval = draws_for(per_problem.size()).interval([&](std::span<const uint32_t> indices) {
      std::fill(weights.begin(), weights.end(), 0);
      int64_t total = 0;
      for (uint32_t index : indices) {
        ++weights[index];
        total += static_cast<int64_t>(per_problem[index]->size());
      }
      return weighted_median(sorted, weights, total);
    });
    add(metric, 0, value, interval, per_problem.size());
  }

 private:
  void add(const std::string& metric, int k, double value, Interval interval, size_t num_problems) {
    rows_.push_back({run_id_, pack_, slice_, metric, k, value, interval.low, interval.high,
                     static_cast<int64_t>(num_problems)});
  }

  const BootstrapDraws& draws_for(size_t num_problems) {
    auto draws = draws_.find(num_problems);
    if (draws == draws_.end())
      draws = draws_.emplace(num_problems, BootstrapDraws(num_problems, options_)).first;
    return draws->second;
  }

  int64_t run_id_;
  std::string pack_;
  std::string slice_;
  const BootstrapOptions& options_;
  std::vector<results::MetricRow>& rows_;
  std::map<size_t, BootstrapDraws> draws_;  // by number of problems
};

void append_group(GroupRows& out, const std::vector<const ProblemStats*>& group, int n) {
  int total_judge_errors = 0;
  for (const ProblemStats* stats : group) total_judge_errors += stats->counts.num_judge_errors;
  out.add_count("judge_errors", total_judge_errors, group.size());

  for (int k = 1; k <= n; ++k) {
    std::vector<double> values;
    for (const ProblemStats* stats : group) {
      const GradedCounts& counts = stats->counts;
      if (counts.num_graded >= k) values.push_back(pass_at_k(counts.num_graded, counts.num_correct, k));
    }
    out.add_mean("pass@k", k, values);
  }

  std::vector<double> votes;
  for (const ProblemStats* stats : group) {
    if (stats->counts.num_graded > 0 && stats->has_answers) votes.push_back(stats->is_cons_correct ? 1.0 : 0.0);
  }
  out.add_mean("cons@k", n, votes);

  const bool are_tokens_known = std::all_of(
      group.begin(), group.end(), [](const ProblemStats* stats) { return stats->are_tokens_known; });
  if (are_tokens_known) {
    std::vector<double> mean_tokens;
    std::vector<const std::vector<double>*> tokens;
    for (const ProblemStats* stats : group) {
      mean_tokens.push_back(mean_of(stats->tokens));
      tokens.push_back(&stats->tokens);
    }
    out.add_mean("mean_completion_tokens", 0, mean_tokens);
    out.add_median("median_completion_tokens", tokens);
  }

  std::vector<double> mean_chars;
  for (const ProblemStats* stats : group) mean_chars.push_back(stats->mean_chars);
  out.add_mean("mean_completion_chars", 0, mean_chars);

  std::vector<double> mixed_rates;
  std::vector<double> off_shares;
  for (const ProblemStats* stats : group) {
    if (!stats->mixed_rate) continue;
    mixed_rates.push_back(*stats->mixed_rate);
    off_shares.push_back(*stats->off_language_share);
  }
  if (!mixed_rates.empty()) {
    out.add_mean("language_mixed_rate", 0, mixed_rates);
    out.add_mean("mean_off_language_share", 0, off_shares);
  }
}

// The verifier's language measure of one sample, from its details JSON (absent when not measured).
void read_language(const std::string& details_json, SampleOutcome& sample) {
  if (details_json.find("\"language\"") == std::string::npos) return;
  const nlohmann::json details = nlohmann::json::parse(details_json, nullptr, /*allow_exceptions=*/false);
  if (!details.is_object() || !details.contains("language")) return;
  const nlohmann::json& language = details["language"];
  if (language.is_object() && language.contains("mixed") && language["mixed"].is_boolean() &&
      language.contains("share") && language["share"].is_number()) {
    sample.language_mixed = language["mixed"].get<bool>();
    sample.language_share = language["share"].get<double>();
  }
}

}  // namespace

std::vector<ProblemSamples> group_samples(std::span<const results::SampleRow> rows) {
  std::vector<ProblemSamples> problems;
  std::map<std::pair<std::string, std::string>, size_t> index_of;
  for (const results::SampleRow& row : rows) {
    const auto [it, inserted] = index_of.try_emplace({row.pack, row.task_id}, problems.size());
    if (inserted) problems.push_back({row.pack, row.task_id, {}, {}});
    SampleOutcome sample{row.sample_idx, row.correct, row.verdict, row.extracted,
                         row.completion_tokens, count_code_points(row.completion), {}, {}};
    read_language(row.details_json, sample);
    problems[it->second].samples.push_back(std::move(sample));
  }
  for (ProblemSamples& problem : problems) {
    std::stable_sort(
        problem.samples.begin(), problem.samples.end(),
        [](const SampleOutcome& a, const SampleOutcome& b) { return a.sample_idx < b.sample_idx; });
  }
  return problems;
}

Result<std::vector<ProblemScore>> problem_scores(std::span<const ProblemSamples> problems, int n) {
  R1B_RETURN_IF_ERROR(check_options(n, {}));
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<ProblemScore> scores;
  for (const ProblemSamples& problem : problems) {
    R1B_RETURN_IF_ERROR(check_problem(problem, n, seen));
    const GradedCounts counts = count_graded(problem);
    if (counts.num_graded > 0) {
      scores.push_back({problem.pack, problem.task_id, pass_at_k(counts.num_graded, counts.num_correct, 1)});
    }
  }
  return scores;
}

Result<std::vector<results::MetricRow>> compute_metrics(int64_t run_id,
                                                        std::span<const ProblemSamples> problems, int n,
                                                        const SameAnswer& same_answer,
                                                        const MetricOptions& options) {
  R1B_RETURN_IF_ERROR(check_options(n, options));
  std::set<std::pair<std::string, std::string>> seen;
  std::vector<ProblemStats> stats;
  stats.reserve(problems.size());
  std::map<std::pair<std::string, std::string>, std::vector<const ProblemStats*>> groups;  // (pack, slice)
  for (const ProblemSamples& problem : problems) {
    R1B_RETURN_IF_ERROR(check_problem(problem, n, seen));
    stats.push_back(summarize(problem, same_answer));
    for (const std::string& pack : {std::string("*"), problem.pack}) {
      groups[{pack, ""}].push_back(&stats.back());
      for (const auto& [key, value] : problem.slices)
        groups[{pack, key + "=" + value}].push_back(&stats.back());
    }
  }
  std::vector<results::MetricRow> rows;
  for (const auto& [key, group] : groups) {
    GroupRows out(run_id, key.first, key.second, options.bootstrap, rows);
    append_group(out, group, n);
  }
  return rows;
}

double pass_at_k(int n, int c, int k) {
  R1B_CHECK(0 <= c && c <= n && 1 <= k && k <= n);
  if (k == 1) return static_cast<double>(c) / n;  // exact, so pass@1 never drifts with n
  if (n - c < k) return 1.0;
  double all_wrong = 1.0;  // C(n−c, k) / C(n, k)
  for (int i = n - c + 1; i <= n; ++i) all_wrong *= 1.0 - static_cast<double>(k) / i;
  return 1.0 - all_wrong;
}

bool majority_vote_correct(const ProblemSamples& problem, const SameAnswer& same_answer) {
  std::vector<const SampleOutcome*> voters;
  for (const SampleOutcome& sample : problem.samples) {
    if (!is_judge_error(sample) && !sample.extracted.empty()) voters.push_back(&sample);
  }
  std::stable_sort(voters.begin(), voters.end(), [](const SampleOutcome* a, const SampleOutcome* b) {
    return a->sample_idx < b->sample_idx;
  });
  struct VoteGroup {
    const SampleOutcome* representative;
    int num_votes;
  };
  std::vector<VoteGroup> vote_groups;  // in order of their first member's sample_idx
  for (const SampleOutcome* voter : voters) {
    auto same = [&](const VoteGroup& group) {
      const std::string& answer = group.representative->extracted;
      return answer == voter->extracted || (same_answer && same_answer(problem, answer, voter->extracted));
    };
    const auto group = std::find_if(vote_groups.begin(), vote_groups.end(), same);
    if (group == vote_groups.end()) {
      vote_groups.push_back({voter, 1});
    } else {
      ++group->num_votes;
    }
  }
  const VoteGroup* winner = nullptr;
  for (const VoteGroup& group : vote_groups) {
    if (winner == nullptr || group.num_votes > winner->num_votes) winner = &group;  // strict: first wins ties
  }
  return winner != nullptr && winner->representative->correct;
}

BootstrapDraws::BootstrapDraws(size_t num_items, const BootstrapOptions& options)
    : num_items_(num_items), confidence_(options.confidence) {
  R1B_CHECK(num_items >= 1 && num_items <= UINT32_MAX && options.resamples >= 1 && options.confidence > 0.0 &&
            options.confidence < 1.0);
  std::mt19937_64 rng(options.seed);  // the engine is fully specified, so draws match everywhere
  indices_.resize(static_cast<size_t>(options.resamples) * num_items);
  for (uint32_t& index : indices_) index = static_cast<uint32_t>(rng() % num_items);
}

Interval BootstrapDraws::interval(const std::function<double(std::span<const uint32_t>)>& statistic) const {
  std::vector<double> estimates;
  for (size_t start = 0; start < indices_.size(); start += num_items_) {
    estimates.push_back(statistic(std::span<const uint32_t>(indices_).subspan(start, num_items_)));
  }
  std::sort(estimates.begin(), estimates.end());
  const double tail = (1.0 - confidence_) / 2.0;
  return {quantile_of_sorted(estimates, tail), quantile_of_sorted(estimates, 1.0 - tail)};
}

}  // namespace r1b::harness
