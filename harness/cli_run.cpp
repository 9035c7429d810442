// `r1bench run` and `r1bench regrade`.
#include <cstdlib>
#include <fstream>
#include <filesystem>
#include <iostream>
#include <optional>

#include <fmt/core.h>

#include "harness/commands.h"
#include "harness/runner.h"
#include "results/report_html.h"
#include "results/summary.h"

namespace r1b::harness {

namespace {

namespace fs = std::filesystem;

// Where the bundled suites and packs live: $R1BENCH_HOME, else the source tree r1bench was built from.
std::string data_home() {
  if (const char* home = std::getenv("R1BENCH_HOME")) return home;
#ifdef R1B_SOURCE_DIR
  return R1B_SOURCE_DIR;
#else
  return ".";
#endif
}

struct RunFlags {
  std::string suite_path;
  std::optional<int64_t> resume;
  std::string db = "out/r1bench.db";
  std::string report = "out/report.html";
  bool no_report = false;
  bool json = false;
  int concurrency = 0;
  std::string name;
  // One-off suite pieces; each overrides the suite file's value when given.
  std::vector<std::string> packs;
  std::string format;
  std::string repos_dir;
  std::optional<int> n;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int> max_tokens;
  std::optional<uint64_t> seed;
  std::string template_name;
  std::string replay;
  std::string base_url;
  std::string model;
  std::string endpoint;
  // In-tree engine settings (harness/engine_backend.h).
  std::string device;
  std::optional<double> gpu_memory_fraction;
  std::optional<double> peak_tflops;
  std::optional<int> tensor_parallel;
};

bool has_engine_flags(const RunFlags& f) {
  return !f.device.empty() || f.gpu_memory_fraction || f.peak_tflops || f.tensor_parallel;
}

bool has_one_off_flags(const RunFlags& f) {
  return !f.packs.empty() || f.n || f.temperature || f.top_p || f.max_tokens || f.seed || !f.template_name.empty() ||
         !f.replay.empty() || !f.base_url.empty() || !f.model.empty() || !f.format.empty() || !f.repos_dir.empty() ||
         has_engine_flags(f);
}

// Builds the suite JSON: the suite file (or the bundled demo when nothing is given), then flags.
Result<Suite> resolve_suite(const RunFlags& f) {
  nlohmann::json j = nlohmann::json::object();
  std::string where = "command line";
  std::string base_dir;
  std::string path = f.suite_path;
  if (path.empty() && !has_one_off_flags(f)) path = data_home() + "/suites/demo.json";
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) return Status::not_found(path + ": cannot open suite file (check --suite)");
    j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded()) return Status::invalid_input(path + ": not valid JSON");
    where = path;
    base_dir = fs::path(path).parent_path().string();
  }
  if (!f.packs.empty()) {
    j["packs"] = nlohmann::json::array();
    for (const auto& p : f.packs) {
      nlohmann::json pj = {{"path", fs::absolute(p).string()}};
      if (!f.format.empty()) pj["format"] = f.format;
      if (!f.repos_dir.empty()) pj["repos_dir"] = fs::absolute(f.repos_dir).string();
      j["packs"].push_back(pj);
    }
  }
  if (f.n) j["n"] = *f.n;
  if (f.temperature) j["temperature"] = *f.temperature;
  if (f.top_p) j["top_p"] = *f.top_p;
  if (f.max_tokens) j["max_tokens"] = *f.max_tokens;
  if (f.seed) j["seed"] = *f.seed;
  if (!f.template_name.empty()) j["template"] = f.template_name;
  if (!f.name.empty()) j["name"] = f.name;
  if (!f.replay.empty()) {
    j["backend"] = {{"type", "replay"}, {"path", fs::absolute(f.replay).string()}};
  } else if (!f.base_url.empty()) {
    j["backend"] = {{"type", "openai"}, {"base_url", f.base_url}, {"model", f.model.empty() ? "default" : f.model}};
    if (!f.endpoint.empty()) j["backend"]["endpoint"] = f.endpoint;
    if (f.concurrency > 0) j["backend"]["concurrency"] = f.concurrency;
  } else if (!f.model.empty()) {
    j["backend"] = {{"type", "engine"}, {"model", fs::absolute(f.model).string()}};
  }
  if (has_engine_flags(f)) {
    if (!j.contains("backend") || !j["backend"].is_object() || j["backend"].value("type", "") != "engine") {
      return Status::invalid_input(
          "--device, --gpu-memory-fraction, --peak-tflops and --tensor-parallel apply to the in-tree engine: add --model "
          "DIR (or use a "
          "suite whose backend is {\"type\": \"engine\"})");
    }
    if (!f.device.empty()) j["backend"]["device"] = f.device;
    if (f.gpu_memory_fraction) j["backend"]["gpu_memory_fraction"] = *f.gpu_memory_fraction;
    if (f.peak_tflops) j["backend"]["peak_tflops"] = *f.peak_tflops;
    if (f.tensor_parallel) j["backend"]["tensor_parallel"] = *f.tensor_parallel;
  }
  return parse_suite(j, where, base_dir);
}

