#include "harness/engine_generator.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/core.h>

#include "model/cpu_backend.h"
#include "model/device_peaks.h"
#include "model/sampler.h"
#include "model/tensor_parallel.h"
#ifdef R1B_HAVE_CUDA
#include "model/cuda_backend.h"
#endif

namespace r1b::harness {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kDefaultContextCap = 8192;
constexpr int64_t kKvBlockTokens = 16;
// Default sequences batched at once (EngineGeneratorOptions::max_num_seqs = 0). On an H100 a 1.5B
// decode step of 256 rows makes 44k tokens/s against 21k at 64 (docs/engine_bench.md); the
// CPU backend's KV cache is sized from this count, so it keeps 64.
constexpr int64_t kCpuMaxNumSeqs = 64;
constexpr int64_t kCudaMaxNumSeqs = 256;
// GPU memory kept out of the KV cache: the CUDA runtime's own growth, cuBLAS workspaces, the
// backend's grow-only scratch buffers.
constexpr int64_t kRuntimeReserveBytes = int64_t{1} << 30;
// One step's fp32 activations per token, in multiples of hidden_size: q/k/v and the attention
// output, the residual and its norm, the MLP's gate, up and product (≈ 3 × 6 × hidden for the
// Qwen2 / Llama / DeepSeek shapes) and the bf16 halves of GEMM inputs, with room to spare.
constexpr int64_t kActivationWidthsPerToken = 48;

// Whether this build has the CUDA backend and a GPU is visible.
bool cuda_usable() {
#ifdef R1B_HAVE_CUDA
  return model::CudaBackend::device_available();
#else
  return false;
#endif
}

// The model on the device options.device names, whole or split over options.tensor_parallel ranks
// (see the header), and the backend the engine runs it with.
struct LoadedModel {
  std::unique_ptr<model::Backend> backend;  // null under tensor parallelism (the model owns its ranks)
  std::unique_ptr<model::CausalLm> model;
  model::Backend* runs_on = nullptr;        // backend, or the TensorParallelLm's
};

// The ranks' backends for tensor parallelism on device.kind.
Result<model::RankBackendFactory> rank_backends(const EngineGeneratorOptions& options, const EngineDevice& device) {
  if (device.kind == "cpu") return model::cpu_rank_backends(options.tensor_parallel, std::max(1, device.threads / options.tensor_parallel));
#ifdef R1B_HAVE_CUDA
  return model::CudaBackend::rank_backends(options.tensor_parallel, {});
#else
  return Status::internal("no CUDA in this build");
#endif
}

Result<LoadedModel> load_model(const fs::path& dir, const EngineGeneratorOptions& options, EngineDevice& device) {
  if (options.device != "auto" && options.device != "cpu" && options.device != "cuda") {
    return Status::invalid_input("device \"" + options.device + "\" is unknown (use auto, cpu or cuda)");
  }
  if (options.tensor_parallel < 1) {
    return Status::invalid_input("tensor-parallel size " + std::to_string(options.tensor_parallel) +
                                 " must be at least 1 (--tensor-parallel)");
  }
  device.tensor_parallel = options.tensor_parallel;
  LoadedModel loaded;
  if (options.device == "cpu" || (options.device == "auto" && !cuda_usable())) {
    device.kind = "cpu";
    device.name = "cpu";
    device.threads = options.threads > 0 ? options.threads
                                         : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (options.tensor_parallel == 1) loaded.backend = std::make_unique<model::CpuBackend>(device.threads);
  } else {
#ifdef R1B_HAVE_CUDA
    if (!model::CudaBackend::device_available()) {
      return Status::unavailable("device cuda: no CUDA GPU is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES), "
                                 "or run on the CPU with --device cpu");
    }
    device.kind = "cuda";
    if (options.tensor_parallel == 1) {
      auto cuda = model::CudaBackend::create();
      R1B_RETURN_IF_ERROR(cuda.status());
      loaded.backend = std::move(*cuda);
    }
#else
    return Status::unavailable("device cuda: this r1bench was built without CUDA (nvcc was not found when it was "
                               "configured); rebuild with the CUDA Toolkit installed, or use --device cpu");
#endif
  }
  if (loaded.backend) {
    auto lm = model::load_causal_lm(dir, *loaded.backend);
    R1B_RETURN_IF_ERROR(lm.status());
    loaded.model = std::move(*lm);
    loaded.runs_on = loaded.backend.get();
  } else {
    auto factory = rank_backends(options, device);
    if (!factory.is_ok()) return factory.status().with_context("--tensor-parallel " + std::to_string(options.tensor_parallel));
    auto lm = model::TensorParallelLm::load(dir, options.tensor_parallel, *factory);
    R1B_RETURN_IF_ERROR(lm.status());
    loaded.runs_on = &(*lm)->backend();
    loaded.model = std::move(*lm);
  }
  if (device.kind == "cuda") device.name = loaded.runs_on->device_name();
  return loaded;
}

// Sizes the KV cache of `device` for `model` on `backend` (see the header) and measures what the
// reports divide by.
Status plan_device(model::Backend& backend, const model::CausalLm& model, const EngineGeneratorOptions& options,
                   const model::SchedulerOptions& scheduler, EngineDevice& device) {
  const model::KvLayout layout = model.kv_layout();
  // allocate_kv_cache() stores rows of the backend's kv_cache_dtype().
  const int64_t block_bytes = kKvBlockTokens * layout.num_layers * (layout.k_row + layout.v_row) *
                              static_cast<int64_t>(model::dtype_size(backend.kv_cache_dtype()));
  const int64_t blocks_per_seq = (device.max_context + kKvBlockTokens - 1) / kKvBlockTokens;
  const int64_t wanted_seqs =
      options.max_num_seqs > 0 ? options.max_num_seqs : (device.kind == "cpu" ? kCpuMaxNumSeqs : kCudaMaxNumSeqs);
  device.kv_block_tokens = kKvBlockTokens;
  // Under tensor parallelism the step runs on tensor_parallel devices at once: peak and bandwidth add up.
  const auto devices = static_cast<double>(device.tensor_parallel);
  device.peak_flops = model::mfu_peak_flops(device.name, options.peak_tflops);
  if (device.peak_flops) *device.peak_flops *= devices;
  if (backend.free_memory_bytes() < 0) {  // host memory: size from the request
    device.kv_blocks = wanted_seqs * blocks_per_seq;
    device.max_num_seqs = wanted_seqs;
  } else {
    device.copy_bandwidth = backend.measure_copy_bandwidth() * devices;
    const int64_t free_bytes = backend.free_memory_bytes();  // after the measurement's buffers went
    const model::ModelInfo& info = model.info();
    const int64_t reserve_bytes =
        kRuntimeReserveBytes +
        scheduler.max_batch_tokens * info.hidden_size * kActivationWidthsPerToken * static_cast<int64_t>(sizeof(float)) +
        2 * wanted_seqs * info.vocab_size * static_cast<int64_t>(sizeof(float));
    const auto usable_bytes =
        static_cast<int64_t>(static_cast<double>(free_bytes) * options.gpu_memory_fraction) -
        reserve_bytes;
    device.kv_blocks = std::max<int64_t>(0, usable_bytes / block_bytes);
    if (device.kv_blocks < blocks_per_seq) {
      return Status::unavailable(fmt::format(
          "device cuda: {} GiB of GPU memory are free after loading the model; {:.0f}% of it less a {:.1f} GiB "
          "activation reserve holds {} KV tokens, fewer than one sequence of {} (lower --max-context or raise "
          "--gpu-memory-fraction)",
          free_bytes >> 30, options.gpu_memory_fraction * 100, static_cast<double>(reserve_bytes) / (1 << 30),
          device.kv_blocks * kKvBlockTokens, device.max_context));
    }
    device.max_num_seqs = std::min(wanted_seqs, device.kv_blocks / blocks_per_seq);
  }
  device.kv_bytes = device.kv_blocks * block_bytes;
  return Status::ok();
}

double per_second(double amount, double seconds) { return seconds > 0 ? amount / seconds : 0.0; }

// Bytes of the settled `text` (whole characters: model/incremental_text.h) that can be shown now,
// given that its first `shown` bytes were (so no stop string starts there, and the search starts at
// `shown`: a stream's cost stays linear): the text before the first completed stop string (the
// token that completes one is streamed too), less a tail that may still grow into a stop string.
std::size_t stable_prefix(std::string_view text, std::size_t shown, const std::vector<std::string>& stop) {
  std::size_t end = text.size();
  for (const std::string& s : stop) {
    if (!s.empty()) end = std::min(end, text.find(s, shown));
  }
  for (const std::string& s : stop) {
    for (std::size_t len = std::min(s.size() - 1, end); len > 0; --len) {
      if (text.substr(0, end).ends_with(std::string_view(s).substr(0, len))) {
        end -= len;
        break;
      }
    }
  }
  return end;
}

}  // namespace

