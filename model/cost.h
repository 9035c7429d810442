// ForwardCost: FLOPs and bytes one forward pass needs, for MFU and roofline reporting (rule 11).
//
// A step is a batch of SeqWork (new tokens and context length per sequence). Counted as the
// model computes it, by its actual shapes:
//   matmul_flops     2 × (input features) × (output features) per token for every linear layer
//                    the token passes (MoE: router + only the num_experts_per_tok routed experts
//                    + shared experts; MLA: q/kv down- and up-projections and the absorbed
//                    per-head W_UK / W_UV products), plus the LM head for `logit_rows_per_seq`
//                    rows per sequence.
//   attention_flops  2 × H × (k_dim + v_dim) per (query, visible key) pair; a sequence with n new
//                    tokens and context L has n·(L − n) + n·(n + 1)/2 such pairs (causal).
//   weight_bytes     every weight the step reads, once (MoE: the routed experts the step can touch,
//                    min(E, tokens × top_k) per layer — an upper bound), at weight_bytes_per_element.
//   kv_read_bytes    cached rows read by attention: per layer and sequence, L rows of the KV row
//                    width (MLA: the compressed latent + rope dims) at kv_bytes_per_element.
//   kv_write_bytes   rows written: per layer, one per new token.
// Embedding lookups, norms, rope and activations are not counted (negligible against the above).
#pragma once

#include <cstdint>
#include <span>

namespace r1b::model {

struct SeqWork {
  int64_t num_new_tokens = 0;
  int64_t context_len = 0;  // tokens in the cache after the step, new ones included
};

struct CostOptions {
  int64_t weight_bytes_per_element = 2;  // bf16 weights
  int64_t kv_bytes_per_element = 2;      // bf16 KV cache
  int64_t logit_rows_per_seq = 1;        // rows that go through the LM head
};

struct ForwardCost {
  double matmul_flops = 0;
  double attention_flops = 0;
  double weight_bytes = 0;
  double kv_read_bytes = 0;
  double kv_write_bytes = 0;

  double flops() const { return matmul_flops + attention_flops; }
  double bytes() const { return weight_bytes + kv_read_bytes + kv_write_bytes; }
};

// Causal (query, key) pairs of one sequence's step: n·(L − n) + n·(n + 1)/2.
double causal_pairs(const SeqWork& work);
// Σ num_new_tokens.
int64_t total_new_tokens(std::span<const SeqWork> batch);

}  // namespace r1b::model
