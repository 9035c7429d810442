// Qwen2ForCausalLM and LlamaForCausalLM: dense decoder with grouped-query attention, RoPE,
// RMSNorm and a SwiGLU MLP.
//
// Config keys: vocab_size, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
// num_key_value_heads (default: num_attention_heads), head_dim (default hidden/heads), rms_norm_eps,
// max_position_embeddings, rope (see rope.h), tie_word_embeddings (default false), Llama's
// attention_bias and mlp_bias (default false), eos_token_id; Qwen2's use_sliding_window must be
// false.
// Weights (prefix model.layers.<l>.): self_attn.{q,k,v}_proj.{weight,bias} (loaded as one fused
// q|k|v projection) (bias: Qwen2 always,
// Llama when attention_bias), self_attn.o_proj.{weight,bias} (bias: Llama when attention_bias),
// input_layernorm.weight, post_attention_layernorm.weight, mlp.{gate,up,down}_proj.{weight,bias};
// model.embed_tokens.weight, model.norm.weight, lm_head.weight (absent when tied).
//
// Tensor parallelism (Backend::world() ranks): each rank holds its heads' rows of q/k/v (and
// biases), the same heads' columns of o_proj, its ffn slice of gate/up rows and down columns; the
// row-parallel biases (o_proj, down) live on rank 0 only; o_proj's and down's outputs are summed
// over the ranks (all_reduce_sum). Embedding, norms and LM head are replicated; the KV cache holds
// the rank's KV heads. num_key_value_heads and intermediate_size must split evenly over the ranks.
#include <cmath>

#include "model/arch/architecture.h"
#include "model/config_reader.h"
#include "model/rope.h"

namespace r1b::model {

namespace {

struct Qwen2Config {
  ModelInfo info;
  int64_t intermediate_size = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  float rms_norm_eps = 1e-6f;
  bool qkv_bias = false;
  bool o_bias = false;
  bool mlp_bias = false;
  bool tie_word_embeddings = false;
  RopeConfig rope;
};

struct Qwen2Layer {
  Tensor input_norm;
  Linear qkv_proj;  // q_proj, k_proj, v_proj as one product
  Linear o_proj;
  Tensor post_attention_norm;
  Mlp mlp;
};

class Qwen2Model final : public CausalLm {
 public:
  Qwen2Model(Qwen2Config config, Backend& backend)
      : config_(std::move(config)),
        backend_(backend),
        shard_{backend.rank(), backend.world()},
        heads_(shard_.part(config_.num_heads)),
        kv_heads_(shard_.part(config_.num_kv_heads)) {
    rope_ = make_rope_table(config_.rope, config_.head_dim, config_.info.max_position_embeddings, false);
  }

  const ModelInfo& info() const override { return config_.info; }
  KvLayout kv_layout() const override {
    const int64_t row = kv_heads_ * config_.head_dim;
    return KvLayout{config_.info.num_layers, row, row};
  }
  Tensor forward(const ForwardBatch& batch, KvCache& cache) override;
  ForwardCost cost(std::span<const SeqWork> batch, const CostOptions& options) const override;

  Status load(WeightLoader& weights);