// A streamed sample's text (its tokens but stop tokens), taken a few tokens at a time
// (model/incremental_text.h): `text` grows by each settled piece.
struct StreamedSample {
  std::vector<int32_t> tokens;
  model::IncrementalText decoded;
  std::string text;
  std::size_t sent = 0;  // bytes of text handed to the caller's deltas
};

// One caller's request while it waits in the queue or runs.
struct EngineGenerator::Pending {
  const TextRequest* request = nullptr;
  const DeltaCallback* on_delta = nullptr;
  model::GenerationRequest engine_request;
  std::vector<StreamedSample> streamed;  // per sample (engine thread only)
  // (sample, text) pieces for on_delta, queued by the engine thread and handed to the callback on
  // the caller's thread (run_until_done), so a slow client never holds up the engine.
  std::vector<std::pair<int, std::string>> deltas;  // guarded by mu_
  Result<TextResult> result = Status::internal("not run");
  bool done = false;  // guarded by mu_
};

Result<std::unique_ptr<EngineGenerator>> EngineGenerator::load(const fs::path& dir,
                                                               const EngineGeneratorOptions& options) {
  std::unique_ptr<EngineGenerator> gen(new EngineGenerator());
  gen->name_ = fs::path(dir).lexically_normal().filename().string();
  if (gen->name_.empty()) gen->name_ = fs::absolute(dir).parent_path().filename().string();
  const fs::path tokenizer_json = dir / "tokenizer.json";
  auto tokenizer = model::Tokenizer::load(tokenizer_json);
  R1B_RETURN_IF_ERROR(tokenizer.status());
  gen->tokenizer_ = std::make_unique<model::Tokenizer>(std::move(*tokenizer));
  auto format = options.chat_format.empty() ? model::select_chat_format(*gen->tokenizer_)
                                            : model::chat_format_by_name(*gen->tokenizer_, options.chat_format);
  if (!format.is_ok()) return Status::invalid_input(dir.string() + ": " + format.status().message());
  gen->chat_format_ = std::move(*format);
  if (!(options.gpu_memory_fraction > 0 && options.gpu_memory_fraction <= 1)) {
    return Status::invalid_input("gpu memory fraction " + std::to_string(options.gpu_memory_fraction) +
                                 " is outside (0, 1] (--gpu-memory-fraction)");
  }
  if (options.peak_tflops < 0) return Status::invalid_input("peak TFLOP/s must not be negative (--peak-tflops)");
  auto loaded = load_model(dir, options, gen->device_);
  R1B_RETURN_IF_ERROR(loaded.status());
  gen->backend_ = std::move(loaded->backend);
  gen->model_ = std::move(loaded->model);
  gen->runs_on_ = loaded->runs_on;
  const model::ModelInfo& info = gen->model_->info();
  if (info.vocab_size < gen->tokenizer_->vocab_size()) {
    return Status::invalid_input(dir.string() + ": tokenizer.json has " + std::to_string(gen->tokenizer_->vocab_size()) +
                                 " tokens but config.json's vocab_size is " + std::to_string(info.vocab_size));
  }
  gen->max_context_ = options.max_context > 0 ? options.max_context
                                              : std::min<int64_t>(info.max_position_embeddings > 0
                                                                      ? info.max_position_embeddings
                                                                      : kDefaultContextCap,
                                                                  kDefaultContextCap);
  model::EngineOptions engine_options;
  gen->device_.max_context = gen->max_context_;
  R1B_RETURN_IF_ERROR(plan_device(*gen->runs_on_, *gen->model_, options, engine_options.scheduler, gen->device_));
  engine_options.block_size = gen->device_.kv_block_tokens;
  engine_options.num_kv_blocks = gen->device_.kv_blocks;
  engine_options.scheduler.max_num_seqs = gen->device_.max_num_seqs;
  const model::Tokenizer* tok = gen->tokenizer_.get();
  gen->detokenize_ = [tok](std::span<const int32_t> ids) { return tok->decode(ids); };
  engine_options.detokenize = gen->detokenize_;
  EngineGenerator* raw = gen.get();
  engine_options.on_token = [raw](int64_t request_index, int64_t sample_index, int32_t token) {
    raw->on_token(request_index, sample_index, token);
  };
  gen->engine_ = std::make_unique<model::Engine>(*gen->model_, *gen->runs_on_, std::move(engine_options));
  gen->engine_thread_ = std::thread([raw] { raw->engine_loop(); });
  return gen;
}

