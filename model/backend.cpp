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

}  // namespace r1b::model
