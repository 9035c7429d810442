// Engine speed on one GPU against its roofline: CausalLm::forward on model::CudaBackend for the
// R1-Distill-Qwen-1.5B shape (Qwen2ForCausalLM: hidden 1536, intermediate 8960, 28 layers, 12 heads,
// 2 KV heads, vocab 151936, rope_theta 10000, untied head) or, with --shape 7b, the -7B shape
// (hidden 3584, intermediate 18944, 28 heads, 4 KV heads, vocab 152064), with random weights.
// --shape v2-lite: DeepseekV2ForCausalLM as deepseek-ai/DeepSeek-V2-Lite's config (hidden 2048,
// 27 layers of which the first is dense with intermediate 10944, MLA with 16 heads, no q LoRA,
// kv_lora 512, nope 128 / rope 64 / v 128, YaRN factor 40; 64 routed experts of width 1408, top-6
// softmax, 2 shared experts; vocab 102400): 15.7 B parameters, 31.4 GB of bf16.
// --shape v3-layer: one DeepseekV3ForCausalLM decoder layer at DeepSeek-V3's full width (hidden
// 7168, 128 heads, q_lora 1536, kv_lora 512; 256 routed experts of width 2048, top-8 sigmoid with
// correction bias, 8 groups keep 4, 1 shared expert), made an MoE layer (first_k_dense_replace 0),
// with a kV3LayerVocab-token vocabulary so the LM head does not swamp the layer: 11.7 B parameters.
// For the MoE shapes cost() counts, per MoE layer, the router, the shared experts and
// min(E, T · top_k) routed experts' weights: exactly the experts read at B = 1 (top_k distinct
// ones); an upper bound above it. With near-uniform random routing T tokens select about
// E · (1 − (1 − top_k/E)^T) distinct experts: V2-Lite 50.8 of the 64 counted at B = 16, all from
// B = 64; V3 102 of 128 at B = 16, 222 of 256 at B = 64, all from B = 256. Where they differ the
// printed GB and of_bw overstate the bytes (docs/engine_bench.md gives the corrected ratios).
//
// One run does, in order, and prints a self-explanatory table:
//   0. With --peer SCRIPT (bench/hf_generate_bench.py): the peer, PyTorch + transformers
//      generate() on a random model of the same config, at each selected decode point of 1k
//      context and B ≤ 64, one process per B, before this process takes any device memory; its
//      decode step and tokens/s are printed at the end beside the engine's, with their ratio.
//   1. Writes a Hugging Face checkpoint folder (config.json + model.safetensors, BF16 weights
//      ~ N(0, 0.02), norm weights 1) into a fresh folder under --workdir, loads it with
//      load_causal_lm(dir, CudaBackend), then deletes the folder (the weights are on the device).
//   2. Bandwidth roofline: CudaBackend::measure_copy_bandwidth() (1 GiB copies on the device);
//      bandwidth = read + write bytes / s.
//   3. Decode at (B, context) in kDecodePoints (B 1..512 at 1k and 8k): B sequences whose KV
//      pages are already in the cache, one new token each, logits for every row, bracketed as a
//      decode step (recorded as a CUDA graph and replayed, unless --no-graphs). At 8k, B ≥ 256 run
//      as groups of kSampleGroup samples of one prompt: the first `shared` positions (the prompt)
//      sit in blocks the group shares, as the scheduler shares them, the rest in each sample's own
//      blocks (private KV for B × 8k does not fit an H100). Points whose distinct KV does not fit
//      the device are skipped (printed). 3 warm-up steps,
//      then --steps timed steps, each ended by downloading a one-element tensor queued after it;
//      the median step is reported, and queue_ms, the host time to queue it. tokens/s = B / step.
//      Bytes per step from CausalLm::cost(): the weights once (BF16) + every sequence's KV rows
//      read + the new rows written, at the cache's element size, less the shared rows read more
//      than once per group (each distinct KV block counts once). GB/s = bytes / step, of_bw =
//      GB/s ÷ the measured copy bandwidth, the decode roofline.
//   4. Prefill: one sequence of 2048 and of 8192 new tokens, logits for its last row; 1 warm-up,
//      3 timed passes, median. tokens/s, and TFLOP/s from CausalLm::cost() (matmuls + causal
//      attention) with MFU = TFLOP/s ÷ kH100DenseBf16Flops, the prefill roofline.
// TFLOP/s and MFU are printed for decode too. --layers N shrinks the depth for a quick run (the
// output says so); the cost follows the loaded model. --activations split runs the exactness
// configuration (GEMM activations as bf16 hi + lo, fp32 KV cache).
//
// Errors (no GPU, unwritable --workdir, a load failure, a peer that fails) print one line and exit 1.
// Run: engine_bench [--shape 1.5b|7b|v2-lite|v3-layer] [--workdir DIR (default $TMPDIR)] [--layers N]
//                   [--steps N] [--activations bf16|split] [--no-graphs] [--only POINT,...]
//                   [--peer bench/hf_generate_bench.py]
// --only runs just the named points: decode:B:CTX (e.g. decode:64:1024) and prefill:N (prefill:8192).
// Numbers: docs/engine_bench.md.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numbers>
#include <string>
#include <thread>
#include <vector>

