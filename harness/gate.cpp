#include "harness/gate.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace r1b::harness {
namespace {

using ScoresByPack = std::map<std::string, std::map<std::string, double>>;  // pack → task_id → score

Status check_options(const GateOptions& options) {
  const BootstrapOptions& bootstrap = options.bootstrap;
  const bool are_valid = options.allowed_drop >= 0.0 && options.alpha > 0.0 && options.alpha <= 1.0 &&
                         options.exact_max_nonzero >= 0 && options.exact_max_nonzero <= 30 &&
                         options.monte_carlo_flips >= 1 && bootstrap.resamples >= 1 &&
                         bootstrap.confidence > 0.0 && bootstrap.confidence < 1.0;
  if (!are_valid) {
    return Status::invalid_input(
        "gate: invalid options; need allowed_drop >= 0, alpha in (0, 1], exact_max_nonzero in [0, 30], "
        "monte_carlo_flips >= 1, bootstrap resamples >= 1 and confidence in (0, 1)");
  }
  for (const auto& [pack, drop] : options.allowed_drop_by_pack) {
    if (!(drop >= 0.0)) {
      return Status::invalid_input("gate: allowed drop for pack " + pack + " must be >= 0");
    }
  }
  return Status::ok();
}

Result<ScoresByPack> index_run(const std::vector<ProblemScore>& scores, const std::string& run_name) {
  ScoresByPack by_pack;
  for (const ProblemScore& problem : scores) {
    const std::string where = "gate: " + run_name + " problem " + problem.pack + "/" + problem.task_id;
    if (!(problem.score >= 0.0 && problem.score <= 1.0)) {
      return Status::invalid_input(where + " has score " + std::to_string(problem.score) +
                                   ", outside [0, 1]; pass per-problem pass@1");
    }
    if (!by_pack[problem.pack].emplace(problem.task_id, problem.score).second) {
      return Status::invalid_input(where + " appears twice; pass each problem once");
    }
  }
  return by_pack;
}

double mean_of(std::span<const double> values) {
  double sum = 0.0;
  for (double value : values) sum += value;
  return sum / static_cast<double>(values.size());
}

std::vector<ProblemMove> top_moves(std::vector<ProblemMove> moves, size_t max_moves) {
  std::erase_if(moves, [](const ProblemMove& move) { return move.diff == 0.0; });
  std::sort(moves.begin(), moves.end(), [](const ProblemMove& a, const ProblemMove& b) {
    const double size_a = std::abs(a.diff), size_b = std::abs(b.diff);
    return size_a != size_b ? size_a > size_b : a.task_id < b.task_id;
  });
  if (moves.size() > max_moves) moves.resize(max_moves);
  return moves;
}

Result<PackComparison> compare_pack(const std::string& pack, const std::map<std::string, double>& base,
                                    const std::map<std::string, double>& cand, const GateOptions& options) {
  std::vector<ProblemMove> pairs;
  for (const auto& [task_id, base_score] : base) {
    if (const auto found = cand.find(task_id); found != cand.end()) {
      pairs.push_back({task_id, base_score, found->second, found->second - base_score});
    }
  }
  if (pairs.empty()) {
    return Status::invalid_input("gate: pack " + pack + " is in both runs but shares no task_id (baseline " +
                                 std::to_string(base.size()) + ", candidate " + std::to_string(cand.size()) +
                                 " problems); compare runs of the same pack version");
  }
  std::vector<double> base_scores, cand_scores, diffs;
  for (const ProblemMove& pair : pairs) {
    base_scores.push_back(pair.base_score);
    cand_scores.push_back(pair.cand_score);
    diffs.push_back(pair.diff);
  }
  PackComparison comparison;
  comparison.pack = pack;
  comparison.base_mean = mean_of(base_scores);
  comparison.cand_mean = mean_of(cand_scores);
  comparison.mean_diff = mean_of(diffs);
  comparison.mean_diff_ci =
      BootstrapDraws(diffs.size(), options.bootstrap).interval([&](std::span<const uint32_t> indices) {
        double sum = 0.0;
        for (uint32_t index : indices) sum += diffs[index];
        return sum / static_cast<double>(indices.size());
      });
  comparison.p_value =
      sign_flip_p_value(diffs, options.exact_max_nonzero, options.monte_carlo_flips, options.bootstrap.seed);
  comparison.num_paired = static_cast<int64_t>(pairs.size());
  comparison.num_unpaired_base = static_cast<int64_t>(base.size() - pairs.size());
  comparison.num_unpaired_cand = static_cast<int64_t>(cand.size() - pairs.size());
  const auto drop = options.allowed_drop_by_pack.find(pack);
  comparison.allowed_drop = drop != options.allowed_drop_by_pack.end() ? drop->second : options.allowed_drop;
  const bool is_regression =
      comparison.mean_diff < -comparison.allowed_drop && comparison.p_value < options.alpha;
  comparison.verdict = is_regression ? GateVerdict::kRegression : GateVerdict::kPass;
  comparison.top_moves = top_moves(std::move(pairs), options.max_moves);
  return comparison;
}

}  // namespace

