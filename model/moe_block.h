// MoeBlock: a mixture-of-experts feed-forward block with optional shared experts (private to
// model/; used by arch/deepseek_v3.cpp, shared by any future MoE architecture).
//
// Weights under "<prefix>": gate.weight [E, D] (router), gate.e_score_correction_bias [E] when
// asked for, experts either per expert (experts.<e>.{gate,up,down}_proj.weight) or fused as
// transformers 5 saves them (experts.gate_up_proj [E, 2F, D], experts.down_proj [E, D, F]), and
// shared_experts.{gate,up,down}_proj with intermediate size F × num_shared_experts. Errors are the
// checkpoint's (missing tensor, shape mismatch).
//
// Under tensor parallelism (WeightLoader::shard()) the routed experts are split by expert
// parallelism: rank r loads experts [r·E/world, (r+1)·E/world) (E must split evenly); the router is
// replicated, so every rank makes the same choice and adds only its own experts' weighted outputs;
// shared experts are split by ffn slice like a dense MLP. run_moe() then returns this rank's
// partial sum, for the caller to all_reduce_sum().
#pragma once

#include <string>

#include "base/status.h"
#include "model/layers.h"

namespace r1b::model {

struct MoeShape {
  int64_t hidden = 0;
  int64_t num_experts = 0;
  int64_t expert_ffn = 0;
  int64_t num_shared_experts = 0;
  bool with_correction_bias = false;
};

struct Moe {
  Tensor router;           // [E, D]
  Tensor correction_bias;  // [E] or empty
  ExpertWeights experts;   // the routed experts and the shared ones
};

Result<Moe> load_moe(WeightLoader& weights, const std::string& prefix, const MoeShape& shape);

// Routed experts (weighted by `router`'s choice) plus shared experts, for h [T, D]; records
// (layer, "router_logits").
Tensor run_moe(Backend& backend, const Moe& moe, const RouterParams& router, const Tensor& h, const ForwardBatch& batch,
               int layer);

}  // namespace r1b::model