#include <boost/process.hpp>
#include <nlohmann/json.hpp>

#include "base/status.h"
#include "kernels/device_info.h"
#include "kernels/dispatch.h"
#include "model/causal_lm.h"
#include "model/cuda_backend.h"
#include "model/dtype.h"

namespace r1b::bench {
namespace {

namespace fs = std::filesystem;
namespace bp = boost::process;
using Clock = std::chrono::steady_clock;

constexpr double kH100DenseBf16Flops = 989e12;  // H100 SXM dense BF16 tensor-core peak (FLOP/s)
constexpr int64_t kFullNumLayers = 28;
constexpr int64_t kBlockSize = 16;
// Decode points (batch, context, positions each group of kSampleGroup samples shares) and
// prefill lengths; the KV cache holds the largest point's distinct positions.
struct DecodePoint {
  int64_t batch;
  int64_t context;
  int64_t shared = 0;
};
constexpr int64_t kSampleGroup = 64;
constexpr DecodePoint kDecodePoints[] = {{1, 1024},        {16, 1024},       {64, 1024}, {256, 1024},
                                         {512, 1024},      {1, 8192},        {16, 8192}, {64, 8192},
                                         {256, 8192, 4096}, {512, 8192, 4096}};

// Positions the point's sequences hold in distinct KV blocks.
int64_t distinct_positions(const DecodePoint& point) {
  if (point.shared == 0) return point.batch * point.context;
  const int64_t groups = (point.batch + kSampleGroup - 1) / kSampleGroup;
  return groups * point.shared + point.batch * (point.context - point.shared);
}
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

// The DeepSeek shapes (--shape v2-lite | v3-layer); deepseek_config() holds their keys.
struct DeepseekShape {
  const char* name;
  bool v3;
  int64_t num_layers;  // the full depth
};
constexpr DeepseekShape kDeepseekShapes[] = {{"DeepSeek-V2-Lite", false, 27},
                                             {"DeepSeek-V3 (one decoder layer)", true, 1}};
// v3-layer's vocabulary: small, so that a step measures the decoder layer rather than an LM head
// 60 times its real share (cost() counts the head as vocab × hidden weights like any other).
constexpr int64_t kV3LayerVocab = 4096;

struct BenchOptions {
  std::string shape_key = "1.5b";  // --shape as given: the peer script takes the same names
  DenseShape shape = kShapes[0];
  const DeepseekShape* deepseek = nullptr;  // --shape v2-lite | v3-layer (then `shape` is unused)
  fs::path workdir = fs::temp_directory_path();
  int64_t num_layers = kFullNumLayers;
  int decode_steps = 20;
  model::GemmActivations activations = model::GemmActivations::kBf16;
  bool cuda_graphs = true;
  std::vector<std::string> only;  // --only: the points to run ("decode:B:CTX", "prefill:N"); empty: all
  fs::path peer;                   // --peer: bench/hf_generate_bench.py, run for the peer points; empty: not run
};

// Whether --only selects the point named `name` ("decode:64:1024", "prefill:8192").
bool selected(const BenchOptions& options, const std::string& name) {
  return options.only.empty() || std::find(options.only.begin(), options.only.end(), name) != options.only.end();
}

Result<BenchOptions> parse_options(int argc, char** argv) {
  BenchOptions options;
  bool layers_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--no-graphs") {
      options.cuda_graphs = false;
      continue;
    }
    if (i + 1 >= argc || (flag != "--workdir" && flag != "--layers" && flag != "--steps" && flag != "--activations" &&
                          flag != "--shape" && flag != "--only" && flag != "--peer")) {
      return Status::invalid_input("engine_bench: bad argument '" + flag +
                                   "'; usage: engine_bench [--shape 1.5b|7b|v2-lite|v3-layer] [--workdir DIR] "
                                   "[--layers N] [--steps N] [--activations bf16|split] [--no-graphs] [--only POINT,...] "
                                   "[--peer bench/hf_generate_bench.py]");
    }
    const std::string value = argv[++i];
    if (flag == "--peer") {
      if (!fs::is_regular_file(value)) {
        return Status::invalid_input("engine_bench: --peer wants the peer script (bench/hf_generate_bench.py), got '" +
                                     value + "', which is not a file");
      }
      options.peer = value;
      continue;
    }
    if (flag == "--shape") {
      options.shape_key = value;
      if (value == "v2-lite" || value == "v3-layer") {
        options.deepseek = &kDeepseekShapes[value == "v2-lite" ? 0 : 1];
        continue;
      }
      if (value != "1.5b" && value != "7b") {
        return Status::invalid_input("engine_bench: --shape wants 1.5b, 7b, v2-lite or v3-layer, got '" + value + "'");
      }
      options.shape = kShapes[value == "1.5b" ? 0 : 1];
      continue;
    }
    if (flag == "--workdir") {
      options.workdir = value;
      continue;
    }
    if (flag == "--only") {
      for (size_t begin = 0; begin <= value.size();) {
        const size_t end = std::min(value.find(',', begin), value.size());
        const std::string point = value.substr(begin, end - begin);
        if (point.rfind("decode:", 0) != 0 && point.rfind("prefill:", 0) != 0) {
          return Status::invalid_input("engine_bench: --only wants points like decode:64:1024 or prefill:8192, got '" +
                                       point + "'");
        }
        options.only.push_back(point);
        begin = end + 1;
      }
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
      layers_given = true;
    } else {
      options.decode_steps = static_cast<int>(number);
    }
  }
  if (!options.peer.empty() && layers_given) {
    return Status::invalid_input("engine_bench: --peer compares whole models; leave out --layers");
  }
  if (options.deepseek != nullptr) {
    if (!layers_given) options.num_layers = options.deepseek->num_layers;
    if (options.num_layers > options.deepseek->num_layers) {
      return Status::invalid_input("engine_bench: --layers " + std::to_string(options.num_layers) + " exceeds " +
                                   options.deepseek->name + "'s " + std::to_string(options.deepseek->num_layers));
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

// config.json of deepseek-ai/DeepSeek-V2-Lite, or of deepseek-ai/DeepSeek-V3 with two changes for
// its one-layer form: first_k_dense_replace 0 (the real model's first 3 layers are dense; this
// layer is an MoE layer) and vocab_size kV3LayerVocab (the real one is 129280).
nlohmann::json deepseek_config(const DeepseekShape& shape, int64_t num_layers) {
  nlohmann::json config = {{"num_hidden_layers", num_layers}, {"qk_nope_head_dim", 128}, {"qk_rope_head_dim", 64},
                           {"v_head_dim", 128},                {"kv_lora_rank", 512},     {"moe_layer_freq", 1},
                           {"attention_bias", false},          {"rms_norm_eps", 1e-6},    {"rope_theta", 10000.0},
                           {"max_position_embeddings", 163840}, {"tie_word_embeddings", false},
                           {"torch_dtype", "bfloat16"}};
  const double mscale = shape.v3 ? 1.0 : 0.707;
  config["rope_scaling"] = {{"type", "yarn"},  {"factor", 40},         {"beta_fast", 32},
                            {"beta_slow", 1},  {"mscale", mscale},     {"mscale_all_dim", mscale},
                            {"original_max_position_embeddings", 4096}};
  if (!shape.v3) {
    config.update({{"architectures", {"DeepseekV2ForCausalLM"}}, {"model_type", "deepseek_v2"}, {"vocab_size", 102400},
                   {"hidden_size", 2048}, {"intermediate_size", 10944}, {"moe_intermediate_size", 1408},
                   {"num_attention_heads", 16}, {"num_key_value_heads", 16}, {"q_lora_rank", nullptr},
                   {"n_routed_experts", 64}, {"num_experts_per_tok", 6}, {"n_shared_experts", 2},
                   {"first_k_dense_replace", 1}, {"topk_method", "greedy"}, {"n_group", 1}, {"topk_group", 1},
                   {"scoring_func", "softmax"}, {"norm_topk_prob", false}, {"routed_scaling_factor", 1.0},
                   {"bos_token_id", 100000}, {"eos_token_id", 100001}});
    return config;
  }
  config.update({{"architectures", {"DeepseekV3ForCausalLM"}}, {"model_type", "deepseek_v3"},
                 {"vocab_size", kV3LayerVocab}, {"hidden_size", 7168}, {"intermediate_size", 18432},
                 {"moe_intermediate_size", 2048}, {"num_attention_heads", 128}, {"num_key_value_heads", 128},
                 {"q_lora_rank", 1536}, {"n_routed_experts", 256}, {"num_experts_per_tok", 8}, {"n_shared_experts", 1},
                 {"first_k_dense_replace", 0}, {"topk_method", "noaux_tc"}, {"n_group", 8}, {"topk_group", 4},
                 {"scoring_func", "sigmoid"}, {"norm_topk_prob", true}, {"routed_scaling_factor", 2.5},
                 {"bos_token_id", 0}, {"eos_token_id", 1}});
  return config;
}

struct WeightShape {
  std::string name;
  std::vector<int64_t> shape;
};

// The embedding, final norm and untied LM head every architecture here has.
std::vector<WeightShape> lm_end_shapes(int64_t vocab, int64_t hidden) {
  return {{"model.embed_tokens.weight", {vocab, hidden}}, {"model.norm.weight", {hidden}}, {"lm_head.weight", {vocab, hidden}}};
}

// A decoder layer's two norms, under the layer prefix `p`.
void push_layer_norm_shapes(std::vector<WeightShape>& list, const std::string& p, int64_t hidden) {
  list.push_back({p + "input_layernorm.weight", {hidden}});
  list.push_back({p + "post_attention_layernorm.weight", {hidden}});
}

// DeepSeek tensors as the HF checkpoints name them; routed experts one tensor per expert and
// projection (load_moe stacks them), so the loader never holds a fused [E, 2F, D] array in fp32.
std::vector<WeightShape> deepseek_weight_shapes(const nlohmann::json& config) {
  const int64_t hidden = config["hidden_size"], vocab = config["vocab_size"], heads = config["num_attention_heads"];
  const int64_t nope = config["qk_nope_head_dim"], rope = config["qk_rope_head_dim"], v_dim = config["v_head_dim"];
  const int64_t lora = config["kv_lora_rank"], experts = config["n_routed_experts"];
  const int64_t ffn = config["moe_intermediate_size"], dense_ffn = config["intermediate_size"];
  const int64_t shared_ffn = ffn * config["n_shared_experts"].get<int64_t>();
  std::vector<WeightShape> list = lm_end_shapes(vocab, hidden);
  for (int64_t l = 0; l < config["num_hidden_layers"].get<int64_t>(); ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    push_layer_norm_shapes(list, p, hidden);
    if (config["q_lora_rank"].is_null()) {
      list.push_back({p + "self_attn.q_proj.weight", {heads * (nope + rope), hidden}});
    } else {
      const int64_t q_lora = config["q_lora_rank"];
      list.push_back({p + "self_attn.q_a_proj.weight", {q_lora, hidden}});
      list.push_back({p + "self_attn.q_a_layernorm.weight", {q_lora}});
      list.push_back({p + "self_attn.q_b_proj.weight", {heads * (nope + rope), q_lora}});
    }
    list.push_back({p + "self_attn.kv_a_proj_with_mqa.weight", {lora + rope, hidden}});
    list.push_back({p + "self_attn.kv_a_layernorm.weight", {lora}});
    list.push_back({p + "self_attn.kv_b_proj.weight", {heads * (nope + v_dim), lora}});
    list.push_back({p + "self_attn.o_proj.weight", {hidden, heads * v_dim}});
    const auto mlp = [&](const std::string& prefix, int64_t width) {
      list.push_back({prefix + "gate_proj.weight", {width, hidden}});
      list.push_back({prefix + "up_proj.weight", {width, hidden}});
      list.push_back({prefix + "down_proj.weight", {hidden, width}});
    };
    if (l < config["first_k_dense_replace"].get<int64_t>()) {
      mlp(p + "mlp.", dense_ffn);
      continue;
    }
    list.push_back({p + "mlp.gate.weight", {experts, hidden}});
    if (config["model_type"] == "deepseek_v3") list.push_back({p + "mlp.gate.e_score_correction_bias", {experts}});
    for (int64_t e = 0; e < experts; ++e) mlp(p + "mlp.experts." + std::to_string(e) + ".", ffn);
    mlp(p + "mlp.shared_experts.", shared_ffn);
  }
  return list;
}

std::vector<WeightShape> qwen2_weight_shapes(const nlohmann::json& config) {
  const int64_t hidden = config["hidden_size"], vocab = config["vocab_size"], ffn = config["intermediate_size"];
  const int64_t head_dim = hidden / config["num_attention_heads"].get<int64_t>();
  const int64_t q_width = config["num_attention_heads"].get<int64_t>() * head_dim;
  const int64_t kv_width = config["num_key_value_heads"].get<int64_t>() * head_dim;
  std::vector<WeightShape> list = lm_end_shapes(vocab, hidden);
  for (int64_t l = 0; l < config["num_hidden_layers"].get<int64_t>(); ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    push_layer_norm_shapes(list, p, hidden);
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
        out[i] = model::float_to_bf16(static_cast<float>(radius * std::cos(2 * std::numbers::pi * u2)));
        if (i + 1 < end) out[i + 1] = model::float_to_bf16(static_cast<float>(radius * std::sin(2 * std::numbers::pi * u2)));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
}

// Writes config.json and a single BF16 model.safetensors for `config` into `dir`.
Status write_checkpoint(const fs::path& dir, const nlohmann::json& config) {
  const std::vector<WeightShape> weights =
      config["model_type"] == "qwen2" ? qwen2_weight_shapes(config) : deepseek_weight_shapes(config);
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
    values.assign(static_cast<size_t>(numel(weight.shape)), model::float_to_bf16(1.0f));
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

// One step of `batch_size` sequences, each with `num_new` new tokens ending at `context_len`.
// Without sharing, sequence b owns the KV blocks [b × blocks_per_seq, (b + 1) × blocks_per_seq);
// with `shared` positions (a multiple of kBlockSize), sequences b of group b / kSampleGroup start
// with the group's shared blocks, followed by their own. Logits for the last row of every sequence.
model::ForwardBatch make_step(int64_t batch_size, int64_t num_new, int64_t context_len, int64_t vocab,
                              int64_t shared = 0) {
  const int64_t shared_blocks = shared / kBlockSize;
  const int64_t own_blocks = (context_len + kBlockSize - 1) / kBlockSize - shared_blocks;
  const int64_t group_blocks = shared_blocks + kSampleGroup * own_blocks;
  model::ForwardBatch batch;
  uint64_t state = kSeed;
  for (int64_t b = 0; b < batch_size; ++b) {
    model::AttentionSeq seq;
    seq.q_begin = b * num_new;
    seq.num_q = num_new;
    seq.context_len = context_len;
    const int64_t group_base = shared_blocks > 0 ? b / kSampleGroup * group_blocks : 0;
    for (int64_t k = 0; k < shared_blocks; ++k) seq.block_table.push_back(static_cast<int32_t>(group_base + k));
    const int64_t own_base =
        shared_blocks > 0 ? group_base + shared_blocks + b % kSampleGroup * own_blocks : b * own_blocks;
    for (int64_t k = 0; k < own_blocks; ++k) seq.block_table.push_back(static_cast<int32_t>(own_base + k));
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

// The peer points: decode at kPeerContext for B ≤ kPeerMaxBatch without shared prefixes (what
// transformers' generate() is timed at by the peer script).
constexpr int64_t kPeerContext = 1024;
constexpr int64_t kPeerMaxBatch = 64;
bool peer_point(const DecodePoint& point) {
  return point.context == kPeerContext && point.batch <= kPeerMaxBatch && point.shared == 0;
}

struct PeerTiming {
  double step_s = 0;        // one decode step of generate()
  double tokens_per_s = 0;
};

// Runs the peer script for one batch size in a process of its own (no batch inherits another's
// allocator or compiled-kernel state) and reads the JSON line it prints for that batch.
Result<PeerTiming> run_peer(const BenchOptions& options, int64_t batch, int64_t context) {
  const boost::filesystem::path python = bp::search_path("python3");
  if (python.empty()) return Status::unavailable("engine_bench: --peer needs python3 on PATH");
  bp::ipstream out;
  bp::child child(python, options.peer.string(), "--shape", options.shape_key, "--batches", std::to_string(batch),
                  "--context", std::to_string(context), "--json", bp::std_out > out);
  std::string line, last;
  while (std::getline(out, line)) {
    if (!line.empty()) last = line;
  }
  child.wait();
  const std::string what = "engine_bench: the peer " + options.peer.string() + " at B=" + std::to_string(batch);
  if (child.exit_code() != 0) {
    return Status::internal(what + " exited with status " + std::to_string(child.exit_code()) +
                            " (its messages are above; it needs torch, transformers and the GPU)");
  }
  const nlohmann::json row = nlohmann::json::parse(last, nullptr, /*allow_exceptions=*/false);
  if (!row.is_object() || !row.contains("decode_step_ms") || !row["decode_step_ms"].is_number() ||
      !row.contains("decode_tok_s") || !row["decode_tok_s"].is_number()) {
    return Status::internal(what + " printed no JSON line with decode_step_ms and decode_tok_s; last line: '" + last +
                            "'");
  }
  return PeerTiming{row["decode_step_ms"].get<double>() / 1e3, row["decode_tok_s"].get<double>()};
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
  const char* model_name = options.deepseek != nullptr ? options.deepseek->name : options.shape.name;
  const int64_t full_layers = options.deepseek != nullptr ? options.deepseek->num_layers : kFullNumLayers;
  const std::string depth_note =
      " (--layers override: NOT the full " + std::to_string(full_layers) + "-layer model)";
  std::printf("model: %s shape, random BF16 weights ~ N(0, %.2f), %lld layers%s\n", model_name, kWeightStd,
              static_cast<long long>(options.num_layers), options.num_layers == full_layers ? "" : depth_note.c_str());

  // The peer first, in processes of their own, while this one holds no device memory.
  std::vector<std::pair<DecodePoint, PeerTiming>> peer;
  if (!options.peer.empty()) {
    for (const DecodePoint& point : kDecodePoints) {
      if (!peer_point(point) ||
          !selected(options, "decode:" + std::to_string(point.batch) + ":" + std::to_string(point.context))) {
        continue;
      }
      Result<PeerTiming> timing = run_peer(options, point.batch, point.context);
      R1B_RETURN_IF_ERROR(timing);
      peer.emplace_back(point, *timing);
    }
  }

  std::string pattern = (options.workdir / "r1b_engine_bench_XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return Status::io_error("engine_bench: cannot create a folder under --workdir " + options.workdir.string() + ": " +
                            std::strerror(errno));
  }
  const fs::path dir = pattern;
  Clock::time_point start = Clock::now();
  const nlohmann::json config = options.deepseek != nullptr ? deepseek_config(*options.deepseek, options.num_layers)
                                                             : qwen2_config(options.shape, options.num_layers);
  Status written = write_checkpoint(dir, config);
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

  model::CostOptions cost_options;
  cost_options.kv_bytes_per_element = static_cast<int64_t>(model::dtype_size((*backend)->kv_cache_dtype()));
  // KV bytes per cached position (all layers): one position read by one sequence.
  const std::vector<model::SeqWork> one_position = {model::SeqWork{0, 1}};
  const double position_bytes = model.cost(one_position, cost_options).kv_read_bytes;
  constexpr double kReserveBytes = 6e9;  // activations, logits, attention scratch of the largest step
  std::vector<DecodePoint> decode_points;
  int64_t max_tokens = 0;
  for (const DecodePoint& point : kDecodePoints) {
    if (!selected(options, "decode:" + std::to_string(point.batch) + ":" + std::to_string(point.context))) continue;
    const double kv_bytes = static_cast<double>(distinct_positions(point)) * position_bytes;
    if (kv_bytes > static_cast<double>((*backend)->free_memory_bytes()) - kReserveBytes) {
      std::printf("decode B=%lld ctx=%lld skipped: its %.1f GB of distinct KV do not fit the device\n",
                  static_cast<long long>(point.batch), static_cast<long long>(point.context),
                  kv_bytes / 1e9);
      continue;
    }
    decode_points.push_back(point);
    max_tokens = std::max(max_tokens, distinct_positions(point));
  }
  for (int64_t length : kPrefillLengths) max_tokens = std::max(max_tokens, length);
  model::KvCache cache = model::allocate_kv_cache(**backend, model.kv_layout(), max_tokens / kBlockSize, kBlockSize);

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
  std::vector<std::pair<DecodePoint, StepTiming>> engine;  // the peer points' rows
  for (const DecodePoint& point : decode_points) {
    const model::ForwardBatch batch = make_step(point.batch, 1, point.context, model.info().vocab_size, point.shared);
    const std::vector<model::SeqWork> work(point.batch, model::SeqWork{1, point.context});
    const StepTiming timing = time_steps(model, **backend, cache, batch, 3, options.decode_steps);
    if (peer_point(point)) engine.emplace_back(point, timing);
    model::ForwardCost cost = model.cost(work, cost_options);
    cost.kv_read_bytes -= static_cast<double>(point.batch * point.context - distinct_positions(point)) * position_bytes;
    print_row(point.shared > 0 ? "decode*" : "decode", point.batch, point.context, point.batch, timing, cost,
              bandwidth);
    std::fflush(stdout);
  }
  for (int64_t length : kPrefillLengths) {
    if (!selected(options, "prefill:" + std::to_string(length))) continue;
    const model::ForwardBatch prefill = make_step(1, length, length, model.info().vocab_size);
    const std::vector<model::SeqWork> work = {model::SeqWork{length, length}};
    const StepTiming timing = time_steps(model, **backend, cache, prefill, 1, 3);
    print_row("prefill", 1, length, length, timing, model.cost(work, cost_options), bandwidth);
    std::fflush(stdout);
  }
  std::printf("\ndecode: B sequences at context ctx, 1 new token each, %d timed steps after 3 warm-up; decode*: "
              "the same in groups of %lld samples sharing their first %lld positions (GB counts each distinct KV "
              "block once); prefill: 1 sequence of ctx tokens, 3 timed passes after 1 warm-up\n",
              options.decode_steps, static_cast<long long>(kSampleGroup),
              static_cast<long long>(kDecodePoints[std::size(kDecodePoints) - 1].shared));
  if (!peer.empty()) {
    std::printf("\nagainst PyTorch + transformers generate() (%s, one process per B, run before the engine in this "
                "run; greedy, bf16, sdpa attention, the same config):\n",
                options.peer.filename().c_str());
    std::printf("%5s %6s %13s %11s %15s %13s %7s\n", "B", "ctx", "peer_step_ms", "peer_tok/s", "engine_step_ms",
                "engine_tok/s", "ratio");
    for (const auto& [point, theirs] : peer) {
      const auto ours = std::find_if(engine.begin(), engine.end(), [&](const auto& row) {
        return row.first.batch == point.batch && row.first.context == point.context;
      });
      if (ours == engine.end()) continue;  // the engine skipped it (KV did not fit)
      const double tokens_per_s = static_cast<double>(point.batch) / ours->second.step_s;
      std::printf("%5lld %6lld %13.2f %11.1f %15.3f %13.1f %6.2fx\n", static_cast<long long>(point.batch),
                  static_cast<long long>(point.context), theirs.step_s * 1e3, theirs.tokens_per_s,
                  ours->second.step_s * 1e3, tokens_per_s, tokens_per_s / theirs.tokens_per_s);
    }
  }
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
