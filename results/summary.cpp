#include "results/summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

namespace r1b::results {

namespace {

// The k of a "pass@k" / "cons@k" row: the k column when set, else the number after '@'.
std::optional<int> metric_k(const MetricRow& m, std::string_view family) {
  std::string_view name = m.metric;
  if (name.size() <= family.size() || name.substr(0, family.size()) != family || name[family.size()] != '@') {
    return std::nullopt;
  }
  if (m.k > 0) return m.k;
  std::string_view digits = name.substr(family.size() + 1);
  int k = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), k);
  if (ec != std::errc() || end != digits.data() + digits.size() || k <= 0) return std::nullopt;
  return k;
}

MetricValue value_of(const MetricRow& m) { return {m.value, m.ci_low, m.ci_high}; }

// Folds one whole-pack metric row into its pack's summary.
void add_metric(PackSummary& p, const MetricRow& m) {
  p.num_problems = std::max(p.num_problems, m.num_problems);
  if (auto k = metric_k(m, "pass")) {
    p.pass_curve.emplace_back(*k, m.value);
    if (*k == 1) p.pass_at_1 = value_of(m);
    if (*k >= p.num_samples_per_problem) {
      p.num_samples_per_problem = *k;
      p.pass_at_n = value_of(m);
    }
  } else if (auto ck = metric_k(m, "cons")) {
    if (*ck >= p.cons_k) {
      p.cons_k = *ck;
      p.cons_at_n = value_of(m);
    }
  } else if (m.metric == "judge_errors") {
    p.judge_errors = m.value;
  } else if (m.metric == "mean_completion_tokens") {
    p.mean_completion_tokens = m.value;
  } else if (m.metric == "codeforces_rating") {
    p.codeforces_rating = value_of(m);
  }
}

Result<RunSummary> summarize_run(Store& store, int64_t run_id) {
  auto info = store.run(run_id);
  R1B_RETURN_IF_ERROR(info);
  auto metrics = store.metrics(run_id);
  R1B_RETURN_IF_ERROR(metrics);
  std::map<std::string, PackSummary> by_pack;  // "*" sorts before letters and digits
  for (const MetricRow& m : *metrics) {
    if (!m.slice.empty()) continue;
    PackSummary& p = by_pack[m.pack];
    p.pack = m.pack;
    add_metric(p, m);
  }
  RunSummary out{std::move(info).value(), {}};
  for (auto& [name, pack] : by_pack) {
    std::sort(pack.pass_curve.begin(), pack.pass_curve.end());
    out.packs.push_back(std::move(pack));
  }
  return out;
}

std::string percent(const std::optional<MetricValue>& v) {
  return v ? fmt::format("{:.1f}", 100.0 * v->value) : "–";
}

std::string interval(const std::optional<MetricValue>& v) {
  if (!v || !v->ci_low || !v->ci_high) return "–";
  return fmt::format("[{:.1f}, {:.1f}]", 100.0 * *v->ci_low, 100.0 * *v->ci_high);
}

std::string number(const std::optional<double>& v, const char* format) {
  return v ? fmt::format(fmt::runtime(format), *v) : "–";
}

// Markdown cells must not break the table: pipes are escaped, line breaks become spaces.
std::string md_cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

nlohmann::json json_of(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

nlohmann::json json_of(const std::optional<MetricValue>& v) {
  if (!v) return nullptr;
  return {{"value", v->value}, {"ci_low", json_of(v->ci_low)}, {"ci_high", json_of(v->ci_high)}};
}

}  // namespace

Result<std::vector<RunSummary>> summarize_runs(Store& store, std::span<const int64_t> run_ids) {
  std::vector<int64_t> ids(run_ids.begin(), run_ids.end());
  if (ids.empty()) {
    auto all = store.runs();
    R1B_RETURN_IF_ERROR(all);
    for (const RunInfo& r : *all) ids.push_back(r.run_id);
  }
  std::vector<RunSummary> out;
  for (int64_t id : ids) {
    auto run = summarize_run(store, id);
    R1B_RETURN_IF_ERROR(run);
    out.push_back(std::move(run).value());
  }
  return out;
}

Result<std::string> summary_markdown(Store& store, std::span<const int64_t> run_ids) {
  auto runs = summarize_runs(store, run_ids);
  R1B_RETURN_IF_ERROR(runs);
  std::string out =
      "| run | name | model | pack | problems | n | pass@1 | 95% CI | cons@n | pass@n | judge errors | mean tokens |\n"
      "|---:|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|\n";
  for (const RunSummary& r : *runs) {
    for (const PackSummary& p : r.packs) {
      out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", r.run.run_id,
                         md_cell(r.run.name), md_cell(r.run.model), p.pack == "*" ? "(all)" : md_cell(p.pack),
                         p.num_problems, p.num_samples_per_problem, percent(p.pass_at_1), interval(p.pass_at_1),
                         percent(p.cons_at_n), percent(p.pass_at_n), number(p.judge_errors, "{:.0f}"),
                         number(p.mean_completion_tokens, "{:.0f}"));
    }
    if (r.packs.empty()) {
      out += fmt::format("| {} | {} | {} | (no metrics) | | | | | | | | |\n", r.run.run_id, md_cell(r.run.name),
                         md_cell(r.run.model));
    }
  }
  for (const RunSummary& r : *runs) {
    for (const PackSummary& p : r.packs) {
      if (!p.codeforces_rating) continue;
      const MetricValue& v = *p.codeforces_rating;
      out += fmt::format("\nrun {} {}: Codeforces rating estimate {:.0f}", r.run.run_id, md_cell(p.pack), v.value);
      if (v.ci_low && v.ci_high) out += fmt::format(" (95% CI [{:.0f}, {:.0f}])", *v.ci_low, *v.ci_high);
      out += "\n";
    }
  }
  return out;
}

Result<nlohmann::json> summary_json(Store& store, std::span<const int64_t> run_ids) {
  auto runs = summarize_runs(store, run_ids);
  R1B_RETURN_IF_ERROR(runs);
  nlohmann::json out = {{"runs", nlohmann::json::array()}};
  for (const RunSummary& r : *runs) {
    nlohmann::json packs = nlohmann::json::array();
    for (const PackSummary& p : r.packs) {
      nlohmann::json cons = json_of(p.cons_at_n);
      if (!cons.is_null()) cons["k"] = p.cons_k;
      packs.push_back({{"pack", p.pack},
                       {"num_problems", p.num_problems},
                       {"n", p.num_samples_per_problem},
                       {"pass@1", json_of(p.pass_at_1)},
                       {"pass@n", json_of(p.pass_at_n)},
                       {"cons@n", std::move(cons)},
                       {"judge_errors", json_of(p.judge_errors)},
                       {"mean_completion_tokens", json_of(p.mean_completion_tokens)},
                       {"codeforces_rating", json_of(p.codeforces_rating)}});
    }
    out["runs"].push_back({{"run_id", r.run.run_id},
                           {"name", r.run.name},
                           {"model", r.run.model},
                           {"backend", r.run.backend},
                           {"status", r.run.status},
                           {"started_at", r.run.started_at},
                           {"packs", std::move(packs)}});
  }
  return out;
}

}  // namespace r1b::results
