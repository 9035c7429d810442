// Shared layer helpers for the architecture files (private to model/): weight loading with shape
// checks (whole, or the backend's tensor-parallel shard), the model's ends (embedding, final norm,
// LM head; replicated on every rank), linear / SwiGLU MLP blocks on the backend, logits, activation
// recording, and the config fields every architecture reads.
//
// Every helper allocates its outputs on the backend and returns them. Not thread-safe (used inside
// one forward pass or one load).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/backend.h"
#include "model/causal_lm.h"
#include "model/checkpoint.h"
#include "model/config_reader.h"

namespace r1b::model {

// The part of a tensor-parallel model one backend holds: rank `rank` of `world` (Backend::rank(),
// world()). A dimension of `total` that is split takes `total / world` entries from
// `rank · total / world` on (the architectures check divisibility first: require_divisible()).
struct Shard {
  int64_t rank = 0;
  int64_t world = 1;

  int64_t part(int64_t total) const { return total / world; }
  int64_t begin(int64_t total) const { return rank * (total / world); }
};

// InvalidInput naming the config key unless `value` (config.json's `key`) splits evenly over the
// shard's world: "num_key_value_heads is 2, which 3 tensor-parallel ranks cannot split evenly; ...".
Status require_divisible(const Shard& shard, std::string_view key, int64_t value);

// Rows [begin, begin + count) of dim 0 of host `values` shaped `shape`.
std::vector<float> slice_rows(const std::vector<float>& values, const std::vector<int64_t>& shape, int64_t begin,
                              int64_t count);
// Columns [begin, begin + count) of the last dim of host `values` shaped `shape`.
std::vector<float> slice_columns(const std::vector<float>& values, const std::vector<int64_t>& shape, int64_t begin,
                                 int64_t count);

// Reads checkpoint tensors as fp32 and puts them on the backend, whole or as the backend's shard
// (read on the host, sliced, then uploaded). Borrows both.
class WeightLoader {
 public:
  WeightLoader(const Checkpoint& checkpoint, Backend& backend)
      : checkpoint_(checkpoint), backend_(backend), shard_{backend.rank(), backend.world()} {}

  const Shard& shard() const { return shard_; }
  bool has(const std::string& name) const { return checkpoint_.has(name); }
  // Host fp32 values of `name` (shape checked).
  Result<std::vector<float>> read(const std::string& name, const std::vector<int64_t>& shape) const;
  // `name` on the backend (shape checked).
  Result<Tensor> load(const std::string& name, const std::vector<int64_t>& shape);
  // Rows [begin, begin + count) of dim 0 of `name` (full shape `shape`, checked) on the backend.
  Result<Tensor> load_rows(const std::string& name, const std::vector<int64_t>& shape, int64_t begin, int64_t count);
  // `names` (each of `shape`) stacked into one [names.size(), shape...] backend tensor.
  Result<Tensor> load_stacked(const std::vector<std::string>& names, const std::vector<int64_t>& shape);
  // Host values to the backend.
  Tensor upload(const std::vector<float>& values, const std::vector<int64_t>& shape);

 private:
  const Checkpoint& checkpoint_;
  Backend& backend_;
  Shard shard_;
};

struct Linear {
  Tensor weight;  // [out, in]
  Tensor bias;    // [out] or empty
};

// How a linear layer is split over the tensor-parallel ranks (WeightLoader::shard()).
enum class Split {
  kNone,  // every rank holds all of it
  kOut,   // rank r holds its part of the outputs (weight rows, bias): its output is a column slice
  kIn,    // rank r holds its part of the inputs (weight columns) and rank 0 the bias: the ranks'
          // outputs sum (Backend::all_reduce_sum) to the layer's output
};

// "<prefix>.weight" [out, in] and, when `with_bias`, "<prefix>.bias" [out], as `split` says (out
// resp. in must split evenly).
Result<Linear> load_linear(WeightLoader& weights, const std::string& prefix, int64_t out, int64_t in, bool with_bias,
                           Split split = Split::kNone);
// One projection of a fused Linear: "<prefix>.weight" [out, in] and, when `with_bias`, "<prefix>.bias".
struct LinearPart {
  std::string prefix;
  int64_t out = 0;
  bool with_bias = false;
  Split split = Split::kNone;
};
// Several projections of the same input as one Linear, joined along the output axis so that one
// product computes them all (e.g. q, k and v), each split as its part says (Split::kIn for every
// part or for none). Where only some parts have a bias, the others' rows of it are zero.
// load_linear() is the case of one part.
Result<Linear> load_fused_linear(WeightLoader& weights, const std::vector<LinearPart>& parts, int64_t in);

struct Mlp {
  Linear gate_up;  // [2·ffn, hidden]: gate rows, then up rows
  Linear down;
};

// "<prefix>.{gate,up,down}_proj" for hidden size `hidden` and intermediate size `ffn`, split over
// the ranks by ffn slice (gate/up kOut, fused as one product; down kIn; ffn must split evenly): run_mlp() then
// gives each rank a partial sum to all_reduce_sum().
Result<Mlp> load_mlp(WeightLoader& weights, const std::string& prefix, int64_t hidden, int64_t ffn, bool with_bias);

// Fails (InvalidInput naming the backend and op) unless the backend runs every op on F32.
Status require_ops(const Backend& backend, std::initializer_list<OpKind> ops);

// x [R, in] -> [R, out].
Tensor run_linear(Backend& backend, const Linear& linear, const Tensor& x);
// down(silu(gate(x)) ⊙ up(x)) through backend.swiglu_mlp() (gate and up as one product): this rank's partial
// sum of it under tensor parallelism.
Tensor run_mlp(Backend& backend, const Mlp& mlp, const Tensor& x);
// rmsnorm into a new tensor of `dtype` (Backend::product_input_dtype where only a product reads it).
Tensor run_rmsnorm(Backend& backend, const Tensor& x, const Tensor& weight, float eps, DType dtype = DType::kF32);
// Final norm output hidden [T, D] -> logits of batch.logit_rows through lm_head [V, D].
Tensor run_logits(Backend& backend, const Tensor& hidden, const Tensor& lm_head, const ForwardBatch& batch);

// The tensors around the decoder layers, under Hugging Face names: model.embed_tokens.weight [V, D],
// model.norm.weight [D], lm_head.weight [V, D] (the embedding itself when tied).
struct LmEnds {
  Tensor embed_tokens;
  Tensor final_norm;
  Tensor lm_head;
};
Result<LmEnds> load_lm_ends(WeightLoader& weights, const ModelInfo& info, bool tie_word_embeddings);
// The batch's token embeddings [T, D] (recorded as "embed").
Tensor run_embedding(Backend& backend, const LmEnds& ends, const ForwardBatch& batch);
// Final norm of the residual stream [T, D] (recorded as "final_norm"), then run_logits().
Tensor run_final_logits(Backend& backend, const LmEnds& ends, const Tensor& x, float eps, const ForwardBatch& batch);

// Hands (layer, name, value) to batch.observer when there is one.
void record(const ForwardBatch& batch, int layer, std::string_view name, const Tensor& value);

// The ModelInfo fields of a config.json (vocab_size, hidden_size, num_hidden_layers,
// max_position_embeddings (0 when absent), eos_token_id as int or list); errors go to `reader`.
ModelInfo read_model_info(ConfigReader& reader, const nlohmann::json& config, const std::string& architecture);

}  // namespace r1b::model
