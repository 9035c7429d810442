// Engine speed on one GPU against its roofline: CausalLm::forward on model::CudaBackend for the
// R1-Distill-Qwen-1.5B shape (Qwen2ForCausalLM: hidden 1536, intermediate 8960, 28 layers, 12 heads,
// 2 KV heads, vocab 151936, rope_theta 10000, untied head) or, with --shape 7b, the -7B shape
// (hidden 3584, intermediate 18944, 28 heads, 4 KV heads, vocab 152064), with random weights.
//
// One run does, in order, and prints a self-explanatory table:
//   1. Writes a Hugging Face checkpoint folder (config.json + model.safetensors, BF16 weights
//      ~ N(0, 0.02), norm weights 1) into a fresh folder under --workdir, loads it with
//      load_causal_lm(dir, CudaBackend), then deletes the folder (the weights are on the device).
//   2. Bandwidth roofline: CudaBackend::measure_copy_bandwidth() (1 GiB copies on the device);
//      bandwidth = read + write bytes / s.
//   3. Decode at (B, context) in kDecodePoints (B 1..512 at 1k, 1..64 at 8k): B sequences whose KV
//      pages are already in the cache, one new token each, logits for every row, bracketed as a
//      decode step (recorded as a CUDA graph and replayed, unless --no-graphs). 3 warm-up steps,
//      then --steps timed steps, each ended by downloading a one-element tensor queued after it;
//      the median step is reported, and queue_ms, the host time to queue it. tokens/s = B / step.
//      Bytes per step from CausalLm::cost(): the weights once (BF16) + every sequence's KV rows
//      read + the new rows written, at the cache's element size. GB/s = bytes / step, of_bw =
//      GB/s ÷ the measured copy bandwidth, the decode roofline.
//   4. Prefill: one sequence of 2048 and of 8192 new tokens, logits for its last row; 1 warm-up,
//      3 timed passes, median. tokens/s, and TFLOP/s from CausalLm::cost() (matmuls + causal
//      attention) with MFU = TFLOP/s ÷ kH100DenseBf16Flops, the prefill roofline.
// TFLOP/s and MFU are printed for decode too. --layers N shrinks the depth for a quick run (the
// output says so); the cost follows the loaded model. --activations split runs the exactness
// configuration (GEMM activations as bf16 hi + lo, fp32 KV cache).
//
// Errors (no GPU, unwritable --workdir, a load failure) print one line and exit 1.
// Run: engine_bench [--shape 1.5b|7b] [--workdir DIR (default $TMPDIR)] [--layers N] [--steps N]
//                   [--activations bf16|split] [--no-graphs]
// Numbers: docs/engine_bench.md.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numbers>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "kernels/device_info.h"
#include "kernels/dispatch.h"
#include "model/causal_lm.h"
#include "model/cuda_backend.h"

namespace r1b::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr double kH100DenseBf16Flops = 989e12;  // H100 SXM dense BF16 tensor-core peak (FLOP/s)
constexpr int64_t kFullNumLayers = 28;
constexpr int64_t kBlockSize = 16;
// Decode points (batch, context) and prefill lengths; the KV cache holds the largest batch × context.
struct DecodePoint {
  int64_t batch;
  int64_t context;
};
constexpr DecodePoint kDecodePoints[] = {{1, 1024}, {16, 1024}, {64, 1024}, {256, 1024}, {512, 1024},
                                         {1, 8192}, {16, 8192}, {64, 8192}};
constexpr int64_t kPrefillLengths[] = {2048, 8192};
constexpr double kWeightStd = 0.02;
constexpr uint64_t kSeed = 20250601;

// The dense shapes the benchmark writes (Qwen2ForCausalLM, 28 layers, head dim 128).
struct DenseShape {
  const char* name;
  int64_t hidden, intermediate, heads, kv_heads, vocab;
};
constexpr DenseShape kShapes[] = {{"R1-Distill-Qwen-1.5B", 1536, 8960, 12, 2, 151936},
                                  {"R1-Distill-Qwen-7B", 3584, 18944, 28, 4, 152064}};

struct BenchOptions {
  DenseShape shape = kShapes[0];
  fs::path workdir = fs::temp_directory_path();
  int64_t num_layers = kFullNumLayers;
  int decode_steps = 20;
  model::GemmActivations activations = model::GemmActivations::kBf16;
  bool cuda_graphs = true;
};

