// Backend: where completions come from. The harness asks for the samples of one task at a time;
// each backend decides how to produce them (replay a file, call an OpenAI-compatible server, run
// the in-tree engine).
//
// Contract: generate() is called concurrently from up to `concurrency` worker threads, so
// implementations must be thread-safe. It returns exactly one Completion per requested sample
// index, in the same order, or a Status explaining why none could be produced (after the
// backend's own retries). A failed request loses nothing: the samples stay ungraded and a
// resumed run asks for them again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <memory>

#include "base/status.h"
#include "tasks/task.h"

namespace r1b::harness {

struct SamplingParams {
  double temperature = 0.6;
  double top_p = 0.95;
  int max_tokens = 32768;
  uint64_t seed = 0;               // run seed; per-sample seeds derive from it (sample_seed)
};

struct GenerationRequest {
  std::string pack;
  const tasks::Task* task = nullptr;  // borrowed; outlives the call
  std::string prompt;              // rendered prompt text (completion endpoints, engine)
  std::string user_message;        // instructed user message (chat endpoints)
  std::vector<int> sample_indices; // which of the task's n samples to produce
  SamplingParams sampling;
};

struct Completion {
  int sample_idx = 0;
  std::string text;
  std::optional<int64_t> prompt_tokens;
  std::optional<int64_t> completion_tokens;
  double latency_ms = 0.0;
  std::string finish_reason;       // "stop" | "length" | "" when unknown
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;        // stored with the run, e.g. "replay:gens.jsonl"
  virtual std::string model() const = 0;       // the model name stored with the run
  virtual Result<std::vector<Completion>> generate(const GenerationRequest& request) = 0;
  // What the backend's own engine measured so far, for the run's notes and output: the in-tree
  // engine gives {"prompt_tokens", "generated_tokens", "busy_s", "generated_tokens_per_s",
  // "prompt_tokens_per_s", "model_flops", "model_bytes", "achieved_gflops", "achieved_gbps"}
  // (model FLOPs and bytes of model/cost.h), plus the device, prefill / decode tokens/s, MFU and
  // bandwidth utilization (harness/engine_generator.h stats_json()). Null for backends that do not
  // know.
  virtual nlohmann::json engine_stats() const { return nullptr; }
  // Tasks to keep in flight (worker threads) so that the backend stays busy when each asks for
  // `samples_per_task` samples; 0: no preference (the runner uses the core count). The in-tree
  // engine asks for two batches' worth, so that finished sequences are replaced at once.
  virtual int preferred_concurrency(int /*samples_per_task*/) const { return 0; }
};

// Builds the backend a suite names. `config` is the suite's "backend" object (see harness/suite.h);
// `where` names its origin in errors. Types: "replay" (harness/replay_backend.h), "openai"
// (harness/http_backend.h) and "engine" (the in-tree engine, harness/engine_backend.h).
Result<std::unique_ptr<Backend>> make_backend(const nlohmann::json& config, const std::string& where);

// A sample's seed: a fixed hash of (run seed, pack, task id, sample index), so a sample draws the
// same randomness whether it is produced in the first run or after a resume.
uint64_t sample_seed(uint64_t run_seed, const std::string& pack, const std::string& task_id, int sample_idx);

}  // namespace r1b::harness
