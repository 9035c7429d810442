// DeepseekV3ForCausalLM and DeepseekV2ForCausalLM: Multi-head Latent Attention (MLA) and a
// mixture of experts with shared experts, as transformers implements them.
//
// Config keys: vocab_size, hidden_size, intermediate_size (dense MLP), num_hidden_layers,
// num_attention_heads, rms_norm_eps, max_position_embeddings, rope (see rope.h; yarn in
// practice), rope_interleave (V3, default true; V2 always interleaves), q_lora_rank (null: plain
// q_proj), kv_lora_rank, qk_nope_head_dim, qk_rope_head_dim, v_head_dim, attention_bias,
// tie_word_embeddings, n_routed_experts (null: dense only), num_experts_per_tok,
// moe_intermediate_size, n_shared_experts, first_k_dense_replace, moe_layer_freq, n_group,
// topk_group, norm_topk_prob (V3), routed_scaling_factor, topk_method (V2: "greedy" |
// "group_limited_greedy"), eos_token_id.
//
// Routing as transformers: V3 scores with sigmoid, adds e_score_correction_bias for the choice only,
// keeps the topk_group groups with the largest sum of their top-2 scores, optionally normalises;
// V2 scores with softmax, "group_limited_greedy" keeps groups by their max score, never normalises.
// Both scale by routed_scaling_factor. The softmax scale is (qk_nope + qk_rope)^-0.5, times
// mscale² = yarn_mscale(factor, mscale_all_dim)² when rope scaling sets mscale_all_dim (V2 and V3
// alike: the golden fixtures from transformers 5 confirm it for both).
//
// MLA runs in its absorbed form: the cache holds one row per token, [kv_a_layernorm(c_kv) |
// rope(k_pe)] (kv_lora_rank + qk_rope_head_dim), never per-head K/V. Per head, q_nope is mapped
// into the latent space by W_UK (from kv_b_proj), attention runs as one shared KV head of width
// kv_lora_rank + qk_rope_head_dim whose values are the latent part, and W_UV maps the result back
// to v_head_dim. This equals transformers' expanded computation up to fp32 rounding. The query
// projection (q_a_proj with q_lora_rank, else q_proj) and kv_a_proj_with_mqa read the same input,
// so they are joined into one product; split_mla_projection takes its two parts apart (with
// q_lora_rank), or absorb_mla_projection, without it, absorbs the query where the product left it.
//
// Weights (prefix model.layers.<l>.): self_attn.q_a_proj, q_a_layernorm, q_b_proj (or q_proj),
// kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj, o_proj; input_layernorm, post_attention_layernorm;
// dense layers mlp.{gate,up,down}_proj; MoE layers mlp.gate.weight [E, D],
// mlp.gate.e_score_correction_bias [E] (V3), experts as mlp.experts.<e>.{gate,up,down}_proj.weight
// or fused mlp.experts.gate_up_proj [E, 2F, D] + mlp.experts.down_proj [E, D, F], and
// mlp.shared_experts.{gate,up,down}_proj. Linear weights may be F8_E4M3 with *_scale_inv.
//
// Tensor parallelism (Backend::world() ranks): attention heads are split — each rank holds its
// heads' rows of q_proj / q_b_proj and of kv_b_proj (W_UK, W_UV) and their columns of o_proj
// (o_proj's bias on rank 0) — while q_a_proj, kv_a_proj and the latent KV cache are replicated (as
// vLLM does for MLA: the cache row is shared by all heads). Dense MLPs and shared experts are split
// by ffn slice (moe_block.h); routed experts by expert parallelism: the router runs on every rank
// and each rank adds only its own contiguous range of experts. o_proj's and the MLP / MoE block's
// outputs are summed over the ranks (all_reduce_sum). num_attention_heads, intermediate_size,
// n_routed_experts and moe_intermediate_size × n_shared_experts must split evenly over the ranks.
#include <cmath>
#include <optional>

#include "model/arch/architecture.h"
#include "model/config_reader.h"
#include "model/moe_block.h"
#include "model/rope.h"

