// EngineGenerator: the in-tree engine as text in, text out — what `r1bench serve` exposes and what
// the harness's engine backend (`r1bench run --model DIR`) calls.
//
// load() opens a Hugging Face checkpoint folder: tokenizer.json (+ tokenizer_config.json), the chat
// format picked from its special tokens (or named), and the model on the device options.device
// names: "cpu" (the CPU reference backend), "cuda" (model/cuda_backend.h on the current GPU) or
// "auto" (cuda when r1bench was built with CUDA and a GPU is visible, else cpu). With
// options.tensor_parallel N > 1 the model is split over N ranks (model/tensor_parallel.h): GPUs
// 0 .. N−1 through NCCL on cuda, N CpuBackends sharing the threads on cpu; the KV cache below is
// then sized per rank (every rank holds its share of each block), and MFU and bandwidth divide by
// N devices' peak and bandwidth. The KV cache is sized once, after the weights are loaded:
//   cpu   max_num_seqs sequences of max_context tokens;
//   cuda  (free GPU memory × gpu_memory_fraction − an activation reserve) / bytes per KV block,
//         where the reserve covers one step's activations (max_batch_tokens rows of the widest
//         layer, the logits rows) plus 1 GiB for the CUDA runtime, cuBLAS and scratch buffers;
//         max_num_seqs is then capped at the full-context sequences that fit.
// On a GPU the device's copy bandwidth is measured once at load (the denominator of the reported
// bandwidth utilization) and its dense bf16 peak looked up (model/device_peaks.h; peak_tflops
// overrides) for MFU. load_summary() holds the device choice and the KV capacity, and
// template_warning() the chat format's template warning when there is one, for the caller to print
// once. Errors: the checkpoint's and the tokenizer's; Unavailable for "cuda" without a visible GPU
// or in a build without CUDA, and for a GPU whose memory holds less than one sequence's KV cache;
// InvalidInput for an unknown device, a fraction outside (0, 1], a tensor-parallel size below 1 or
// one that does not split the model's heads / ffn / experts evenly (naming the config key);
// Unavailable for a tensor-parallel size above the visible GPUs.
//
// generate() may be called from many threads at once: the calls are batched — one engine thread
// runs every queued request through Engine::run, and a request that arrives while it runs joins
// the running batch at the next step (continuous batching across calls); each caller gets its
// result as soon as its last sample finishes. Sample i of a request uses model::sample_seed(seed, i),
// so its tokens do not depend on what it was batched with. Texts stop before a stop string and
// leave out a stop token's text (as OpenAI servers do); finish_reason is "stop" or "length".
// on_delta, when given, receives each sample's new text as tokens are produced (complete UTF-8
// only, never text from a stop string on), on the caller's own thread: the engine thread queues
// the pieces, so a slow consumer never holds up the batch. The text is decoded incrementally (a
// window of the last tokens per new token), not from the start each time.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "harness/openai_server.h"
#include "model/backend.h"
#include "model/causal_lm.h"
#include "model/chat_format.h"
#include "model/engine.h"
#include "model/tokenizer.h"

