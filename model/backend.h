// Backend: the op interface that the model graphs (model/arch/*.cpp) are written against.
//
// One backend per device kind: CpuBackend (model/cpu_backend.h) is the fp32 reference and the
// spec; a CUDA backend (kernels/) implements the same ops. Before a model is built every op it
// will run is checked with supports(); an unsupported op, shape or dtype is a load-time error,
// never a wrong answer. Per-step index data (token ids, positions, KV slots, block tables) is passed
// as host spans; a device backend copies it up itself.
//
// Conventions: all activations are row-major fp32 ([T, ...] with T the step's tokens, see the
// dimension legend in dtype.h); `out` tensors are allocated by the caller with the stated shape;
// an op may be given `out` equal to an input only where its contract says "in place allowed".
// Shapes are checked with R1B_CHECK (a mismatch is a bug in model code, not user input).
//
// Thread-safety: a backend runs one op at a time (callers serialise); ops may use many threads
// internally.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/tensor.h"

namespace r1b::model {

enum class OpKind {
  kEmbedding, kMatmul, kHeadMatmul, kRmsNorm, kAddRmsNorm, kRope, kAdd, kSwiglu, kCopyColumns,
  kWriteKv, kRopeWriteQkv, kCopyKvRows, kAttention, kMoeRoute, kMoeExperts,
};

// "matmul", "attention", ... (for messages).
std::string_view op_name(OpKind op);

// "Do you support this op on this dtype with this (main operand) shape?"
struct OpQuery {
  OpKind op;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
};

// Rotary embedding table: one inverse frequency per rotated pair, and the factor that cos and sin
// are multiplied by (YaRN's attention factor; 1 otherwise).
struct RopeTable {
  std::vector<float> inv_freq;   // [rot_dim / 2]
  float attention_factor = 1.0f;
  bool interleaved = false;      // pairs (2i, 2i+1) (DeepSeek) instead of (i, i + rot_dim/2) (Llama)
};

// One sequence's slice of a step for attention.
struct AttentionSeq {
  int64_t q_begin = 0;            // first row of the step's [T, ...] tensors
  int64_t num_q = 0;              // rows of this sequence in the step (its new tokens)
  int64_t context_len = 0;        // tokens in the cache after this step (new ones included);
                                  // new token i sits at position context_len - num_q + i
  std::vector<int32_t> block_table;  // KV block ids, in position order
};

struct AttentionParams {
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;       // num_heads must be a multiple
  int64_t k_dim = 0;              // per head, of q and of cached keys
  int64_t v_dim = 0;              // per head, of cached values and of out
  bool v_in_k = false;            // values are the first v_dim entries of each key row (MLA latent)
  float scale = 1.0f;             // softmax(q·k × scale)
  int64_t block_size = 0;         // tokens per KV block
};

enum class RouterScoring { kSoftmax, kSigmoid };
enum class GroupScore { kNone, kMax, kTop2Sum };

struct RouterParams {
  RouterScoring scoring = RouterScoring::kSoftmax;
  int64_t top_k = 1;
  int64_t num_groups = 1;         // experts split into num_groups equal groups
  int64_t top_groups = 1;         // groups kept before the top-k (GroupScore::kNone keeps all)
  GroupScore group_score = GroupScore::kNone;
  bool normalize = false;         // divide the top-k weights by their sum (+1e-20)
  float scaling_factor = 1.0f;    // routed_scaling_factor, applied last
};

// Stacked expert weights (SwiGLU): gate, up [E, F, D]; down [E, D, F]. Under expert parallelism a
// rank holds only the experts [first_expert, first_expert + E) of the model's; 0 and all of them
// otherwise.
struct ExpertWeights {
  Tensor gate;
  Tensor up;
  Tensor down;
  int64_t first_expert = 0;
  // The shared experts as one SwiGLU MLP (swiglu_mlp()'s layout, no biases), or both empty:
  // shared_gate_up [2·Fs, D] (gate rows, then up rows), shared_down [D, Fs].
  Tensor shared_gate_up;
  Tensor shared_down;
};

// Backend::absorb_query()'s sizes, checked against each other (R1B_CHECK): q [T, H, N + Rd],
// w_uk [H, L, N], q_latent [T, H, L + Rd].
struct AbsorbedQueryShape {
  int64_t tokens = 0;    // T
  int64_t heads = 0;     // H
  int64_t nope = 0;      // N
  int64_t lora = 0;      // L
  int64_t rope_dim = 0;  // Rd
};
AbsorbedQueryShape absorbed_query_shape(const Tensor& q, const Tensor& w_uk, const Tensor& q_latent);

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual bool supports(const OpQuery& query) const = 0;

