// Shared layer helpers for the architecture files (private to model/): weight loading with shape
// checks, the model's ends (embedding, final norm, LM head), linear / SwiGLU MLP blocks on the
// backend, logits, activation recording, and the config fields every architecture reads.
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

// Reads checkpoint tensors as fp32 and puts them on the backend. Borrows both.
class WeightLoader {
 public:
  WeightLoader(const Checkpoint& checkpoint, Backend& backend) : checkpoint_(checkpoint), backend_(backend) {}

  bool has(const std::string& name) const { return checkpoint_.has(name); }
  // Host fp32 values of `name` (shape checked).
  Result<std::vector<float>> read(const std::string& name, const std::vector<int64_t>& shape) const;
  // `name` on the backend (shape checked).
  Result<Tensor> load(const std::string& name, const std::vector<int64_t>& shape);
  // `names` (each of `shape`) stacked into one [names.size(), shape...] backend tensor.
  Result<Tensor> load_stacked(const std::vector<std::string>& names, const std::vector<int64_t>& shape);
  // Host values to the backend.
  Tensor upload(const std::vector<float>& values, const std::vector<int64_t>& shape);

 private:
  const Checkpoint& checkpoint_;
  Backend& backend_;
};

struct Linear {
  Tensor weight;  // [out, in]
  Tensor bias;    // [out] or empty
};

// "<prefix>.weight" [out, in] and, when `with_bias`, "<prefix>.bias" [out].
Result<Linear> load_linear(WeightLoader& weights, const std::string& prefix, int64_t out, int64_t in, bool with_bias);

struct Mlp {
  Linear gate;
  Linear up;
  Linear down;
};

// "<prefix>.{gate,up,down}_proj" for hidden size `hidden` and intermediate size `ffn`.
Result<Mlp> load_mlp(WeightLoader& weights, const std::string& prefix, int64_t hidden, int64_t ffn, bool with_bias);

// Fails (InvalidInput naming the backend and op) unless the backend runs every op on F32.
Status require_ops(const Backend& backend, std::initializer_list<OpKind> ops);

// x [R, in] -> [R, out].
Tensor run_linear(Backend& backend, const Linear& linear, const Tensor& x);
// down(silu(gate(x)) ⊙ up(x)).
Tensor run_mlp(Backend& backend, const Mlp& mlp, const Tensor& x);
// rmsnorm into a new tensor.
Tensor run_rmsnorm(Backend& backend, const Tensor& x, const Tensor& weight, float eps);
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
