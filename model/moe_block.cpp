#include "model/moe_block.h"

namespace r1b::model {

Result<Moe> load_moe(WeightLoader& weights, const std::string& prefix, const MoeShape& shape) {
  const int64_t hidden = shape.hidden;
  const int64_t experts = shape.num_experts;
  const int64_t ffn = shape.expert_ffn;
  const int64_t first = weights.shard().begin(experts);
  const int64_t local = weights.shard().part(experts);
  Moe moe;
  moe.experts.first_expert = first;
  Result<Tensor> router = weights.load(prefix + "gate.weight", {experts, hidden});
  R1B_RETURN_IF_ERROR(router);
  moe.router = *router;
  if (shape.with_correction_bias) {
    Result<Tensor> bias = weights.load(prefix + "gate.e_score_correction_bias", {experts});
    R1B_RETURN_IF_ERROR(bias);
    moe.correction_bias = *bias;
  }
  if (weights.has(prefix + "experts.gate_up_proj")) {
    Result<std::vector<float>> gate_up = weights.read(prefix + "experts.gate_up_proj", {experts, 2 * ffn, hidden});
    R1B_RETURN_IF_ERROR(gate_up);
    std::vector<float> gate(local * ffn * hidden);
    std::vector<float> up(local * ffn * hidden);
    for (int64_t e = 0; e < local; ++e) {
      const float* rows = gate_up->data() + (first + e) * 2 * ffn * hidden;
      std::copy(rows, rows + ffn * hidden, gate.begin() + e * ffn * hidden);
      std::copy(rows + ffn * hidden, rows + 2 * ffn * hidden, up.begin() + e * ffn * hidden);
    }
    moe.experts.gate = weights.upload(gate, {local, ffn, hidden});
    moe.experts.up = weights.upload(up, {local, ffn, hidden});
    Result<Tensor> down = weights.load_rows(prefix + "experts.down_proj", {experts, hidden, ffn}, first, local);
    R1B_RETURN_IF_ERROR(down);
    moe.experts.down = *down;
  } else {
    const auto names = [&](const std::string& projection) {
      std::vector<std::string> list;
      for (int64_t e = first; e < first + local; ++e) list.push_back(prefix + "experts." + std::to_string(e) + "." + projection + ".weight");
      return list;
    };
    Result<Tensor> gate = weights.load_stacked(names("gate_proj"), {ffn, hidden});
    R1B_RETURN_IF_ERROR(gate);
    Result<Tensor> up = weights.load_stacked(names("up_proj"), {ffn, hidden});
    R1B_RETURN_IF_ERROR(up);
    Result<Tensor> down = weights.load_stacked(names("down_proj"), {hidden, ffn});
    R1B_RETURN_IF_ERROR(down);
    moe.experts.gate = *gate;
    moe.experts.up = *up;
    moe.experts.down = *down;
  }
  if (shape.num_shared_experts > 0) {
    Result<Mlp> shared = load_mlp(weights, prefix + "shared_experts", hidden, ffn * shape.num_shared_experts, false);
    R1B_RETURN_IF_ERROR(shared);
    moe.experts.shared_gate_up = shared->gate_up.weight;
    moe.experts.shared_down = shared->down.weight;
  }
  return moe;
}

Tensor run_moe(Backend& backend, const Moe& moe, const RouterParams& router, const Tensor& h, const ForwardBatch& batch,
               int layer) {
  const int64_t tokens = h.dim(0);
  Tensor router_logits = backend.alloc({tokens, moe.router.dim(0)}, DType::kF32);
  backend.matmul(h, moe.router, Tensor(), router_logits);
  Tensor expert_ids = backend.alloc({tokens, router.top_k}, DType::kI32);
  Tensor expert_weights = backend.alloc({tokens, router.top_k}, DType::kF32);
  backend.moe_route(router_logits, moe.correction_bias, router, expert_ids, expert_weights);
  record(batch, layer, "router_logits", router_logits);
  Tensor out = backend.alloc(h.shape(), DType::kF32);
  backend.moe_experts(h, expert_ids, expert_weights, moe.experts, out);
  return out;
}

}  // namespace r1b::model