  // Device facts for sizing the KV cache and for reports.
  // What the ops run on: "cpu", or the GPU's name (e.g. "NVIDIA H100 80GB HBM3").
  virtual std::string device_name() const { return name(); }
  // Bytes of device memory still free for the KV cache and activations; -1 for a backend that
  // runs in host memory (size the cache from the request instead).
  virtual int64_t free_memory_bytes() const { return -1; }
  // Measured device copy bandwidth in bytes/s (read + write), the denominator of "achieved
  // bandwidth"; 0 where no such ceiling is measured (the CPU backend). Takes well under a second.
  virtual double measure_copy_bandwidth() { return 0; }
  // Element type of KV cache tensors (allocate_kv_cache): write_kv stores fp32 rows in it (rounding
  // when narrower) and attention reads it. F32 unless the backend stores the cache narrower.
  virtual DType kv_cache_dtype() const { return DType::kF32; }
  // Element type in which a layer keeps a norm's output whose only reader is a product (matmul or
  // swiglu_mlp) of `rows` rows by `weight`: BF16 where the backend would round that input to bf16
  // before the product anyway, so the norm writes it rounded and no result changes; F32 otherwise.
  // rmsnorm and add_rmsnorm then take an `out` of this type, and matmul / swiglu_mlp an x of it.
  virtual DType product_input_dtype(const Tensor& /*weight*/, int64_t /*rows*/) const { return DType::kF32; }

  // Optional bracketing of one decode forward pass — `rows` query rows, one new token per
  // sequence, every context ≤ max_context — for backends that record a step once and replay it
  // (CUDA graphs). Between the two calls the caller runs exactly one forward pass and nothing else
  // on this backend; it downloads the result after end_decode_step(). Tensors allocated inside may
  // be valid only until the next begin_decode_step(). Host spans the pass hands to ops (positions,
  // slots, block tables) must hold the same values at the same addresses until end_decode_step():
  // the backend may upload a span once and serve the step's later ops from that copy. Default:
  // nothing happens.
  virtual void begin_decode_step(int64_t /*rows*/, int64_t /*max_context*/) {}
  virtual void end_decode_step() {}

  // Tensor / expert parallelism: this backend is rank `rank()` of a group of `world()` backends
  // (one per device, model/tensor_parallel.h) that each hold a shard of the model's weights.
  // A backend alone is rank 0 of a world of 1.
  virtual int rank() const { return 0; }
  virtual int world() const { return 1; }
  // Sums the F32 activation `x` over the group's ranks, in place: afterwards every rank holds the
  // same sum (bit-identical across ranks). Every rank must call it at the same point of the same
  // forward pass with the same shape (a collective: it blocks, or on a device queues work that
  // waits, until all ranks have called it). A backend alone returns at once.
  virtual void all_reduce_sum(Tensor& /*x*/) {}

  // Sampling on the device (optional; ModelRunner samples on the host otherwise). One token per
  // entry of `rows` from row rows[i].logits_row of logits [R, V]: greedy (temperature ≤ 0) is the
  // first argmax; otherwise weights exp((logit − max) / temperature), restricted to the top_k
  // largest logits (0: off) and then to the most likely tokens whose weight reaches top_p of the
  // rest (1: off) — tokens tied with the last one kept at either cut are kept too — and the token
  // where the kept weights' running sum in id order passes uniform × their total. That is
  // sampler.h's distribution except for ties at a cut, which the host sampler breaks by id.
  struct SampleRequest {
    int32_t logits_row = 0;
    float temperature = 0.0f;
    float top_p = 1.0f;
    int32_t top_k = 0;
    float uniform = 0.0f;  // in [0, 1), from the sample's own generator
  };
  virtual bool samples_on_device() const { return false; }
  virtual std::vector<int32_t> sample_tokens(const Tensor& /*logits*/, std::span<const SampleRequest> /*rows*/) {
    return {};
  }

  // A tensor owned by the returned handle(s). Its contents are unspecified until an op writes them
  // (CpuBackend zero-fills; device backends do not spend a memset per activation).
  virtual Tensor alloc(std::vector<int64_t> shape, DType dtype) = 0;
  // Copies host fp32 values into `dst` (numel must match).
  virtual void upload(std::span<const float> values, Tensor& dst) = 0;
  // Copies `src` (fp32) to the host.
  virtual std::vector<float> download(const Tensor& src) = 0;