// The in-tree engine's numbers (harness/engine_generator.h stats_json) as summary lines.
void print_engine_stats(const nlohmann::json& e) {
  std::cout << fmt::format("engine: {:.1f} generated tok/s, {:.1f} prompt tok/s over {:.1f}s of engine time; "
                           "decode {:.1f} tok/s, prefill {:.1f} tok/s; {} preemptions\n",
                           e.value("generated_tokens_per_s", 0.0), e.value("prompt_tokens_per_s", 0.0),
                           e.value("busy_s", 0.0), e.value("decode_tokens_per_s", 0.0),
                           e.value("prefill_tokens_per_s", 0.0), e.value("preemptions", int64_t{0}));
  const std::string device = e.value("device", "engine");
  const std::string device_name = e.value("device_name", device);
  std::string line = fmt::format("engine: {}: {:.2f} model GFLOP/s, {:.2f} GB/s",
                                 device_name == device ? device : device + " on " + device_name,
                                 e.value("achieved_gflops", 0.0), e.value("achieved_gbps", 0.0));
  if (e.contains("mfu")) {
    line += fmt::format("; MFU {:.2f}% of {:.0f} TFLOP/s", 100 * e["mfu"].get<double>(), e.value("peak_tflops", 0.0));
  }
  if (e.contains("bandwidth_utilization")) {
    line += fmt::format("; {:.1f}% of the {:.0f} GB/s measured copy bandwidth",
                        100 * e["bandwidth_utilization"].get<double>(), e.value("copy_bandwidth_gbps", 0.0));
  }
  std::cout << line << "\n";
  if (e.contains("mfu_note") && e.value("device", "") == "cuda") {
    std::cout << "engine: " << e["mfu_note"].get<std::string>() << "\n";
  }
}

// Prints the outcome (Markdown table or JSON on stdout), writes the report page, picks the exit code.
int finish(results::Store& store, const Result<RunOutcome>& outcome, const RunFlags& f) {
  if (!outcome.is_ok()) {
    std::cerr << "r1bench: " << outcome.status().message() << "\n";
    return 2;
  }
  const int64_t ids[] = {outcome->run_id};
  if (f.json) {
    auto summary = results::summary_json(store, ids);
    nlohmann::json out = {{"run_id", outcome->run_id},
                          {"status", outcome->status},
                          {"samples_total", outcome->samples_total},
                          {"samples_graded_now", outcome->samples_graded_now},
                          {"samples_graded_before", outcome->samples_graded_before},
                          {"samples_failed", outcome->samples_failed},
                          {"wall_s", outcome->wall_s},
                          {"completion_tokens", outcome->completion_tokens},
                          {"db", f.db}};
    if (summary.is_ok()) out["summary"] = *summary;
    if (!outcome->engine_stats.is_null()) out["engine"] = outcome->engine_stats;
    if (!outcome->first_error.empty()) out["first_error"] = outcome->first_error;
    std::cout << out.dump(2) << "\n";
  } else if (outcome->status == "complete") {
    auto table = results::summary_markdown(store, ids);
    if (table.is_ok()) std::cout << *table;
    std::cout << fmt::format("run {} complete: {} samples ({} graded now) in {:.1f}s; results in {}\n", outcome->run_id,
                             outcome->samples_total, outcome->samples_graded_now, outcome->wall_s, f.db);
    if (const nlohmann::json& e = outcome->engine_stats; !e.is_null()) print_engine_stats(e);
  }
  if (!f.no_report && outcome->status == "complete") {
    Status s = results::write_report_html(store, {}, f.report);
    if (!s.is_ok()) {
      std::cerr << "r1bench: report: " << s.message() << "\n";
      return 2;
    }
    if (!f.json) std::cout << "report: " << f.report << "\n";
  }
  if (outcome->status != "complete") {
    std::cerr << fmt::format("r1bench: run {} incomplete: {} of {} samples could not be generated (first error: {}). "
                             "Resume with: r1bench run --resume {} --db {}\n",
                             outcome->run_id, outcome->samples_failed, outcome->samples_total, outcome->first_error,
                             outcome->run_id, f.db);
    return 1;
  }
  return 0;
}

Result<std::unique_ptr<results::Store>> open_store(const std::string& db) { return results::Store::open(db); }

