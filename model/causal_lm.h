// CausalLm: a loaded decoder-only model whose forward pass runs on a Backend — the start of
// model/ (see README.md).
//
// load_causal_lm() opens a Hugging Face checkpoint folder (model/checkpoint.h), picks the
// architecture named by config.json's "architectures" (model/arch/registry), reads its config
// keys and weights (each converted to fp32 once, on load), and checks that the backend supports
// every op the graph runs. Errors: the checkpoint's own (missing files, corrupt headers, missing
// tensors, shape mismatches) and an unsupported architecture, which names it and lists the
// supported ones.
//
// forward() runs one step: the new tokens of several sequences concatenated (rows [T]), their
// positions and KV slots, and per-sequence attention spans; it writes the new tokens' keys/values
// into `cache` and returns logits for the requested rows. It is deterministic: a row's logits do
// not depend on which other sequences share the step.
//
// Ownership: the model borrows the backend, which must outlive it. Thread-safety: forward() calls
// must be serialised (one step at a time); info(), kv_layout() and cost() are const and safe.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/backend.h"
#include "model/cost.h"
#include "model/tensor.h"

namespace r1b::model {

struct ModelInfo {
  std::string architecture;            // e.g. "Qwen2ForCausalLM"
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_layers = 0;
  int64_t max_position_embeddings = 0;
  std::vector<int32_t> eos_token_ids;  // config.json eos_token_id (int or list)
};

// Per-layer KV row widths, in elements per token (of the backend's kv_cache_dtype()).
struct KvLayout {
  int64_t num_layers = 0;
  int64_t k_row = 0;
  int64_t v_row = 0;  // 0: values are read from the key rows (MLA caches one latent row per token)
};

// The paged KV cache: per layer, [num_blocks × block_size, row] tensors; slot = block × block_size
// + offset. Owned by whoever allocated it (ModelRunner).
struct KvCache {
  int64_t block_size = 0;
  int64_t num_blocks = 0;
  std::vector<Tensor> k;  // [num_layers]
  std::vector<Tensor> v;  // [num_layers], empty tensors when KvLayout::v_row == 0
};

// Allocates a cache of `num_blocks` blocks of `block_size` tokens for `layout`, in the backend's
// kv_cache_dtype(). Contents are unspecified until written (attention reads written slots only).
KvCache allocate_kv_cache(Backend& backend, const KvLayout& layout, int64_t num_blocks, int64_t block_size);

// Receives every named intermediate activation of a forward pass as (layer, name, tensor), e.g.
// (3, "attn_out"); layer -1 for those outside the layer stack ("embed", "final_norm", "logits").
// The tensor is only valid during the call. For debugging and cross-backend diffs (rule 10).
class ActivationObserver {
 public:
  virtual ~ActivationObserver() = default;
  virtual void on_activation(int layer, std::string_view name, const Tensor& value) = 0;
};

// One step's input (host data; see backend.h for AttentionSeq).
struct ForwardBatch {
  std::vector<int32_t> token_ids;      // [T]
  std::vector<int32_t> positions;      // [T]
  std::vector<int32_t> slots;          // [T] KV slot of each new token
  std::vector<AttentionSeq> seqs;      // rows of each sequence
  std::vector<int32_t> logit_rows;     // rows (indices into [T]) whose logits are returned
  ActivationObserver* observer = nullptr;  // borrowed, may be null
};

class CausalLm {
 public:
  virtual ~CausalLm() = default;
  virtual const ModelInfo& info() const = 0;
  virtual KvLayout kv_layout() const = 0;
  // Logits [logit_rows.size(), vocab_size] (a backend tensor; download() to read).
  virtual Tensor forward(const ForwardBatch& batch, KvCache& cache) = 0;
  // FLOPs and bytes of a step (see cost.h).
  virtual ForwardCost cost(std::span<const SeqWork> batch, const CostOptions& options) const = 0;
};

// Loads the checkpoint folder `dir` for `backend` (borrowed; must outlive the model): all of it for
// a backend alone, rank r's shard for rank r of a tensor-parallel group (Backend::rank() / world();
// model/tensor_parallel.h runs the ranks together). InvalidInput naming the config key when the
// model's heads / ffn / experts do not split evenly over world().
Result<std::unique_ptr<CausalLm>> load_causal_lm(const std::filesystem::path& dir, Backend& backend);

// The cost of a step from config.json alone (no weights), e.g. for planning or a remote backend's
// MFU. `where` names the config in errors.
Result<ForwardCost> forward_cost(const nlohmann::json& config, const std::string& where,
                                 std::span<const SeqWork> batch, const CostOptions& options);

// Architectures load_causal_lm() accepts.
std::vector<std::string> supported_architectures();

}  // namespace r1b::model