namespace r1b::model {

namespace {

struct DeepseekConfig {
  ModelInfo info;
  bool is_v3 = true;
  int64_t intermediate_size = 0;
  int64_t num_heads = 0;
  std::optional<int64_t> q_lora_rank;
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;
  bool attention_bias = false;
  bool tie_word_embeddings = false;
  float rms_norm_eps = 1e-6f;
  int64_t num_experts = 0;  // 0: no MoE layers
  int64_t moe_intermediate_size = 0;
  int64_t num_shared_experts = 0;
  int64_t first_k_dense_replace = 0;
  int64_t moe_layer_freq = 1;
  RouterParams router;
  RopeConfig rope;
  bool rope_interleave = true;
  float softmax_scale = 1.0f;

  bool is_moe_layer(int64_t layer) const {
    return num_experts > 0 && layer >= first_k_dense_replace && layer % moe_layer_freq == 0;
  }
  int64_t latent_width() const { return kv_lora_rank + qk_rope_head_dim; }
  int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
};

struct DeepseekLayer {
  Tensor input_norm;
  // [q_a_proj (with q_lora_rank) or q_proj ; kv_a_proj_with_mqa]: one product of the attention input.
  Linear q_kv_a_proj;
  int64_t q_width = 0;             // its query rows: q_lora_rank, or this rank's heads' q_proj rows
  Tensor q_a_norm;                 // with q_lora_rank, else empty
  std::optional<Linear> q_b_proj;  // with q_lora_rank
  Tensor kv_a_norm;
  Tensor w_uk;                     // [H, kv_lora_rank, qk_nope]: q_nope -> latent
  Tensor w_uv;                     // [H, v_head_dim, kv_lora_rank]: latent -> v
  Linear o_proj;
  Tensor post_attention_norm;
  std::optional<Mlp> mlp;
  std::optional<Moe> moe;
};

ForwardCost deepseek_cost(const DeepseekConfig& config, std::span<const SeqWork> batch, const CostOptions& options) {
  const auto hidden = static_cast<double>(config.info.hidden_size);
  const auto heads = static_cast<double>(config.num_heads);
  const auto q_out = heads * static_cast<double>(config.qk_head_dim());
  const auto latent = static_cast<double>(config.latent_width());
  const auto lora = static_cast<double>(config.kv_lora_rank);
  const double q_params = config.q_lora_rank ? hidden * static_cast<double>(*config.q_lora_rank) +
                                                   static_cast<double>(*config.q_lora_rank) * q_out
                                             : hidden * q_out;
  const double attention_params = q_params + hidden * latent +
                                   heads * static_cast<double>(config.qk_nope_head_dim) * lora +  // W_UK
                                   heads * lora * static_cast<double>(config.v_head_dim) +        // W_UV
                                   heads * static_cast<double>(config.v_head_dim) * hidden;       // o_proj
  const double expert_params = 3 * hidden * static_cast<double>(config.moe_intermediate_size);
  const double dense_mlp_params = 3 * hidden * static_cast<double>(config.intermediate_size);
  const auto tokens = static_cast<double>(total_new_tokens(batch));
  const auto bytes_per_weight = static_cast<double>(options.weight_bytes_per_element);

  ForwardCost cost;
  double active_params_per_token = 0;  // over all layers
  double weights_read = 0;
  for (int64_t l = 0; l < config.info.num_layers; ++l) {
    active_params_per_token += attention_params;
    weights_read += attention_params;
    if (config.is_moe_layer(l)) {
      const auto routed = static_cast<double>(config.router.top_k);
      const double shared = static_cast<double>(config.num_shared_experts) * expert_params;
      const double router = hidden * static_cast<double>(config.num_experts);
      active_params_per_token += router + routed * expert_params + shared;
      const double touched = std::min(static_cast<double>(config.num_experts), tokens * routed);
      weights_read += router + touched * expert_params + shared;
    } else {
      active_params_per_token += dense_mlp_params;
      weights_read += dense_mlp_params;
    }
  }
  const double head_params = static_cast<double>(config.info.vocab_size) * hidden;
  const auto logit_rows = static_cast<double>(batch.size() * options.logit_rows_per_seq);
  const auto layers = static_cast<double>(config.info.num_layers);
  cost.matmul_flops = 2 * tokens * active_params_per_token + 2 * logit_rows * head_params;
  cost.weight_bytes = (weights_read + head_params) * bytes_per_weight;
  const double kv_row_bytes = latent * static_cast<double>(options.kv_bytes_per_element);
  for (const SeqWork& work : batch) {
    // Absorbed MLA: scores over the latent + rope width, values over the latent width.
    cost.attention_flops += 2 * heads * (latent + lora) * causal_pairs(work) * layers;
    cost.kv_read_bytes += static_cast<double>(work.context_len) * kv_row_bytes * layers;
  }
  cost.kv_write_bytes = tokens * kv_row_bytes * layers;
  return cost;
}

class DeepseekModel final : public CausalLm {
 public:
  DeepseekModel(DeepseekConfig config, Backend& backend)
      : config_(std::move(config)),
        backend_(backend),
        shard_{backend.rank(), backend.world()},
        heads_(shard_.part(config_.num_heads)) {
    rope_ = make_rope_table(config_.rope, config_.qk_rope_head_dim, config_.info.max_position_embeddings,
                            config_.rope_interleave);
  }