void add_common_flags(CLI::App* cmd, RunFlags& f) {
  cmd->add_option("--db", f.db, "results database (SQLite)")->capture_default_str();
  cmd->add_option("--report", f.report, "HTML report written after the run")->capture_default_str();
  cmd->add_flag("--no-report", f.no_report, "do not write the HTML report");
  cmd->add_flag("--json", f.json, "print the outcome as JSON on stdout");
  cmd->add_option("--concurrency", f.concurrency, "worker threads / in-flight requests")->check(CLI::Range(1, 4096));
  cmd->add_option("--name", f.name, "run name (default: the suite's name)");
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* run = app.add_subcommand("run", "run a suite (default: the bundled demo suite) or resume a run");
  RunFlags& f = *flags;
  run->add_option("--suite", f.suite_path, "suite file (JSON)");
  run->add_option("--resume", f.resume, "continue run RUN: generate only the samples it has not graded");
  add_common_flags(run, f);
  run->add_option("--pack", f.packs, "pack file (repeatable); replaces the suite's packs");
  run->add_option("--format", f.format,
                  "pack format: auto, native, math500, aime, gpqa, codeforces, code_contests, swebench");
  run->add_option("--repos-dir", f.repos_dir, "swebench packs: folder with one clone per repository (owner__name)");
  run->add_option("--n", f.n, "samples per task")->check(CLI::Range(1, 100000));
  run->add_option("--temperature", f.temperature, "sampling temperature");
  run->add_option("--top-p", f.top_p, "nucleus sampling top-p");
  run->add_option("--max-tokens", f.max_tokens, "maximum generated tokens per sample");
  run->add_option("--seed", f.seed, "run seed (per-sample seeds derive from it)");
  run->add_option("--template", f.template_name, "chat format: r1, qwen2, llama3, plain");
  run->add_option("--replay", f.replay, "grade saved generations (JSONL) instead of generating");
  run->add_option("--base-url", f.base_url, "OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1");
  run->add_option("--model", f.model,
                  "checkpoint folder for the in-tree engine; with --base-url, the model name sent to the server");
  run->add_option("--endpoint", f.endpoint, "completions (default) or chat");
  run->add_option("--device", f.device, "in-tree engine device: auto (cuda when a GPU is visible), cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  run->add_option("--gpu-memory-fraction", f.gpu_memory_fraction,
                  "in-tree engine: share of free GPU memory for the KV cache and activations (default 0.90)")
      ->check(CLI::Range(0.01, 1.0));
  run->add_option("--peak-tflops", f.peak_tflops, "dense bf16 peak for MFU (default: the GPU's datasheet figure)")
      ->check(CLI::PositiveNumber);
  run->add_option("--tensor-parallel", f.tensor_parallel,
                  "in-tree engine: split the model over this many GPUs (cpu: ranks) with NCCL (default 1)")
      ->check(CLI::Range(1, 64));
  run->callback([flags, &exit_code] {
    const RunFlags& f = *flags;
    if (f.resume && (!f.suite_path.empty() || has_one_off_flags(f))) {
      std::cerr << "r1bench: --resume continues a run with its stored suite; drop --suite and the suite flags\n";
      exit_code = 2;
      return;
    }
    auto store = open_store(f.db);
    if (!store.is_ok()) {
      std::cerr << "r1bench: " << store.status().message() << "\n";
      exit_code = 2;
      return;
    }
    RunOptions options;
    options.concurrency = f.concurrency;
    options.run_name = f.name;
    if (f.resume) {
      exit_code = finish(**store, resume_run(**store, *f.resume, options), f);
      return;
    }
    auto suite = resolve_suite(f);
    if (!suite.is_ok()) {
      std::cerr << "r1bench: " << suite.status().message() << "\n";
      exit_code = 2;
      return;
    }
    exit_code = finish(**store, start_run(**store, *suite, options), f);
  });

  auto regrade_flags = std::make_shared<RunFlags>();
  auto run_id = std::make_shared<int64_t>(0);
  CLI::App* regrade = app.add_subcommand("regrade", "grade a run's stored completions again with the current verifiers");
  regrade->add_option("RUN", *run_id, "run id")->required();
  add_common_flags(regrade, *regrade_flags);
  regrade->callback([regrade_flags, run_id, &exit_code] {
    auto store = open_store(regrade_flags->db);
    if (!store.is_ok()) {
      std::cerr << "r1bench: " << store.status().message() << "\n";
      exit_code = 2;
      return;
    }
    RunOptions options;
    options.concurrency = regrade_flags->concurrency;
    options.run_name = regrade_flags->name;
    exit_code = finish(**store, regrade_run(**store, *run_id, options), *regrade_flags);
  });
}

}  // namespace r1b::harness