Result<BenchOptions> parse_options(int argc, char** argv) {
  BenchOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--no-graphs") {
      options.cuda_graphs = false;
      continue;
    }
    if (i + 1 >= argc || (flag != "--workdir" && flag != "--layers" && flag != "--steps" && flag != "--activations" &&
                          flag != "--shape")) {
      return Status::invalid_input("engine_bench: bad argument '" + flag +
                                   "'; usage: engine_bench [--shape 1.5b|7b] [--workdir DIR] [--layers N] [--steps N] "
                                   "[--activations bf16|split] [--no-graphs]");
    }
    const std::string value = argv[++i];
    if (flag == "--shape") {
      if (value != "1.5b" && value != "7b") {
        return Status::invalid_input("engine_bench: --shape wants 1.5b or 7b, got '" + value + "'");
      }
      options.shape = kShapes[value == "1.5b" ? 0 : 1];
      continue;
    }
    if (flag == "--workdir") {
      options.workdir = value;
      continue;
    }
    if (flag == "--activations") {
      if (value != "bf16" && value != "split") {
        return Status::invalid_input("engine_bench: --activations wants bf16 or split, got '" + value + "'");
      }
      options.activations = value == "bf16" ? model::GemmActivations::kBf16 : model::GemmActivations::kSplit;
      continue;
    }
    char* end = nullptr;
    const long number = std::strtol(value.c_str(), &end, 10);
    if (*end != '\0' || number < 1 || (flag == "--layers" && number > kFullNumLayers)) {
      return Status::invalid_input("engine_bench: " + flag + " wants a positive integer (--layers at most 28), got '" +
                                   value + "'");
    }
    if (flag == "--layers") {
      options.num_layers = number;
    } else {
      options.decode_steps = static_cast<int>(number);
    }
  }
  return options;
}

nlohmann::json qwen2_config(const DenseShape& shape, int64_t num_layers) {
  return {{"architectures", {"Qwen2ForCausalLM"}}, {"model_type", "qwen2"},  {"vocab_size", shape.vocab},
          {"hidden_size", shape.hidden},           {"intermediate_size", shape.intermediate},
          {"num_hidden_layers", num_layers},       {"num_attention_heads", shape.heads},
          {"num_key_value_heads", shape.kv_heads}, {"rms_norm_eps", 1e-6},
          {"rope_theta", 10000.0},                 {"max_position_embeddings", 131072},
          {"tie_word_embeddings", false},          {"use_sliding_window", false}, {"torch_dtype", "bfloat16"},
          {"bos_token_id", 151646},                {"eos_token_id", 151643}};
}

struct WeightShape {
  std::string name;
  std::vector<int64_t> shape;
};

std::vector<WeightShape> qwen2_weight_shapes(const nlohmann::json& config) {
  const int64_t hidden = config["hidden_size"], vocab = config["vocab_size"], ffn = config["intermediate_size"];
  const int64_t head_dim = hidden / config["num_attention_heads"].get<int64_t>();
  const int64_t q_width = config["num_attention_heads"].get<int64_t>() * head_dim;
  const int64_t kv_width = config["num_key_value_heads"].get<int64_t>() * head_dim;
  std::vector<WeightShape> list = {{"model.embed_tokens.weight", {vocab, hidden}},
                                   {"model.norm.weight", {hidden}},
                                   {"lm_head.weight", {vocab, hidden}}};
  for (int64_t l = 0; l < config["num_hidden_layers"].get<int64_t>(); ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    list.push_back({p + "input_layernorm.weight", {hidden}});
    list.push_back({p + "post_attention_layernorm.weight", {hidden}});
    list.push_back({p + "self_attn.q_proj.weight", {q_width, hidden}});
    list.push_back({p + "self_attn.q_proj.bias", {q_width}});
    list.push_back({p + "self_attn.k_proj.weight", {kv_width, hidden}});
    list.push_back({p + "self_attn.k_proj.bias", {kv_width}});
    list.push_back({p + "self_attn.v_proj.weight", {kv_width, hidden}});
    list.push_back({p + "self_attn.v_proj.bias", {kv_width}});
    list.push_back({p + "self_attn.o_proj.weight", {hidden, q_width}});
    list.push_back({p + "mlp.gate_proj.weight", {ffn, hidden}});
    list.push_back({p + "mlp.up_proj.weight", {ffn, hidden}});
    list.push_back({p + "mlp.down_proj.weight", {hidden, ffn}});
  }
  return list;
}

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  return count;
}