 private:
  Qwen2Config config_;
  Backend& backend_;
  Shard shard_;
  int64_t heads_ = 0;     // this rank's query heads
  int64_t kv_heads_ = 0;  // this rank's KV heads
  RopeTable rope_;
  LmEnds ends_;
  std::vector<Qwen2Layer> layers_;
};

ForwardCost qwen2_cost(const Qwen2Config& config, std::span<const SeqWork> batch, const CostOptions& options) {
  const auto hidden = static_cast<double>(config.info.hidden_size);
  const auto q_width = static_cast<double>(config.num_heads * config.head_dim);
  const auto kv_width = static_cast<double>(config.num_kv_heads * config.head_dim);
  const auto ffn = static_cast<double>(config.intermediate_size);
  const auto layers = static_cast<double>(config.info.num_layers);
  const double layer_params = hidden * q_width + 2 * hidden * kv_width + q_width * hidden + 3 * hidden * ffn;
  const double head_params = static_cast<double>(config.info.vocab_size) * hidden;
  const auto tokens = static_cast<double>(total_new_tokens(batch));
  const auto logit_rows = static_cast<double>(batch.size() * options.logit_rows_per_seq);

  ForwardCost cost;
  cost.matmul_flops = 2 * tokens * layers * layer_params + 2 * logit_rows * head_params;
  cost.weight_bytes = (layers * layer_params + head_params) * static_cast<double>(options.weight_bytes_per_element);
  const double kv_row_bytes = 2 * kv_width * static_cast<double>(options.kv_bytes_per_element);
  for (const SeqWork& work : batch) {
    cost.attention_flops += 2 * q_width * 2 * causal_pairs(work) * layers;  // q·k and p·v
    cost.kv_read_bytes += static_cast<double>(work.context_len) * kv_row_bytes * layers;
  }
  cost.kv_write_bytes = tokens * kv_row_bytes * layers;
  return cost;
}

ForwardCost Qwen2Model::cost(std::span<const SeqWork> batch, const CostOptions& options) const {
  return qwen2_cost(config_, batch, options);
}

Status Qwen2Model::load(WeightLoader& weights) {
  R1B_RETURN_IF_ERROR(require_ops(backend_, {OpKind::kEmbedding, OpKind::kMatmul, OpKind::kRmsNorm, OpKind::kAddRmsNorm,
                                             OpKind::kAdd, OpKind::kSwiglu, OpKind::kRopeWriteQkv, OpKind::kAttention}));
  // q heads split with the KV heads (num_attention_heads is a multiple of num_key_value_heads).
  R1B_RETURN_IF_ERROR(require_divisible(shard_, "num_key_value_heads", config_.num_kv_heads));
  R1B_RETURN_IF_ERROR(require_divisible(shard_, "intermediate_size", config_.intermediate_size));
  const int64_t hidden = config_.info.hidden_size;
  Result<LmEnds> ends = load_lm_ends(weights, config_.info, config_.tie_word_embeddings);
  R1B_RETURN_IF_ERROR(ends);
  ends_ = *ends;
  const int64_t q_width = config_.num_heads * config_.head_dim;
  const int64_t kv_width = config_.num_kv_heads * config_.head_dim;
  for (int64_t l = 0; l < config_.info.num_layers; ++l) {
    const std::string prefix = "model.layers." + std::to_string(l) + ".";
    Qwen2Layer layer;
    Result<Tensor> input_norm = weights.load(prefix + "input_layernorm.weight", {hidden});
    R1B_RETURN_IF_ERROR(input_norm);
    layer.input_norm = *input_norm;
    Result<Tensor> post_norm = weights.load(prefix + "post_attention_layernorm.weight", {hidden});
    R1B_RETURN_IF_ERROR(post_norm);
    layer.post_attention_norm = *post_norm;
    const bool bias = config_.qkv_bias;
    Result<Linear> qkv = load_fused_linear(weights,
                                           {{prefix + "self_attn.q_proj", q_width, bias, Split::kOut},
                                            {prefix + "self_attn.k_proj", kv_width, bias, Split::kOut},
                                            {prefix + "self_attn.v_proj", kv_width, bias, Split::kOut}},
                                           hidden);
    R1B_RETURN_IF_ERROR(qkv);
    Result<Linear> o = load_linear(weights, prefix + "self_attn.o_proj", hidden, q_width, config_.o_bias, Split::kIn);
    R1B_RETURN_IF_ERROR(o);
    Result<Mlp> mlp = load_mlp(weights, prefix + "mlp", hidden, config_.intermediate_size, config_.mlp_bias);
    R1B_RETURN_IF_ERROR(mlp);
    layer.qkv_proj = *qkv;
    layer.o_proj = *o;
    layer.mlp = *mlp;
    layers_.push_back(std::move(layer));
  }
  return Status::ok();
}

Tensor Qwen2Model::forward(const ForwardBatch& batch, KvCache& cache) {
  const auto tokens = static_cast<int64_t>(batch.token_ids.size());
  const AttentionParams attention{heads_,
                                  kv_heads_,
                                  config_.head_dim,
                                  config_.head_dim,
                                  /*v_in_k=*/false,
                                  static_cast<float>(1.0 / std::sqrt(static_cast<double>(config_.head_dim))),
                                  cache.block_size};
  const float eps = config_.rms_norm_eps;
  Tensor x = run_embedding(backend_, ends_, batch);
  // Each residual add is fused with the norm that reads its sum (the next layer's input norm). The
  // norms' outputs feed only products, so they are kept as the backend takes product inputs.
  const DType qkv_input =
      layers_.empty() ? DType::kF32 : backend_.product_input_dtype(layers_.front().qkv_proj.weight, tokens);
  Tensor h = layers_.empty() ? Tensor() : run_rmsnorm(backend_, x, layers_.front().input_norm, eps, qkv_input);
  for (size_t index = 0; index < layers_.size(); ++index) {
    const Qwen2Layer& layer = layers_[index];
    const int l = static_cast<int>(index);
    // The projection's bias is added by rope_write_qkv (no pass of its own).
    Tensor qkv = backend_.alloc({tokens, layer.qkv_proj.weight.dim(0)}, DType::kF32);
    backend_.matmul(h, layer.qkv_proj.weight, Tensor(), qkv);
    Tensor q = backend_.alloc({tokens, heads_, config_.head_dim}, DType::kF32);
    backend_.rope_write_qkv(qkv, layer.qkv_proj.bias, batch.positions, rope_, batch.slots, q, cache.k[index],
                            cache.v[index]);
    record(batch, l, "q", q);
    Tensor attn = backend_.alloc({tokens, heads_, config_.head_dim}, DType::kF32);
    backend_.attention(q, cache.k[index], cache.v[index], batch.seqs, attention, attn);
    record(batch, l, "attn", attn);
    Tensor attn_out = run_linear(backend_, layer.o_proj, attn.view({tokens, heads_ * config_.head_dim}));
    backend_.all_reduce_sum(attn_out);
    record(batch, l, "attn_out", attn_out);
    Tensor mlp_in = backend_.alloc(x.shape(), backend_.product_input_dtype(layer.mlp.gate_up.weight, tokens));
    backend_.add_rmsnorm(x, attn_out, layer.post_attention_norm, eps, mlp_in);
    Tensor mlp_out = run_mlp(backend_, layer.mlp, mlp_in);
    backend_.all_reduce_sum(mlp_out);
    record(batch, l, "mlp_out", mlp_out);
    if (index + 1 < layers_.size()) {
      backend_.add_rmsnorm(x, mlp_out, layers_[index + 1].input_norm, eps, h);
    } else {
      backend_.add(x, mlp_out, x);
    }
    record(batch, l, "residual", x);
  }
  return run_final_logits(backend_, ends_, x, config_.rms_norm_eps, batch);
}

using Qwen2Spec = ArchSpecOf<Qwen2Config, Qwen2Model, qwen2_cost>;

}  // namespace

Result<std::unique_ptr<ArchSpec>> parse_qwen2(const nlohmann::json& json, const std::string& where,
                                              const std::string& architecture) {
  ConfigReader reader(json, where);
  Qwen2Config config;
  config.info = read_model_info(reader, json, architecture);
  config.intermediate_size = reader.integer("intermediate_size");
  config.num_heads = reader.integer("num_attention_heads");
  config.num_kv_heads = reader.integer_or("num_key_value_heads", config.num_heads);
  if (config.num_heads <= 0 || config.num_kv_heads <= 0 || config.num_heads % config.num_kv_heads != 0) {
    reader.fail("num_key_value_heads", "must be positive and divide num_attention_heads");
  }
  config.head_dim = reader.integer_or("head_dim", config.num_heads > 0 ? config.info.hidden_size / config.num_heads : 0);
  config.rms_norm_eps = static_cast<float>(reader.number_or("rms_norm_eps", 1e-6));
  config.tie_word_embeddings = reader.boolean_or("tie_word_embeddings", false);
  const bool is_qwen2 = architecture == "Qwen2ForCausalLM";
  const bool attention_bias = reader.boolean_or("attention_bias", false);
  config.qkv_bias = is_qwen2 || attention_bias;
  config.o_bias = !is_qwen2 && attention_bias;
  config.mlp_bias = !is_qwen2 && reader.boolean_or("mlp_bias", false);
  if (reader.boolean_or("use_sliding_window", false)) {
    reader.fail("use_sliding_window", "is true; sliding-window attention is not supported (full attention only)");
  }
  R1B_RETURN_IF_ERROR(reader.status());
  Result<RopeConfig> rope = parse_rope_config(json, where);
  R1B_RETURN_IF_ERROR(rope);
  config.rope = *rope;
  return std::unique_ptr<ArchSpec>(std::make_unique<Qwen2Spec>(std::move(config)));
}

}  // namespace r1b::model