namespace r1b::harness {

struct EngineGeneratorOptions {
  std::string device = "auto";     // auto | cpu | cuda
  int threads = 0;                 // CPU backend threads; 0: one per hardware thread
  std::string chat_format;         // "" picks from the tokenizer; else r1 | deepseek_v3 | qwen2 | llama3
  int64_t max_context = 0;         // tokens per sequence the KV cache is sized for; 0: the model's
                                   // max_position_embeddings (capped at 8192)
  int64_t max_num_seqs = 0;        // sequences resident in the KV cache at once; 0: 64 on cpu, 256
                                   // on cuda (a decode step of 256 rows streams the weights once for
                                   // ~2x the tokens of 64); on a GPU at most the full-context
                                   // sequences its KV cache holds
  double gpu_memory_fraction = 0.90;  // share of the GPU memory free after loading that the KV cache
                                      // and activations may take
  double peak_tflops = 0;          // dense bf16 peak of one device for MFU; 0: model/device_peaks.h's table
  int tensor_parallel = 1;         // ranks (GPUs on cuda) the model is split over
};

// Where the engine runs and what its KV cache holds; fixed at load.
struct EngineDevice {
  std::string kind;                // "cpu" | "cuda"
  std::string name;                // "cpu" or the GPU's name, e.g. "NVIDIA H100 80GB HBM3"
  int threads = 0;                 // CPU backend threads (cpu only; shared by the ranks)
  int tensor_parallel = 1;         // ranks the model is split over
  int64_t kv_blocks = 0;
  int64_t kv_block_tokens = 0;     // tokens per block
  int64_t kv_bytes = 0;            // device bytes of the whole cache
  int64_t max_context = 0;         // tokens per sequence
  int64_t max_num_seqs = 0;        // sequences at once, after the cap
  double copy_bandwidth = 0;       // bytes/s measured at load (× tensor_parallel); 0 when not measured (cpu)
  std::optional<double> peak_flops;  // MFU denominator in FLOP/s (× tensor_parallel); nullopt: unknown device
};

// Throughput counters over the generator's lifetime (for progress lines and MFU).
struct EngineThroughput {
  int64_t prompt_tokens = 0;       // prefilled (a prompt shared by n samples counts once)
  int64_t prefill_tokens = 0;      // prompt tokens + tokens recomputed after preemptions
  int64_t generated_tokens = 0;    // sampled
  int64_t decode_tokens = 0;       // of decode rows, in any step (each prefill's first token left out)
  double busy_seconds = 0;         // wall time inside Engine::run
  double prefill_seconds = 0;      // of steps with prefill rows (model::EngineStats)
  double decode_seconds = 0;       // of pure decode steps (a step mixing both counts as prefill)
  int64_t preemptions = 0;         // sequences preempted for KV blocks and recomputed later
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
  const EngineDevice& device() const { return device_; }
  // The device choice and KV capacity, one "engine: ..." line each, newline-terminated.
  std::string load_summary() const;
  EngineThroughput throughput() const;
  // The throughput with the device's numbers, as runs report it (notes, --json "engine"):
  // {"device", "device_name", "prompt_tokens", "prefill_tokens", "generated_tokens",
  //  "decode_tokens", "busy_s", "prefill_s", "decode_s", "generated_tokens_per_s",
  //  "prompt_tokens_per_s", "prefill_tokens_per_s" (prefill tokens / prefill_s),
  //  "decode_tokens_per_s" (decode tokens / decode_s: an upper bound when steps mixed decode rows
  //  into prefills), "preemptions", "kv_cache_tokens", "model_flops", "model_bytes", "achieved_gflops",
  //  "achieved_gbps", then "peak_tflops" and "mfu" (model FLOP/s over busy_s ÷ peak) or, with no
  //  known peak, "mfu_note" saying how to give one; on a GPU "copy_bandwidth_gbps" and
  //  "bandwidth_utilization" (achieved bytes/s ÷ measured copy bandwidth)}. Rates over zero
  // seconds are 0.
  nlohmann::json stats_json() const;

 private:
  struct Pending;
  EngineGenerator() = default;
  // Tokenizes and checks one request into `pending`.
  Status prepare(const TextRequest& request, Pending& pending) const;
  // Queues `pendings` for the engine thread and returns when all are done, handing their queued
  // text pieces to their on_delta callbacks meanwhile (on this thread).
  void run_until_done(std::span<Pending> pendings);
  // The engine thread: waits for queued requests and runs them through Engine::run, which takes
  // requests queued meanwhile into the running batch, until the destructor stops it.
  void engine_loop();
  // One Engine::run over the queue (engine thread): hands each request's result to its caller as
  // soon as it is done, and keeps throughput_ current.
  void run_stream();
  // The engine's per-token hook: queues new text for streaming callers (engine thread).
  void on_token(int64_t request_index, int64_t sample_index, int32_t token);
  // The texts of `pending`'s samples; adds their token counts to `generated_tokens`.
  TextResult to_text(Pending& pending, const std::vector<model::SampleOutput>& outputs, int64_t& generated_tokens);

  std::string name_;
  std::unique_ptr<model::Tokenizer> tokenizer_;
  model::Detokenize detokenize_;  // tokenizer_->decode, for the engine and the streams
  model::ChatFormat chat_format_;
  std::unique_ptr<model::Backend> backend_;  // null under tensor parallelism (model_ owns its ranks)
  std::unique_ptr<model::CausalLm> model_;
  model::Backend* runs_on_ = nullptr;          // what the engine runs model_ with: backend_ or model_'s
  std::unique_ptr<model::Engine> engine_;
  int64_t max_context_ = 0;
  EngineDevice device_;
  std::vector<Pending*> running_;  // by the current Engine::run's request index (engine thread only)

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // the engine thread waits for queued requests or stopping_
  std::condition_variable done_cv_;  // callers wait for their requests
  std::deque<Pending*> queue_;       // guarded by mu_
  bool stopping_ = false;            // guarded by mu_
  EngineThroughput throughput_;      // guarded by mu_
  std::thread engine_thread_;        // started by load(), joined by the destructor
};

}  // namespace r1b::harness
