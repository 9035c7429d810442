// EngineGenerator: the in-tree engine as text in, text out — what `r1bench serve` exposes and what
// the harness's engine backend (`r1bench run --model DIR`) calls.
//
// load() opens a Hugging Face checkpoint folder: tokenizer.json (+ tokenizer_config.json), the chat
// format picked from its special tokens (or named), and the model on the CPU reference backend.
// The chat format's template warning, when there is one, is kept in template_warning() for the
// caller to print once.
//
// generate() may be called from many threads at once: the calls are batched — whichever caller
// finds the engine idle runs every queued request in one Engine::generate (their samples share the
// step), and the others wait for their part. Sample i of a request uses model::sample_seed(seed, i),
// so its tokens do not depend on what it was batched with. Texts stop before a stop string and
// leave out a stop token's text (as OpenAI servers do); finish_reason is "stop" or "length".
// on_delta, when given, receives each sample's new text as tokens are produced (complete UTF-8
// only), on the thread that runs the batch — possibly another caller's.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "base/status.h"
#include "harness/openai_server.h"
#include "model/causal_lm.h"
#include "model/chat_format.h"
#include "model/cpu_backend.h"
#include "model/engine.h"
#include "model/tokenizer.h"

namespace r1b::harness {

struct EngineGeneratorOptions {
  int threads = 0;                 // CPU backend threads; 0: one per hardware thread
  std::string chat_format;         // "" picks from the tokenizer; else r1 | deepseek_v3 | qwen2 | llama3
  int64_t max_context = 0;         // tokens per sequence the KV cache is sized for; 0: the model's
                                   // max_position_embeddings (capped at 8192)
  int64_t max_num_seqs = 64;       // sequences resident in the KV cache at once
};

// Throughput counters over the generator's lifetime (for progress lines and MFU).
struct EngineThroughput {
  int64_t prompt_tokens = 0;       // prefilled (a prompt shared by n samples counts once)
  int64_t generated_tokens = 0;    // sampled
  double busy_seconds = 0;         // wall time inside Engine::generate
  double flops = 0;                // model FLOPs of those steps (model/cost.h)
  double bytes = 0;                // bytes the steps had to move
};

class EngineGenerator final : public TextGenerator {
 public:
  static Result<std::unique_ptr<EngineGenerator>> load(const std::filesystem::path& dir,
                                                       const EngineGeneratorOptions& options);
  ~EngineGenerator() override;

  std::string model_name() const override { return name_; }
  // system (optional, first) + exactly one user message.
  Result<std::string> render_chat(const std::vector<ChatMessage>& messages) const override;
  Result<TextResult> generate(const TextRequest& request, const DeltaCallback& on_delta) override;
  // Several requests at once (batched together; no streaming). result[i] answers requests[i]; the
  // first failing request fails the call.
  Result<std::vector<TextResult>> generate_all(std::span<const TextRequest> requests);

  const model::ChatFormat& chat_format() const { return chat_format_; }
  const std::string& template_warning() const { return chat_format_.template_warning; }
  EngineThroughput throughput() const;

 private:
  struct Pending;
  EngineGenerator() = default;
  // Tokenizes and checks one request into `pending`.
  Status prepare(const TextRequest& request, Pending& pending) const;
  // Queues `pendings` and returns when all are done, running batches while the engine is idle.
  void run_until_done(std::span<Pending> pendings);
  // Runs `batch` through the engine (called by the thread that found the engine idle).
  void run_batch(std::deque<Pending*>& batch);
  // The engine's per-token hook: streams new text to the batch's callers.
  void on_token(int64_t request_index, int64_t sample_index, int32_t token);

  std::string name_;
  std::unique_ptr<model::Tokenizer> tokenizer_;
  model::ChatFormat chat_format_;
  std::unique_ptr<model::CpuBackend> backend_;
  std::unique_ptr<model::CausalLm> model_;
  std::unique_ptr<model::Engine> engine_;
  int64_t max_context_ = 0;
  std::deque<Pending*>* running_ = nullptr;  // the batch inside Engine::generate (its thread only)

  mutable std::mutex mu_;
  std::condition_variable done_cv_;
  std::deque<Pending*> queue_;     // guarded by mu_
  bool engine_busy_ = false;       // guarded by mu_
  EngineThroughput throughput_;    // guarded by mu_
};

}  // namespace r1b::harness