  // out[t, :] = table[token_ids[t], :]. table [V, D], out [T, D].
  virtual void embedding(const Tensor& table, std::span<const int32_t> token_ids, Tensor& out) = 0;
  // out = x · weightᵀ (+ bias). x [R, I], weight [O, I], bias [O] or empty, out [R, O].
  virtual void matmul(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& out) = 0;
  // Per head: out[t, h, :] = weight[h] · x[t, h, :]. x [T, H, I], weight [H, O, I], out [T, H, O].
  virtual void head_matmul(const Tensor& x, const Tensor& weight, Tensor& out) = 0;
  // RMSNorm over the last axis of x [R, D] viewed as rows of `weight`'s length. In place allowed.
  virtual void rmsnorm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) = 0;
  // The residual add and the next norm in one pass: x += delta, then out = rmsnorm(x) as above.
  // x, delta, out [R, D] with D = weight's length; out must not be x or delta.
  virtual void add_rmsnorm(Tensor& x, const Tensor& delta, const Tensor& weight, float eps, Tensor& out) = 0;
  // Rotates columns [rot_offset, rot_offset + 2·inv_freq.size()) of every head of x [T, H, Dh]
  // in place, token t at positions[t].
  virtual void rope(Tensor& x, std::span<const int32_t> positions, const RopeTable& table, int64_t rot_offset) = 0;
  // out = a + b (same shapes). In place allowed.
  virtual void add(const Tensor& a, const Tensor& b, Tensor& out) = 0;
  // SwiGLU of packed rows: out[r, f] = silu(gate_up[r, f]) · gate_up[r, F + f]. gate_up [R, 2F] (the
  // gate and up projections as one product), out [R, F].
  virtual void swiglu(const Tensor& gate_up, Tensor& out) = 0;
  // A SwiGLU MLP: out = act · downᵀ (+ down_bias) with act = swiglu(x · gate_upᵀ (+ gate_up_bias)).
  // gate_up [2F, I] (gate rows, then up rows), gate_up_bias [2F] or empty, down [O, F], down_bias
  // [O] or empty; x [R, I], out [R, O]. The default runs matmul(), swiglu() and matmul() over
  // temporaries; a backend overrides it to fuse the steps or keep the intermediates narrower.
  virtual void swiglu_mlp(const Tensor& x, const Tensor& gate_up, const Tensor& gate_up_bias, const Tensor& down,
                          const Tensor& down_bias, Tensor& out);
  // dst[r, dst_col + j] = src[r, src_col + j] for j < width; src [R, Cs], dst [R, Cd].
  virtual void copy_columns(const Tensor& src, int64_t src_col, Tensor& dst, int64_t dst_col, int64_t width) = 0;
  // cache[slots[t], :] = rows[t, :]. rows [T, C], cache [num_slots, C] of kv_cache_dtype().
  virtual void write_kv(const Tensor& rows, std::span<const int32_t> slots, Tensor& cache) = 0;
  // The attention inputs of one fused q|k|v projection: qkv [T, (H + 2·KH)·Dh] holds per row the
  // q heads, then the k heads, then the v heads, to which bias [(H + 2·KH)·Dh] (or empty) is added
  // first (the projection's bias, so the product need not add it in a pass of its own). Rotates q
  // and k as rope(…, rot_offset 0) does, writes q to q_out [T, H, Dh] and k / v rows to k_cache /
  // v_cache at slots[t] as write_kv() does (H from q_out, KH·Dh from the caches' rows).
  virtual void rope_write_qkv(const Tensor& qkv, const Tensor& bias, std::span<const int32_t> positions,
                              const RopeTable& table, std::span<const int32_t> slots, Tensor& q_out, Tensor& k_cache,
                              Tensor& v_cache) = 0;
  // MLA's inputs from one product of the attention input by [query projection ; kv_a projection]
  // (the absorbed form of model/arch/deepseek_v3.cpp): proj [T, Q + L + Rd], Q = q.row_size(),
  // L = kv_norm's length. Row t's last L + Rd columns, kv, become the cache row at slots[t] (as
  // write_kv() stores) [rmsnorm(kv[:L]) | kv[L:] rotated] — the norm as rmsnorm(), the rotation
  // as rope(…, rot_offset L) of a single head; its first Q columns go to q [T, Q], rms-normed by
  // q_norm [Q] when it is not empty (q_a_layernorm, with q_lora_rank). proj is left as it was.
  // The default runs those ops one by one; a backend overrides it to do it in one pass.
  virtual void split_mla_projection(const Tensor& proj, const Tensor& q_norm, const Tensor& kv_norm, float eps,
                                    std::span<const int32_t> positions, const RopeTable& table,
                                    std::span<const int32_t> slots, Tensor& cache, Tensor& q);
  // MLA's query in the latent space: from q [T, H, N + Rd] (the q projection, N = w_uk.dim(2)),
  // q_latent [T, H, L + Rd] (L = w_uk.dim(1)) gets w_uk[h] · q[t, h, :N] in its first L columns
  // (as head_matmul() with w_uk [H, L, N]) and q[t, h, N:] rotated as rope(…, rot_offset N) would
  // rotate it in the rest. q is left as it was. The default runs copies, head_matmul() and rope().
  virtual void absorb_query(const Tensor& q, const Tensor& w_uk, std::span<const int32_t> positions,
                            const RopeTable& table, Tensor& q_latent);
  // split_mla_projection() and absorb_query() as one op, for MLA without q_lora_rank, where the
  // query part of proj [T, H·(N + Rd) + L + Rd] is q itself: the cache rows as
  // split_mla_projection(proj, no q_norm, kv_norm, …) stores them, and q_latent [T, H, L + Rd] as
  // absorb_query(q, w_uk, …) computes it for q [T, H, N + Rd] = proj's first H·(N + Rd) columns.
  // proj is left as it was. The default runs the two ops; a backend overrides it to read the
  // query in place and to leave no pass for the split alone (CUDA, at a decode step's few rows:
  // one pass for the product, the rotation and the cache row).
  virtual void absorb_mla_projection(const Tensor& proj, const Tensor& kv_norm, float eps, const Tensor& w_uk,
                                     std::span<const int32_t> positions, const RopeTable& table,
                                     std::span<const int32_t> slots, Tensor& cache, Tensor& q_latent);
  // cache[dst_slot + i, :] = cache[src_slot + i, :] for i < count (copy-on-write of a KV block).
  virtual void copy_kv_rows(Tensor& cache, int64_t src_slot, int64_t dst_slot, int64_t count) = 0;
  // Causal attention of q [T, H, k_dim] over each sequence's cached keys/values (paged through its
  // block table; slot = block × block_size + offset). k_cache [slots, KH·k_dim]; v_cache
  // [slots, KH·v_dim] or empty when params.v_in_k. out [T, H, v_dim].
  virtual void attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                         std::span<const AttentionSeq> seqs, const AttentionParams& params, Tensor& out) = 0;
  // MLA's attention in the absorbed form, ending in W_UV: out[t, h, :] = w_uv[h] · a[t, h, :] for
  // a = attention(q_latent, cache, no v_cache, seqs, params) (params.v_in_k; a [T, H, v_dim]),
  // w_uv [H, O, v_dim], out [T, H, O]. The default runs attention() and head_matmul(); a backend
  // overrides it to apply W_UV where the attention's splits are merged.
  virtual void mla_attention(const Tensor& q_latent, const Tensor& cache, std::span<const AttentionSeq> seqs,
                             const AttentionParams& params, const Tensor& w_uv, Tensor& out);
  // Expert choice per token from router logits [T, E]: expert_ids (I32) and weights (F32), both
  // [T, top_k]. correction_bias [E] (or empty) shifts the scores used for selection only.
  virtual void moe_route(const Tensor& router_logits, const Tensor& correction_bias, const RouterParams& params,
                         Tensor& expert_ids, Tensor& expert_weights) = 0;
  // out[t] = Σ_k weights[t, k] · down_e(silu(gate_e · x[t]) ⊙ up_e · x[t]), e = expert_ids[t, k],
  // over the k whose expert this rank holds (experts.first_expert ≤ e < first_expert + E; the
  // expert's weights are row e − first_expert); the others add nothing. Then, with shared experts,
  // out += swiglu_mlp(x, shared_gate_up, shared_down). x, out [T, D]. Overwrites out.
  virtual void moe_experts(const Tensor& x, const Tensor& expert_ids, const Tensor& expert_weights,
                           const ExpertWeights& experts, Tensor& out) = 0;

 protected:
  // moe_experts()'s last step for a backend that does not take the shared experts in its routed
  // passes: out += swiglu_mlp(x, experts.shared_gate_up, experts.shared_down), when there are any.
  void add_shared_experts(const Tensor& x, const ExpertWeights& experts, Tensor& out);
};

}  // namespace r1b::model
