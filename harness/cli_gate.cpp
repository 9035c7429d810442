// `r1bench gate`: compare a candidate run with a baseline, per pack, with a paired test.
#include <iostream>

#include <fmt/core.h>

#include "harness/commands.h"
#include "harness/gate.h"
#include "harness/runner.h"

namespace r1b::harness {

namespace {

struct GateFlags {
  int64_t baseline = 0;
  int64_t candidate = 0;
  std::string db = "out/r1bench.db";
  std::string baseline_db;  // defaults to --db
  double allowed_drop = 0.0;
  std::vector<std::string> pack_drops;  // "pack=0.02"
  double alpha = 0.05;
  bool json = false;
};

Result<std::vector<ProblemScore>> scores_of(const std::string& db, int64_t run_id) {
  auto store = results::Store::open(db);
  R1B_RETURN_IF_ERROR(store);
  return run_problem_scores(**store, run_id);
}

void print_text(const GateResult& result) {
  std::cout << fmt::format("{:<24} {:>7} {:>9} {:>9} {:>8} {:>19} {:>8} {:>7}  {}\n", "pack", "paired", "baseline",
                           "candidate", "diff", "95% CI of diff", "p", "allowed", "verdict");
  for (const PackComparison& p : result.packs) {
    std::cout << fmt::format("{:<24} {:>7} {:>9.4f} {:>9.4f} {:>+8.4f} [{:>+8.4f},{:>+8.4f}] {:>8.4f} {:>7.3f}  {}\n",
                             p.pack, p.num_paired, p.base_mean, p.cand_mean, p.mean_diff, p.mean_diff_ci.low,
                             p.mean_diff_ci.high, p.p_value, p.allowed_drop, gate_verdict_name(p.verdict));
    for (const ProblemMove& m : p.top_moves) {
      std::cout << fmt::format("    {:<40} {:.3f} -> {:.3f}\n", m.task_id, m.base_score, m.cand_score);
    }
    if (p.num_unpaired_base + p.num_unpaired_cand > 0) {
      std::cout << fmt::format("    ({} problems only in the baseline, {} only in the candidate: not compared)\n",
                               p.num_unpaired_base, p.num_unpaired_cand);
    }
  }
  for (const auto& pack : result.packs_only_in_baseline) std::cout << "pack " << pack << " is missing from the candidate\n";
  for (const auto& pack : result.packs_only_in_candidate) std::cout << "pack " << pack << " is new in the candidate\n";
  std::cout << (result.has_regression() ? "gate: REGRESSION\n" : "gate: pass\n");
}

nlohmann::json to_json(const GateResult& result) {
  nlohmann::json j = {{"regression", result.has_regression()}, {"packs", nlohmann::json::array()},
                      {"packs_only_in_baseline", result.packs_only_in_baseline},
                      {"packs_only_in_candidate", result.packs_only_in_candidate}};
  for (const PackComparison& p : result.packs) {
    nlohmann::json moves = nlohmann::json::array();
    for (const ProblemMove& m : p.top_moves) moves.push_back({{"task_id", m.task_id}, {"baseline", m.base_score}, {"candidate", m.cand_score}});
    j["packs"].push_back({{"pack", p.pack}, {"paired", p.num_paired}, {"baseline", p.base_mean}, {"candidate", p.cand_mean},
                          {"diff", p.mean_diff}, {"diff_ci", {p.mean_diff_ci.low, p.mean_diff_ci.high}},
                          {"p_value", p.p_value}, {"allowed_drop", p.allowed_drop},
                          {"verdict", gate_verdict_name(p.verdict)}, {"moved", moves}});
  }
  return j;
}

}  // namespace

void add_gate_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<GateFlags>();
  CLI::App* gate = app.add_subcommand(
      "gate", "compare a candidate run with a baseline per pack (exit 0 pass, 1 regression, 2 usage or data error)");
  gate->add_option("--baseline", flags->baseline, "baseline run id")->required();
  gate->add_option("--candidate", flags->candidate, "candidate run id")->required();
  gate->add_option("--db", flags->db, "results database holding the candidate (and the baseline)")->capture_default_str();
  gate->add_option("--baseline-db", flags->baseline_db, "results database holding the baseline, when another");
  gate->add_option("--allowed-drop", flags->allowed_drop, "pass@1 drop tolerated in every pack (absolute, e.g. 0.02)")
      ->check(CLI::Range(0.0, 1.0));
  gate->add_option("--pack-drop", flags->pack_drops, "per-pack allowed drop, PACK=DROP (repeatable)");
  gate->add_option("--alpha", flags->alpha, "significance level of the paired test")->check(CLI::Range(1e-9, 1.0));
  gate->add_flag("--json", flags->json, "print the comparison as JSON");
  gate->callback([flags, &exit_code] {
    const GateFlags& f = *flags;
    GateOptions options;
    options.allowed_drop = f.allowed_drop;
    options.alpha = f.alpha;
    for (const std::string& spec : f.pack_drops) {
      auto eq = spec.rfind('=');
      char* end = nullptr;
      double drop = eq == std::string::npos ? -1 : std::strtod(spec.c_str() + eq + 1, &end);
      if (eq == std::string::npos || eq == 0 || end == nullptr || *end != '\0' || drop < 0 || drop > 1) {
        std::cerr << "r1bench: --pack-drop \"" << spec << "\": expected PACK=DROP with DROP in [0, 1]\n";
        exit_code = kGateExitDataError;
        return;
      }
      options.allowed_drop_by_pack[spec.substr(0, eq)] = drop;
    }
    auto base = scores_of(f.baseline_db.empty() ? f.db : f.baseline_db, f.baseline);
    auto cand = scores_of(f.db, f.candidate);
    for (const auto* r : {&base, &cand}) {
      if (!r->is_ok()) {
        std::cerr << "r1bench: gate: " << r->status().message() << "\n";
        exit_code = kGateExitDataError;
        return;
      }
    }
    auto result = compare_runs(*base, *cand, options);
    if (!result.is_ok()) {
      std::cerr << "r1bench: gate: " << result.status().message() << "\n";
    } else if (f.json) {
      std::cout << to_json(*result).dump(2) << "\n";
    } else {
      print_text(*result);
    }
    exit_code = gate_exit_code(result);
  });
}

}  // namespace r1b::harness
