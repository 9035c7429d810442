#include "model/backend.h"

namespace r1b::model {

std::string_view op_name(OpKind op) {
  switch (op) {
    case OpKind::kEmbedding: return "embedding";
    case OpKind::kMatmul: return "matmul";
    case OpKind::kHeadMatmul: return "head_matmul";
    case OpKind::kRmsNorm: return "rmsnorm";
    case OpKind::kAddRmsNorm: return "add_rmsnorm";
    case OpKind::kRope: return "rope";
    case OpKind::kAdd: return "add";
    case OpKind::kSwiglu: return "swiglu";
    case OpKind::kCopyColumns: return "copy_columns";
    case OpKind::kWriteKv: return "write_kv";
    case OpKind::kRopeWriteQkv: return "rope_write_qkv";
    case OpKind::kCopyKvRows: return "copy_kv_rows";
    case OpKind::kAttention: return "attention";
    case OpKind::kMoeRoute: return "moe_route";
    case OpKind::kMoeExperts: return "moe_experts";
  }
  return "unknown";
}

void Backend::swiglu_mlp(const Tensor& x, const Tensor& gate_up, const Tensor& gate_up_bias, const Tensor& down,
                         const Tensor& down_bias, Tensor& out) {
  Tensor product = alloc({x.dim(0), gate_up.dim(0)}, DType::kF32);
  matmul(x, gate_up, gate_up_bias, product);
  Tensor act = alloc({x.dim(0), gate_up.dim(0) / 2}, DType::kF32);
  swiglu(product, act);
  matmul(act, down, down_bias, out);
}

void Backend::add_shared_experts(const Tensor& x, const ExpertWeights& experts, Tensor& out) {
  if (experts.shared_gate_up.empty()) return;
  Tensor shared = alloc(x.shape(), DType::kF32);
  swiglu_mlp(x, experts.shared_gate_up, Tensor(), experts.shared_down, Tensor(), shared);
  add(out, shared, out);
}

void Backend::split_mla_projection(const Tensor& proj, const Tensor& q_norm, const Tensor& kv_norm, float eps,
                                   std::span<const int32_t> positions, const RopeTable& table,
                                   std::span<const int32_t> slots, Tensor& cache, Tensor& q) {
  const int64_t tokens = proj.dim(0);
  const int64_t q_width = q.row_size();
  const int64_t lora = kv_norm.numel();
  const int64_t latent = proj.row_size() - q_width;
  copy_columns(proj, 0, q, 0, q_width);
  if (!q_norm.empty()) rmsnorm(q, q_norm, eps, q);
  Tensor c_kv = alloc({tokens, lora}, DType::kF32);
  copy_columns(proj, q_width, c_kv, 0, lora);
  rmsnorm(c_kv, kv_norm, eps, c_kv);
  Tensor kv = alloc({tokens, latent}, DType::kF32);
  copy_columns(c_kv, 0, kv, 0, lora);
  copy_columns(proj, q_width + lora, kv, lora, latent - lora);
  Tensor one_head = kv.view({tokens, 1, latent});
  rope(one_head, positions, table, lora);
  write_kv(kv, slots, cache);
}

AbsorbedQueryShape absorbed_query_shape(const Tensor& q, const Tensor& w_uk, const Tensor& q_latent) {
  AbsorbedQueryShape shape{q.dim(0), q.dim(1), w_uk.dim(2), w_uk.dim(1), q.dim(2) - w_uk.dim(2)};
  R1B_CHECK(w_uk.dim(0) == shape.heads && shape.rope_dim >= 0);
  R1B_CHECK(q_latent.dim(0) == shape.tokens && q_latent.dim(1) == shape.heads &&
            q_latent.dim(2) == shape.lora + shape.rope_dim);
  return shape;
}

void Backend::absorb_query(const Tensor& q, const Tensor& w_uk, std::span<const int32_t> positions,
                           const RopeTable& table, Tensor& q_latent) {
  const auto [tokens, heads, nope, lora, rope_dim] = absorbed_query_shape(q, w_uk, q_latent);
  const Tensor q_rows = q.view({tokens * heads, nope + rope_dim});
  Tensor q_nope = alloc({tokens * heads, nope}, DType::kF32);
  copy_columns(q_rows, 0, q_nope, 0, nope);
  Tensor latent = alloc({tokens, heads, lora}, DType::kF32);
  head_matmul(q_nope.view({tokens, heads, nope}), w_uk, latent);
  Tensor out_rows = q_latent.view({tokens * heads, lora + rope_dim});
  copy_columns(latent.view({tokens * heads, lora}), 0, out_rows, 0, lora);
  copy_columns(q_rows, nope, out_rows, lora, rope_dim);
  rope(q_latent, positions, table, lora);
}

void Backend::absorb_mla_projection(const Tensor& proj, const Tensor& kv_norm, float eps, const Tensor& w_uk,
                                    std::span<const int32_t> positions, const RopeTable& table,
                                    std::span<const int32_t> slots, Tensor& cache, Tensor& q_latent) {
  const int64_t tokens = proj.dim(0);
  const int64_t heads = q_latent.dim(1);
  const int64_t q_width = proj.row_size() - cache.row_size();
  R1B_CHECK(q_width > 0 && q_width % heads == 0);
  Tensor q = alloc({tokens, q_width}, DType::kF32);
  split_mla_projection(proj, Tensor(), kv_norm, eps, positions, table, slots, cache, q);
  absorb_query(q.view({tokens, heads, q_width / heads}), w_uk, positions, table, q_latent);
}

void Backend::mla_attention(const Tensor& q_latent, const Tensor& cache, std::span<const AttentionSeq> seqs,
                            const AttentionParams& params, const Tensor& w_uv, Tensor& out) {
  Tensor latent = alloc({q_latent.dim(0), params.num_heads, params.v_dim}, DType::kF32);
  attention(q_latent, cache, Tensor(), seqs, params, latent);
  head_matmul(latent, w_uv, out);
}

}  // namespace r1b::model