EngineGenerator::~EngineGenerator() {
  if (!engine_thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  engine_thread_.join();
}

Result<std::string> EngineGenerator::render_chat(const std::vector<ChatMessage>& messages) const {
  model::ChatTurns turns;
  std::size_t i = 0;
  if (i < messages.size() && messages[i].role == "system") turns.system = messages[i++].content;
  if (i + 1 != messages.size() || messages[i].role != "user") {
    return Status::invalid_input("the in-tree engine takes an optional system message and then one user message");
  }
  turns.user = messages[i].content;
  return model::render_chat_prompt(chat_format_, turns);
}

std::string EngineGenerator::load_summary() const {
  const EngineDevice& d = device_;
  const std::string split = d.tensor_parallel > 1 ? fmt::format(", tensor-parallel over {} ranks", d.tensor_parallel) : "";
  std::string out = d.kind == "cpu" ? fmt::format("engine: cpu, {} threads{}\n", d.threads, split)
                                    : fmt::format("engine: cuda on {}{}, copy bandwidth {:.0f} GB/s\n", d.name, split,
                                                  d.copy_bandwidth / 1e9);
  out += fmt::format("engine: KV cache {} blocks x {} = {} tokens ({:.2f} GiB); up to {} sequences of {} tokens\n",
                     d.kv_blocks, d.kv_block_tokens, d.kv_blocks * d.kv_block_tokens,
                     static_cast<double>(d.kv_bytes) / (1 << 30), d.max_num_seqs, d.max_context);
  if (d.peak_flops) {
    out += fmt::format("engine: MFU against {:.0f} TFLOP/s dense bf16\n", *d.peak_flops / 1e12);
  } else if (d.kind == "cuda") {
    out += "engine: no dense bf16 peak is known for " + d.name + ": MFU is not reported (give it with --peak-tflops)\n";
  }
  return out;
}

EngineThroughput EngineGenerator::throughput() const {
  std::lock_guard lock(mu_);
  return throughput_;
}

nlohmann::json EngineGenerator::stats_json() const {
  const EngineThroughput t = throughput();
  const double flops_per_s = per_second(t.flops, t.busy_seconds);
  const double bytes_per_s = per_second(t.bytes, t.busy_seconds);
  nlohmann::json j = {{"device", device_.kind},
                      {"device_name", device_.name},
                      {"prompt_tokens", t.prompt_tokens},
                      {"prefill_tokens", t.prefill_tokens},
                      {"generated_tokens", t.generated_tokens},
                      {"decode_tokens", t.decode_tokens},
                      {"busy_s", t.busy_seconds},
                      {"prefill_s", t.prefill_seconds},
                      {"decode_s", t.decode_seconds},
                      {"generated_tokens_per_s", per_second(static_cast<double>(t.generated_tokens), t.busy_seconds)},
                      {"prompt_tokens_per_s", per_second(static_cast<double>(t.prompt_tokens), t.busy_seconds)},
                      {"prefill_tokens_per_s", per_second(static_cast<double>(t.prefill_tokens), t.prefill_seconds)},
                      {"decode_tokens_per_s", per_second(static_cast<double>(t.decode_tokens), t.decode_seconds)},
                      {"preemptions", t.preemptions},
                      {"kv_cache_tokens", device_.kv_blocks * device_.kv_block_tokens},
                      {"model_flops", t.flops},
                      {"model_bytes", t.bytes},
                      {"achieved_gflops", flops_per_s / 1e9},
                      {"achieved_gbps", bytes_per_s / 1e9}};
  if (device_.peak_flops) {
    j["peak_tflops"] = *device_.peak_flops / 1e12;
    j["mfu"] = flops_per_s / *device_.peak_flops;
  } else {
    j["mfu_note"] = "no dense bf16 peak is known for " + device_.name +
                    ": give it with --peak-tflops (or \"peak_tflops\" in the engine backend) to get MFU";
  }
  if (device_.copy_bandwidth > 0) {
    j["copy_bandwidth_gbps"] = device_.copy_bandwidth / 1e9;
    j["bandwidth_utilization"] = bytes_per_s / device_.copy_bandwidth;
  }
  return j;
}

Status EngineGenerator::prepare(const TextRequest& request, Pending& pending) const {
  std::vector<int32_t> prompt = tokenizer_->encode(request.prompt, /*parse_special=*/true);
  const auto bos = tokenizer_->bos_id();
  if (tokenizer_->add_bos_token() && bos && (prompt.empty() || prompt.front() != *bos)) {
    prompt.insert(prompt.begin(), *bos);
  }
  const auto prompt_len = static_cast<int64_t>(prompt.size());
  if (prompt_len == 0) return Status::invalid_input("prompt: empty after tokenization");
  if (prompt_len >= max_context_) {
    return Status::invalid_input("prompt: " + std::to_string(prompt_len) + " tokens do not fit the context of " +
                                 std::to_string(max_context_) + " tokens");
  }
  pending.request = &request;
  model::GenerationRequest& er = pending.engine_request;
  er.prompt = std::move(prompt);
  er.num_samples = request.n;
  er.first_sample_index = request.first_sample;
  er.params.sampling.temperature = static_cast<float>(request.temperature);
  er.params.sampling.top_p = static_cast<float>(request.top_p);
  er.params.sampling.top_k = request.top_k;
  er.params.sampling.seed = request.seed;
  er.params.max_tokens = std::min<int64_t>(request.max_tokens.value_or(max_context_), max_context_ - prompt_len);
  er.params.stop_token_ids = chat_format_.stop_ids;
  if (const auto eos = tokenizer_->eos_id()) er.params.stop_token_ids.push_back(*eos);
  for (int32_t id : model_->info().eos_token_ids) er.params.stop_token_ids.push_back(id);
  er.params.stop_strings = request.stop;
  pending.streamed.resize(static_cast<std::size_t>(request.n));
  return Status::ok();
}

void EngineGenerator::run_until_done(std::span<Pending> pendings) {
  std::unique_lock lock(mu_);
  for (Pending& p : pendings) queue_.push_back(&p);
  work_cv_.notify_one();
  const auto all_done = [&] {
    return std::all_of(pendings.begin(), pendings.end(), [](const Pending& p) { return p.done; });
  };
  const auto has_deltas = [&] {
    return std::any_of(pendings.begin(), pendings.end(), [](const Pending& p) { return !p.deltas.empty(); });
  };
  while (true) {
    done_cv_.wait(lock, [&] { return all_done() || has_deltas(); });
    const bool finished = all_done();
    std::vector<std::pair<const DeltaCallback*, std::vector<std::pair<int, std::string>>>> ready;
    for (Pending& p : pendings) {
      if (!p.deltas.empty()) ready.emplace_back(p.on_delta, std::move(p.deltas));
      p.deltas.clear();
    }
    lock.unlock();
    for (auto& [callback, pieces] : ready) {
      for (const auto& [sample, text] : pieces) (*callback)(sample, text);
    }
    if (finished) return;  // every piece was queued before its request was done
    lock.lock();
  }
}

void EngineGenerator::engine_loop() {
  std::unique_lock lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    lock.unlock();
    run_stream();
    lock.lock();
  }
}