  const ModelInfo& info() const override { return config_.info; }
  KvLayout kv_layout() const override { return KvLayout{config_.info.num_layers, config_.latent_width(), 0}; }
  Tensor forward(const ForwardBatch& batch, KvCache& cache) override;
  ForwardCost cost(std::span<const SeqWork> batch, const CostOptions& options) const override {
    return deepseek_cost(config_, batch, options);
  }

  Status load(WeightLoader& weights);

 private:
  Status load_attention(WeightLoader& weights, const std::string& prefix, DeepseekLayer& layer);
  Tensor run_attention(const DeepseekLayer& layer, const Tensor& h, const ForwardBatch& batch, KvCache& cache, int l);
  // The dtype of the input norm's output, which only the q|kv_a product reads.
  DType attention_input_dtype(const DeepseekLayer& layer, int64_t tokens) const;

  DeepseekConfig config_;
  Backend& backend_;
  Shard shard_;
  int64_t heads_ = 0;  // this rank's attention heads
  RopeTable rope_;
  LmEnds ends_;
  std::vector<DeepseekLayer> layers_;
};

Status DeepseekModel::load_attention(WeightLoader& weights, const std::string& prefix, DeepseekLayer& layer) {
  const int64_t hidden = config_.info.hidden_size;
  const int64_t heads = config_.num_heads;
  const int64_t q_out = heads * config_.qk_head_dim();
  const int64_t first_head = shard_.begin(heads);
  const bool bias = config_.attention_bias;
  const LinearPart kv_a{prefix + "kv_a_proj_with_mqa", config_.latent_width(), bias, Split::kNone};
  if (config_.q_lora_rank) {
    const int64_t q_lora = *config_.q_lora_rank;
    Result<Linear> q_kv_a = load_fused_linear(weights, {{prefix + "q_a_proj", q_lora, bias, Split::kNone}, kv_a}, hidden);
    R1B_RETURN_IF_ERROR(q_kv_a);
    layer.q_kv_a_proj = *q_kv_a;
    layer.q_width = q_lora;
    Result<Tensor> q_a_norm = weights.load(prefix + "q_a_layernorm.weight", {q_lora});
    R1B_RETURN_IF_ERROR(q_a_norm);
    layer.q_a_norm = *q_a_norm;
    Result<Linear> q_b = load_linear(weights, prefix + "q_b_proj", q_out, q_lora, false, Split::kOut);
    R1B_RETURN_IF_ERROR(q_b);
    layer.q_b_proj = *q_b;
  } else {
    Result<Linear> q_kv_a = load_fused_linear(weights, {{prefix + "q_proj", q_out, false, Split::kOut}, kv_a}, hidden);
    R1B_RETURN_IF_ERROR(q_kv_a);
    layer.q_kv_a_proj = *q_kv_a;
    layer.q_width = shard_.part(q_out);
  }
  Result<Tensor> kv_a_norm = weights.load(prefix + "kv_a_layernorm.weight", {config_.kv_lora_rank});
  R1B_RETURN_IF_ERROR(kv_a_norm);
  layer.kv_a_norm = *kv_a_norm;
  // kv_b_proj [H·(nope + v), lora] split per head (this rank's heads) into W_UK (transposed) and W_UV.
  const int64_t nope = config_.qk_nope_head_dim;
  const int64_t v_dim = config_.v_head_dim;
  const int64_t lora = config_.kv_lora_rank;
  Result<std::vector<float>> kv_b = weights.read(prefix + "kv_b_proj.weight", {heads * (nope + v_dim), lora});
  R1B_RETURN_IF_ERROR(kv_b);
  std::vector<float> w_uk(heads_ * lora * nope);
  std::vector<float> w_uv(heads_ * v_dim * lora);
  for (int64_t h = 0; h < heads_; ++h) {
    const float* head_rows = kv_b->data() + (first_head + h) * (nope + v_dim) * lora;
    for (int64_t n = 0; n < nope; ++n) {
      for (int64_t c = 0; c < lora; ++c) w_uk[(h * lora + c) * nope + n] = head_rows[n * lora + c];
    }
    std::copy(head_rows + nope * lora, head_rows + (nope + v_dim) * lora, w_uv.begin() + h * v_dim * lora);
  }
  layer.w_uk = weights.upload(w_uk, {heads_, lora, nope});
  layer.w_uv = weights.upload(w_uv, {heads_, v_dim, lora});
  Result<Linear> o =
      load_linear(weights, prefix + "o_proj", hidden, heads * v_dim, config_.attention_bias, Split::kIn);
  R1B_RETURN_IF_ERROR(o);
  layer.o_proj = *o;
  return Status::ok();
}

Status DeepseekModel::load(WeightLoader& weights) {
  R1B_RETURN_IF_ERROR(require_ops(backend_, {OpKind::kEmbedding, OpKind::kMatmul, OpKind::kHeadMatmul,
                                             OpKind::kRmsNorm, OpKind::kRope, OpKind::kAdd, OpKind::kSwiglu,
                                             OpKind::kCopyColumns, OpKind::kWriteKv, OpKind::kAttention,
                                             OpKind::kMoeRoute, OpKind::kMoeExperts}));
  R1B_RETURN_IF_ERROR(require_divisible(shard_, "num_attention_heads", config_.num_heads));
  bool has_dense_layer = false;
  for (int64_t l = 0; l < config_.info.num_layers; ++l) has_dense_layer = has_dense_layer || !config_.is_moe_layer(l);
  if (has_dense_layer) R1B_RETURN_IF_ERROR(require_divisible(shard_, "intermediate_size", config_.intermediate_size));
  if (config_.num_experts > 0) {
    R1B_RETURN_IF_ERROR(require_divisible(shard_, "n_routed_experts", config_.num_experts));
    R1B_RETURN_IF_ERROR(require_divisible(shard_, "moe_intermediate_size × n_shared_experts",
                                          config_.moe_intermediate_size * config_.num_shared_experts));
  }
  const int64_t hidden = config_.info.hidden_size;
  Result<LmEnds> ends = load_lm_ends(weights, config_.info, config_.tie_word_embeddings);
  R1B_RETURN_IF_ERROR(ends);
  ends_ = *ends;
  for (int64_t l = 0; l < config_.info.num_layers; ++l) {
    const std::string prefix = "model.layers." + std::to_string(l) + ".";
    DeepseekLayer layer;
    Result<Tensor> input_norm = weights.load(prefix + "input_layernorm.weight", {hidden});
    R1B_RETURN_IF_ERROR(input_norm);
    layer.input_norm = *input_norm;
    Result<Tensor> post_norm = weights.load(prefix + "post_attention_layernorm.weight", {hidden});
    R1B_RETURN_IF_ERROR(post_norm);
    layer.post_attention_norm = *post_norm;
    R1B_RETURN_IF_ERROR(load_attention(weights, prefix + "self_attn.", layer));
    if (config_.is_moe_layer(l)) {
      const MoeShape shape{hidden, config_.num_experts, config_.moe_intermediate_size, config_.num_shared_experts,
                           /*with_correction_bias=*/config_.is_v3};
      Result<Moe> moe = load_moe(weights, prefix + "mlp.", shape);
      R1B_RETURN_IF_ERROR(moe);
      layer.moe = std::move(moe).value();
    } else {
      Result<Mlp> mlp = load_mlp(weights, prefix + "mlp", hidden, config_.intermediate_size, false);
      R1B_RETURN_IF_ERROR(mlp);
      layer.mlp = *mlp;
    }
    layers_.push_back(std::move(layer));
  }
  return Status::ok();
}

Tensor DeepseekModel::run_attention(const DeepseekLayer& layer, const Tensor& h, const ForwardBatch& batch,
                                    KvCache& cache, int l) {
  const int64_t tokens = h.dim(0);
  const int64_t heads = heads_;
  const int64_t lora = config_.kv_lora_rank;
  const int64_t latent = config_.latent_width();

  // The query (or q_lora's q_a, normed) and the cached latent row [kv_a_layernorm(c_kv) |
  // rope(k_pe)] from one product; W_UK absorbed into the query: q_full[h] = [W_UK[h] · q_nope[h] |
  // rope(q_pe[h])]. Without q_lora the query is the product's first columns, taken in place.
  const Tensor proj = run_linear(backend_, layer.q_kv_a_proj, h);
  Tensor q_full = backend_.alloc({tokens, heads, latent}, DType::kF32);
  if (layer.q_b_proj) {
    Tensor q_a = backend_.alloc({tokens, layer.q_width}, DType::kF32);
    backend_.split_mla_projection(proj, layer.q_a_norm, layer.kv_a_norm, config_.rms_norm_eps, batch.positions, rope_,
                                  batch.slots, cache.k[l], q_a);
    const Tensor q = run_linear(backend_, *layer.q_b_proj, q_a);
    backend_.absorb_query(q.view({tokens, heads, config_.qk_head_dim()}), layer.w_uk, batch.positions, rope_, q_full);
  } else {
    backend_.absorb_mla_projection(proj, layer.kv_a_norm, config_.rms_norm_eps, layer.w_uk, batch.positions, rope_,
                                   batch.slots, cache.k[l], q_full);
  }
  record(batch, l, "q", q_full);

  const AttentionParams params{heads, 1, latent, lora, /*v_in_k=*/true, config_.softmax_scale, cache.block_size};
  Tensor attn = backend_.alloc({tokens, heads, config_.v_head_dim}, DType::kF32);
  backend_.mla_attention(q_full, cache.k[l], batch.seqs, params, layer.w_uv, attn);
  record(batch, l, "attn", attn);
  return run_linear(backend_, layer.o_proj, attn.view({tokens, heads * config_.v_head_dim}));
}

DType DeepseekModel::attention_input_dtype(const DeepseekLayer& layer, int64_t tokens) const {
  return backend_.product_input_dtype(layer.q_kv_a_proj.weight, tokens);
}

Tensor DeepseekModel::forward(const ForwardBatch& batch, KvCache& cache) {
  const auto tokens = static_cast<int64_t>(batch.token_ids.size());
  const float eps = config_.rms_norm_eps;
  Tensor x = run_embedding(backend_, ends_, batch);
  // Each residual add is fused with the norm that reads its sum. A norm whose output only products
  // read (attention inputs, a dense MLP's input; not the router and experts) keeps it as the
  // backend takes product inputs.
  Tensor h = layers_.empty() ? Tensor()
                             : run_rmsnorm(backend_, x, layers_.front().input_norm, eps,
                                           attention_input_dtype(layers_.front(), tokens));
  for (size_t index = 0; index < layers_.size(); ++index) {
    const DeepseekLayer& layer = layers_[index];
    const int l = static_cast<int>(index);
    Tensor attn_out = run_attention(layer, h, batch, cache, l);
    backend_.all_reduce_sum(attn_out);
    record(batch, l, "attn_out", attn_out);
    const DType mlp_input = layer.moe ? DType::kF32 : backend_.product_input_dtype(layer.mlp->gate_up.weight, tokens);
    Tensor mlp_in = backend_.alloc(x.shape(), mlp_input);
    backend_.add_rmsnorm(x, attn_out, layer.post_attention_norm, eps, mlp_in);
    Tensor mlp_out = layer.moe ? run_moe(backend_, *layer.moe, config_.router, mlp_in, batch, l) : run_mlp(backend_, *layer.mlp, mlp_in);
    backend_.all_reduce_sum(mlp_out);
    record(batch, l, "mlp_out", mlp_out);
    if (index + 1 < layers_.size()) {
      const DeepseekLayer& next = layers_[index + 1];
      h = backend_.alloc(x.shape(), attention_input_dtype(next, tokens));
      backend_.add_rmsnorm(x, mlp_out, next.input_norm, eps, h);
    } else {
      backend_.add(x, mlp_out, x);
    }
    record(batch, l, "residual", x);
  }
  return run_final_logits(backend_, ends_, x, eps, batch);
}

using DeepseekSpec = ArchSpecOf<DeepseekConfig, DeepseekModel, deepseek_cost>;

}  // namespace

Result<std::unique_ptr<ArchSpec>> parse_deepseek(const nlohmann::json& json, const std::string& where,
                                                 const std::string& architecture) {
  ConfigReader reader(json, where);
  DeepseekConfig config;
  config.is_v3 = architecture == "DeepseekV3ForCausalLM";
  config.info = read_model_info(reader, json, architecture);
  config.intermediate_size = reader.integer("intermediate_size");
  config.num_heads = reader.integer("num_attention_heads");
  config.q_lora_rank = reader.optional_integer("q_lora_rank");
  config.kv_lora_rank = reader.integer("kv_lora_rank");
  config.qk_nope_head_dim = reader.integer("qk_nope_head_dim");
  config.qk_rope_head_dim = reader.integer("qk_rope_head_dim");
  config.v_head_dim = reader.integer("v_head_dim");
  config.attention_bias = reader.boolean_or("attention_bias", false);
  config.tie_word_embeddings = reader.boolean_or("tie_word_embeddings", false);
  config.rms_norm_eps = static_cast<float>(reader.number_or("rms_norm_eps", 1e-6));
  config.rope_interleave = config.is_v3 ? reader.boolean_or("rope_interleave", true) : true;
  if (config.qk_rope_head_dim % 2 != 0) reader.fail("qk_rope_head_dim", "must be even");

  config.num_experts = reader.integer_or("n_routed_experts", 0);
  if (config.num_experts > 0) {
    config.moe_intermediate_size = reader.integer("moe_intermediate_size");
    config.num_shared_experts = reader.integer_or("n_shared_experts", 0);
    config.first_k_dense_replace = reader.integer_or("first_k_dense_replace", 0);
    config.moe_layer_freq = reader.integer_or("moe_layer_freq", 1);
    if (config.moe_layer_freq <= 0) reader.fail("moe_layer_freq", "must be positive");
    RouterParams& router = config.router;
    router.top_k = reader.integer("num_experts_per_tok");
    router.num_groups = reader.integer_or("n_group", 1);
    router.top_groups = reader.integer_or("topk_group", router.num_groups);
    router.scaling_factor = static_cast<float>(reader.number_or("routed_scaling_factor", 1.0));
    if (config.is_v3) {
      router.scoring = RouterScoring::kSigmoid;
      router.group_score = GroupScore::kTop2Sum;
      router.normalize = reader.boolean_or("norm_topk_prob", true);
    } else {
      router.scoring = RouterScoring::kSoftmax;
      const std::string method = reader.string_or("topk_method", "greedy");
      if (method == "group_limited_greedy") {
        router.group_score = GroupScore::kMax;
      } else if (method != "greedy") {
        reader.fail("topk_method", "is '" + method + "'; supported: greedy, group_limited_greedy");
      }
    }
    if (router.num_groups <= 0 || config.num_experts % router.num_groups != 0 || router.top_groups <= 0 ||
        router.top_groups > router.num_groups) {
      reader.fail("n_group", "must divide n_routed_experts, with 0 < topk_group <= n_group");
    }
    if (router.top_k <= 0 || router.top_k > config.num_experts) {
      reader.fail("num_experts_per_tok", "must be in [1, n_routed_experts]");
    }
  }
  R1B_RETURN_IF_ERROR(reader.status());
  Result<RopeConfig> rope = parse_rope_config(json, where);
  R1B_RETURN_IF_ERROR(rope);
  config.rope = *rope;
  double scale = 1.0 / std::sqrt(static_cast<double>(config.qk_head_dim()));
  if (config.rope.type != "default" && config.rope.mscale_all_dim != 0.0) {
    const double mscale = yarn_mscale(config.rope.factor, config.rope.mscale_all_dim);
    scale *= mscale * mscale;
  }
  config.softmax_scale = static_cast<float>(scale);
  return std::unique_ptr<ArchSpec>(std::make_unique<DeepseekSpec>(std::move(config)));
}

}  // namespace r1b::model