const char* gate_verdict_name(GateVerdict verdict) {
  return verdict == GateVerdict::kRegression ? "regression" : "pass";
}

bool GateResult::has_regression() const {
  return std::any_of(packs.begin(), packs.end(),
                     [](const PackComparison& pack) { return pack.verdict == GateVerdict::kRegression; });
}

Result<GateResult> compare_runs(const std::vector<ProblemScore>& baseline,
                                const std::vector<ProblemScore>& candidate, const GateOptions& options) {
  R1B_RETURN_IF_ERROR(check_options(options));
  Result<ScoresByPack> base = index_run(baseline, "baseline");
  R1B_RETURN_IF_ERROR(base);
  Result<ScoresByPack> cand = index_run(candidate, "candidate");
  R1B_RETURN_IF_ERROR(cand);
  for (const auto& [pack, drop] : options.allowed_drop_by_pack) {
    if (!base->contains(pack) && !cand->contains(pack)) {
      return Status::invalid_input("gate: an allowed drop is given for pack " + pack +
                                   ", which neither run has; check the pack name");
    }
  }
  GateResult result;
  for (const auto& [pack, base_scores] : *base) {
    const auto cand_scores = cand->find(pack);
    if (cand_scores == cand->end()) {
      result.packs_only_in_baseline.push_back(pack);
      continue;
    }
    Result<PackComparison> comparison = compare_pack(pack, base_scores, cand_scores->second, options);
    R1B_RETURN_IF_ERROR(comparison);
    result.packs.push_back(std::move(comparison).value());
  }
  for (const auto& [pack, cand_scores] : *cand) {
    if (!base->contains(pack)) result.packs_only_in_candidate.push_back(pack);
  }
  if (result.packs.empty()) {
    return Status::invalid_input(
        "gate: the baseline and the candidate have no pack in common; "
        "compare runs of the same suite");
  }
  return result;
}

int gate_exit_code(const Result<GateResult>& result) {
  if (!result.is_ok()) return kGateExitDataError;
  return result->has_regression() ? kGateExitRegression : kGateExitPass;
}

double sign_flip_p_value(std::span<const double> diffs, int exact_max_nonzero, int monte_carlo_flips,
                         uint64_t seed) {
  R1B_CHECK(exact_max_nonzero >= 0 && exact_max_nonzero <= 30 && monte_carlo_flips >= 1);
  std::vector<double> nonzero;  // zero diffs are unchanged by a flip
  double magnitude = 0.0;
  for (double diff : diffs) {
    if (diff != 0.0) nonzero.push_back(diff);
    magnitude += std::abs(diff);
  }
  if (nonzero.empty()) return 1.0;
  double observed = 0.0;
  for (double diff : nonzero) observed += diff;
  // Flipped sums equal to the observed one may differ in the last bits from summation order.
  const double threshold = observed + 1e-9 * magnitude;
  auto flipped_sum = [&](auto&& is_flipped) {
    double sum = 0.0;
    for (size_t i = 0; i < nonzero.size(); ++i) sum += is_flipped(i) ? -nonzero[i] : nonzero[i];
    return sum;
  };
  if (nonzero.size() <= static_cast<size_t>(exact_max_nonzero)) {
    const uint64_t num_patterns = uint64_t{1} << nonzero.size();
    uint64_t hits = 0;
    for (uint64_t pattern = 0; pattern < num_patterns; ++pattern) {
      hits += flipped_sum([&](size_t i) { return (pattern >> i & 1) != 0; }) <= threshold ? 1 : 0;
    }
    return static_cast<double>(hits) / static_cast<double>(num_patterns);
  }
  std::mt19937_64 rng(seed);
  uint64_t hits = 0;
  std::vector<bool> signs(nonzero.size());
  for (int flip = 0; flip < monte_carlo_flips; ++flip) {
    uint64_t bits = 0;
    for (size_t i = 0; i < signs.size(); ++i) {
      if (i % 64 == 0) bits = rng();
      signs[i] = (bits >> (i % 64) & 1) != 0;
    }
    hits += flipped_sum([&](size_t i) { return signs[i]; }) <= threshold ? 1 : 0;
  }
  return static_cast<double>(1 + hits) / static_cast<double>(1 + monte_carlo_flips);
}

}  // namespace r1b::harness