uint16_t float_to_bf16(float value) {
  uint32_t bits = 0;
  std::memcpy(&bits, &value, 4);
  return static_cast<uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);  // round to nearest even
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Fills `out` with N(0, kWeightStd) as BF16 (Box–Muller), split over the host's cores; each
// thread's stream is seeded from (`seed`, its chunk), so the values do not depend on timing.
void fill_normal_bf16(std::vector<uint16_t>& out, uint64_t seed) {
  const int64_t num_threads = std::max(1u, std::thread::hardware_concurrency());
  const int64_t chunk = (static_cast<int64_t>(out.size()) + num_threads - 1) / num_threads;
  std::vector<std::thread> threads;
  for (int64_t t = 0; t < num_threads; ++t) {
    threads.emplace_back([&out, seed, chunk, t] {
      uint64_t state = seed ^ (static_cast<uint64_t>(t + 1) * 0xD1B54A32D192ED03ull);
      const auto end = std::min<int64_t>(static_cast<int64_t>(out.size()), (t + 1) * chunk);
      for (int64_t i = t * chunk; i < end; i += 2) {
        const double u1 = (static_cast<double>(splitmix64(state) >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
        const double u2 = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
        const double radius = kWeightStd * std::sqrt(-2.0 * std::log(u1));
        out[i] = float_to_bf16(static_cast<float>(radius * std::cos(2 * std::numbers::pi * u2)));
        if (i + 1 < end) out[i + 1] = float_to_bf16(static_cast<float>(radius * std::sin(2 * std::numbers::pi * u2)));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
}

// Writes config.json and a single BF16 model.safetensors for `config` into `dir`.
Status write_checkpoint(const fs::path& dir, const nlohmann::json& config) {
  const std::vector<WeightShape> weights = qwen2_weight_shapes(config);
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const WeightShape& weight : weights) {
    const uint64_t bytes = static_cast<uint64_t>(numel(weight.shape)) * 2;
    header[weight.name] = {{"dtype", "BF16"}, {"shape", weight.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  const std::string text = header.dump();
  const fs::path path = dir / "model.safetensors";
  std::ofstream out(path, std::ios::binary);
  const uint64_t length = text.size();
  out.write(reinterpret_cast<const char*>(&length), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  std::vector<uint16_t> values;
  uint64_t seed = kSeed;
  for (const WeightShape& weight : weights) {
    values.assign(static_cast<size_t>(numel(weight.shape)), float_to_bf16(1.0f));
    const bool is_norm = weight.name.find("norm") != std::string::npos;
    if (!is_norm) fill_normal_bf16(values, splitmix64(seed));
    out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * 2));
  }
  std::ofstream(dir / "config.json") << config.dump(2);
  if (!out.flush()) return Status::io_error("engine_bench: cannot write " + path.string() + " (disk full?)");
  return Status::ok();
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// One step of `batch_size` sequences, each with `num_new` new tokens ending at `context_len`;
// sequence b owns the KV blocks [b × blocks_per_seq, (b + 1) × blocks_per_seq). Logits for the
// last row of every sequence.
model::ForwardBatch make_step(int64_t batch_size, int64_t num_new, int64_t context_len, int64_t vocab) {
  const int64_t blocks_per_seq = (context_len + kBlockSize - 1) / kBlockSize;
  model::ForwardBatch batch;
  uint64_t state = kSeed;
  for (int64_t b = 0; b < batch_size; ++b) {
    model::AttentionSeq seq;
    seq.q_begin = b * num_new;
    seq.num_q = num_new;
    seq.context_len = context_len;
    for (int64_t k = 0; k < blocks_per_seq; ++k) seq.block_table.push_back(static_cast<int32_t>(b * blocks_per_seq + k));
    for (int64_t i = 0; i < num_new; ++i) {
      const int64_t position = context_len - num_new + i;
      batch.token_ids.push_back(static_cast<int32_t>(splitmix64(state) % static_cast<uint64_t>(vocab)));
      batch.positions.push_back(static_cast<int32_t>(position));
      batch.slots.push_back(seq.block_table[position / kBlockSize] * static_cast<int32_t>(kBlockSize) +
                            static_cast<int32_t>(position % kBlockSize));
    }
    batch.logit_rows.push_back(static_cast<int32_t>(seq.q_begin + num_new - 1));
    batch.seqs.push_back(std::move(seq));
  }
  return batch;
}

struct StepTiming {
  double step_s = 0;     // median
  double fastest_s = 0;
  double queue_s = 0;    // median time for forward() to return: the host's share of a step
};

// Runs `batch` warmup + timed times; each run ends with a download of `fence` (queued after the
// step on the backend's stream, so it returns once the step has finished).
StepTiming time_steps(model::CausalLm& model, model::CudaBackend& backend, model::KvCache& cache,
                      const model::ForwardBatch& batch, int warmup, int timed) {
  model::Tensor fence = backend.alloc({1}, model::DType::kF32);
  // Decode steps go through the backend's decode-step recording, as ModelRunner runs them.
  const bool decode = batch.token_ids.size() == batch.seqs.size();
  int64_t max_context = 0;
  for (const model::AttentionSeq& seq : batch.seqs) max_context = std::max(max_context, seq.context_len);
  auto step = [&] {
    if (decode) backend.begin_decode_step(static_cast<int64_t>(batch.seqs.size()), max_context);
    model::Tensor logits = model.forward(batch, cache);
    if (decode) backend.end_decode_step();
  };
  for (int i = 0; i < warmup; ++i) {
    step();
    backend.download(fence);
  }
  std::vector<double> step_s, queue_s;
  for (int i = 0; i < timed; ++i) {
    const Clock::time_point start = Clock::now();
    step();
    queue_s.push_back(seconds_since(start));
    backend.download(fence);
    step_s.push_back(seconds_since(start));
  }
  return {median(step_s), *std::min_element(step_s.begin(), step_s.end()), median(queue_s)};
}

void print_row(const char* label, int64_t batch_size, int64_t context, int64_t num_tokens, const StepTiming& timing,
               const model::ForwardCost& cost, double bandwidth) {
  const double gbps = cost.bytes() / timing.step_s / 1e9;
  const double tflops = cost.flops() / timing.step_s / 1e12;
  std::printf("%-8s %5lld %6lld %7lld %9.3f %9.3f %8.3f %11.1f %8.3f %8.1f %6.3f %8.2f %6.4f\n", label,
              static_cast<long long>(batch_size), static_cast<long long>(context), static_cast<long long>(num_tokens),
              timing.step_s * 1e3, timing.fastest_s * 1e3, timing.queue_s * 1e3,
              static_cast<double>(num_tokens) / timing.step_s, cost.bytes() / 1e9, gbps, gbps * 1e9 / bandwidth,
              tflops, tflops * 1e12 / kH100DenseBf16Flops);
}

Status run(const BenchOptions& options) {
  if (!model::CudaBackend::device_available()) {
    return Status::unavailable("engine_bench: no CUDA device visible (check nvidia-smi and the driver)");
  }
  const std::vector<kernels::DeviceInfo> devices = kernels::visible_devices();
  std::printf("device: %s (%.1f GiB), sm_%d%d\n", devices.at(0).name.c_str(),
              static_cast<double>(devices.at(0).total_memory_bytes) / (1 << 30), devices.at(0).sm_major,
              devices.at(0).sm_minor);
  std::printf("model: %s shape, random BF16 weights ~ N(0, %.2f), %lld layers%s\n", options.shape.name, kWeightStd,
              static_cast<long long>(options.num_layers),
              options.num_layers == kFullNumLayers ? "" : " (--layers override: NOT the full 28-layer model)");

  std::string pattern = (options.workdir / "r1b_engine_bench_XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return Status::io_error("engine_bench: cannot create a folder under --workdir " + options.workdir.string() + ": " +
                            std::strerror(errno));
  }
  const fs::path dir = pattern;
  Clock::time_point start = Clock::now();
  Status written = write_checkpoint(dir, qwen2_config(options.shape, options.num_layers));
  const double write_s = seconds_since(start);
  Result<std::unique_ptr<model::CudaBackend>> backend =
      model::CudaBackend::create(model::CudaBackendOptions{
          model::DType::kBF16, options.activations,
          options.activations == model::GemmActivations::kSplit ? model::DType::kF32 : model::DType::kBF16,
          options.cuda_graphs});
  if (!written.is_ok() || !backend.is_ok()) {
    fs::remove_all(dir);
    return written.is_ok() ? Status::unavailable(backend.status().message()) : written;
  }
  start = Clock::now();
  Result<std::unique_ptr<model::CausalLm>> loaded = model::load_causal_lm(dir, **backend);
  const double load_s = seconds_since(start);
  std::printf("checkpoint: %s, %.2f GB written in %.1f s, loaded in %.1f s (folder removed after loading)\n",
              dir.c_str(), static_cast<double>(fs::file_size(dir / "model.safetensors")) / 1e9, write_s, load_s);
  fs::remove_all(dir);
  R1B_RETURN_IF_ERROR(loaded);
  model::CausalLm& model = **loaded;

  const double bandwidth = (*backend)->measure_copy_bandwidth();
  std::printf("roofline: device copy bandwidth %.1f GB/s (copy_on_device of 1 GiB, read + write), "
              "compute %.0f TFLOP/s (kH100DenseBf16Flops: H100 SXM dense BF16)\n",
              bandwidth / 1e9, kH100DenseBf16Flops / 1e12);

  int64_t max_tokens = 0;
  for (const DecodePoint& point : kDecodePoints) max_tokens = std::max(max_tokens, point.batch * point.context);
  for (int64_t length : kPrefillLengths) max_tokens = std::max(max_tokens, length);
  model::KvCache cache = model::allocate_kv_cache(**backend, model.kv_layout(), max_tokens / kBlockSize, kBlockSize);
  model::CostOptions cost_options;
  cost_options.kv_bytes_per_element = static_cast<int64_t>(model::dtype_size((*backend)->kv_cache_dtype()));

  std::printf("GEMM activations: %s; KV cache: %s; decode steps as CUDA graphs: %s\n",
              options.activations == model::GemmActivations::kBf16 ? "bf16 (rounded once)"
                                                                   : "split into bf16 hi + lo (≈ fp32)",
              std::string(model::dtype_name((*backend)->kv_cache_dtype())).c_str(), options.cuda_graphs ? "yes" : "no");
  std::printf("\nstep_ms: median (fastest) wall time of a step; queue_ms: median time to queue it (host); GB: "
              "bytes the step must move (cost(): BF16 weights + KV read/written at the cache's width); of_bw = GB/s / copy "
              "bandwidth; MFU = TFLOP/s / %.0f\n",
              kH100DenseBf16Flops / 1e12);
  std::printf("%-8s %5s %6s %7s %9s %9s %8s %11s %8s %8s %6s %8s %6s\n", "phase", "B", "ctx", "tokens", "step_ms",
              "fastest", "queue_ms", "tokens/s", "GB", "GB/s", "of_bw", "TFLOP/s", "MFU");
  for (const DecodePoint& point : kDecodePoints) {
    const model::ForwardBatch batch = make_step(point.batch, 1, point.context, model.info().vocab_size);
    const std::vector<model::SeqWork> work(point.batch, model::SeqWork{1, point.context});
    const StepTiming timing = time_steps(model, **backend, cache, batch, 3, options.decode_steps);
    print_row("decode", point.batch, point.context, point.batch, timing, model.cost(work, cost_options), bandwidth);
    std::fflush(stdout);
  }
  for (int64_t length : kPrefillLengths) {
    const model::ForwardBatch prefill = make_step(1, length, length, model.info().vocab_size);
    const std::vector<model::SeqWork> work = {model::SeqWork{length, length}};
    const StepTiming timing = time_steps(model, **backend, cache, prefill, 1, 3);
    print_row("prefill", 1, length, length, timing, model.cost(work, cost_options), bandwidth);
    std::fflush(stdout);
  }
  std::printf("\ndecode: B sequences at context ctx, 1 new token each, %d timed steps after 3 warm-up; prefill: 1 "
              "sequence of ctx tokens, 3 timed passes after 1 warm-up\n",
              options.decode_steps);
  return Status::ok();
}

}  // namespace
}  // namespace r1b::bench

int main(int argc, char** argv) {
  const r1b::Result<r1b::bench::BenchOptions> options = r1b::bench::parse_options(argc, argv);
  const r1b::Status status = options.is_ok() ? r1b::bench::run(*options) : options.status();
  if (!status.is_ok()) {
    std::fprintf(stderr, "%s\n", status.message().c_str());
    return 1;
  }
  return 0;
}