Result<TextResult> EngineGenerator::generate(const TextRequest& request, const DeltaCallback& on_delta) {
  Pending pending;
  R1B_RETURN_IF_ERROR(prepare(request, pending));
  pending.on_delta = on_delta ? &on_delta : nullptr;
  run_until_done(std::span<Pending>(&pending, 1));
  return std::move(pending.result);
}

Result<std::vector<TextResult>> EngineGenerator::generate_all(std::span<const TextRequest> requests) {
  std::vector<Pending> pendings(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) R1B_RETURN_IF_ERROR(prepare(requests[i], pendings[i]));
  run_until_done(pendings);
  std::vector<TextResult> out;
  for (Pending& p : pendings) {
    R1B_RETURN_IF_ERROR(p.result.status());
    out.push_back(std::move(*p.result));
  }
  return out;
}

void EngineGenerator::run_stream() {
  running_.clear();
  model::EngineStats before = engine_->stats();
  auto since = std::chrono::steady_clock::now();
  int64_t generated_tokens = 0;  // every sampled token (decode_tokens leaves out each prefill's first)
  // Adds what the engine did since the last call to throughput_ (mu_ held).
  const auto account = [&] {
    const model::EngineStats& after = engine_->stats();
    const auto now = std::chrono::steady_clock::now();
    throughput_.prefill_tokens += after.prefill_tokens - before.prefill_tokens;
    throughput_.prompt_tokens += (after.prefill_tokens - after.recomputed_tokens) -
                                 (before.prefill_tokens - before.recomputed_tokens);
    throughput_.generated_tokens += generated_tokens;
    throughput_.decode_tokens += after.decode_tokens - before.decode_tokens;
    throughput_.busy_seconds += std::chrono::duration<double>(now - since).count();
    throughput_.prefill_seconds += after.prefill_seconds - before.prefill_seconds;
    throughput_.decode_seconds += after.decode_seconds - before.decode_seconds;
    throughput_.preemptions += after.preemptions - before.preemptions;
    throughput_.flops += after.cost.flops() - before.cost.flops();
    throughput_.bytes += after.cost.bytes() - before.cost.bytes();
    before = after;
    since = now;
    generated_tokens = 0;
  };
  model::RequestStream stream;
  stream.take = [&] {
    std::vector<model::GenerationRequest> incoming;
    std::lock_guard lock(mu_);
    for (Pending* p : queue_) {
      running_.push_back(p);
      incoming.push_back(p->engine_request);
    }
    queue_.clear();
    return incoming;
  };
  stream.finished = [&](int64_t index, Result<std::vector<model::SampleOutput>> outputs) {
    Pending& p = *running_[static_cast<std::size_t>(index)];
    if (outputs.is_ok()) {
      p.result = to_text(p, *outputs, generated_tokens);
    } else {
      p.result = outputs.status();
    }
    std::lock_guard lock(mu_);
    account();
    p.done = true;
    done_cv_.notify_all();
  };
  // A failure reaches every unfinished request through finished().
  engine_->run(stream);
  std::lock_guard lock(mu_);
  account();
}

TextResult EngineGenerator::to_text(Pending& p, const std::vector<model::SampleOutput>& outputs,
                                    int64_t& generated_tokens) {
  TextResult result;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const model::SampleOutput& out = outputs[i];
    result.prompt_tokens = out.prompt_tokens;
    generated_tokens += out.completion_tokens;
    std::vector<int32_t> tokens = out.tokens;
    if (out.finish_reason == model::FinishReason::kStopToken && !tokens.empty()) tokens.pop_back();
    std::string text = tokenizer_->decode(tokens);
    if (out.finish_reason == model::FinishReason::kStopString) {
      std::size_t cut = text.size();
      for (const std::string& s : p.request->stop) cut = std::min(cut, text.find(s));
      text.resize(cut);
    }
    if (p.on_delta != nullptr && p.streamed[i].sent < text.size()) {
      std::lock_guard lock(mu_);
      p.deltas.emplace_back(static_cast<int>(i), text.substr(p.streamed[i].sent));
    }
    result.choices.push_back(
        {std::move(text), out.finish_reason == model::FinishReason::kLength ? "length" : "stop", out.completion_tokens});
  }
  return result;
}

void EngineGenerator::on_token(int64_t request_index, int64_t sample_index, int32_t token) {
  if (request_index < 0 || request_index >= static_cast<int64_t>(running_.size())) return;
  Pending& p = *running_[static_cast<std::size_t>(request_index)];
  if (p.on_delta == nullptr) return;
  const auto& stop_ids = p.engine_request.params.stop_token_ids;
  if (std::find(stop_ids.begin(), stop_ids.end(), token) != stop_ids.end()) return;
  StreamedSample& sample = p.streamed[static_cast<std::size_t>(sample_index)];
  sample.tokens.push_back(token);
  const model::PendingText piece = sample.decoded.next(detokenize_, sample.tokens);
  if (!piece.settled || piece.text.empty()) return;  // no whole character yet
  sample.text += piece.text;
  const std::size_t end = stable_prefix(sample.text, sample.sent, p.request->stop);
  if (end <= sample.sent) return;
  std::lock_guard lock(mu_);
  p.deltas.emplace_back(static_cast<int>(sample_index), sample.text.substr(sample.sent, end - sample.sent));
  sample.sent = end;
  done_cv_.notify_all();
}

}  // namespace r1b::harness
