#include "model/layers.h"

#include <algorithm>

namespace r1b::model {

Status require_divisible(const Shard& shard, std::string_view key, int64_t value) {
  if (value % shard.world == 0) return Status::ok();
  return Status::invalid_input("config.json: " + std::string(key) + " is " + std::to_string(value) + ", which " +
                               std::to_string(shard.world) +
                               " tensor-parallel ranks cannot split evenly; pick a --tensor-parallel size that "
                               "divides it");
}

std::vector<float> slice_rows(const std::vector<float>& values, const std::vector<int64_t>& shape, int64_t begin,
                              int64_t count) {
  const int64_t row = shape.empty() ? 1 : static_cast<int64_t>(values.size()) / shape[0];
  R1B_CHECK(!shape.empty() && begin >= 0 && begin + count <= shape[0]);
  return std::vector<float>(values.begin() + begin * row, values.begin() + (begin + count) * row);
}

std::vector<float> slice_columns(const std::vector<float>& values, const std::vector<int64_t>& shape, int64_t begin,
                                 int64_t count) {
  R1B_CHECK(!shape.empty() && begin >= 0 && begin + count <= shape.back());
  const int64_t width = shape.back();
  const int64_t rows = static_cast<int64_t>(values.size()) / width;
  std::vector<float> out(rows * count);
  for (int64_t r = 0; r < rows; ++r) {
    std::copy(values.begin() + r * width + begin, values.begin() + r * width + begin + count, out.begin() + r * count);
  }
  return out;
}

Result<std::vector<float>> WeightLoader::read(const std::string& name, const std::vector<int64_t>& shape) const {
  return checkpoint_.read_fp32(name, shape);
}

Tensor WeightLoader::upload(const std::vector<float>& values, const std::vector<int64_t>& shape) {
  Tensor tensor = backend_.alloc(shape, DType::kF32);
  backend_.upload(values, tensor);
  return tensor;
}

Result<Tensor> WeightLoader::load(const std::string& name, const std::vector<int64_t>& shape) {
  Result<std::vector<float>> values = read(name, shape);
  R1B_RETURN_IF_ERROR(values);
  return upload(*values, shape);
}

Result<Tensor> WeightLoader::load_rows(const std::string& name, const std::vector<int64_t>& shape, int64_t begin,
                                       int64_t count) {
  Result<std::vector<float>> values = read(name, shape);
  R1B_RETURN_IF_ERROR(values);
  std::vector<int64_t> part = shape;
  part[0] = count;
  return upload(slice_rows(*values, shape, begin, count), part);
}

Result<Tensor> WeightLoader::load_stacked(const std::vector<std::string>& names, const std::vector<int64_t>& shape) {
  int64_t numel = 1;
  for (int64_t dim : shape) numel *= dim;
  std::vector<float> stacked;
  stacked.reserve(names.size() * numel);  // one allocation: growing would copy (and page in) it again
  for (const std::string& name : names) {
    Result<std::vector<float>> values = read(name, shape);
    R1B_RETURN_IF_ERROR(values);
    stacked.insert(stacked.end(), values->begin(), values->end());
  }
  std::vector<int64_t> full = {static_cast<int64_t>(names.size())};
  full.insert(full.end(), shape.begin(), shape.end());
  return upload(stacked, full);
}

Result<Linear> load_fused_linear(WeightLoader& weights, const std::vector<LinearPart>& parts, int64_t in) {
  const Shard& shard = weights.shard();
  const bool split_in = !parts.empty() && parts.front().split == Split::kIn;
  bool has_bias = false;
  for (const LinearPart& part : parts) {
    R1B_CHECK((part.split == Split::kIn) == split_in);
    has_bias = has_bias || (part.with_bias && (!split_in || shard.rank == 0));
  }
  std::vector<float> weight_rows, bias_rows;
  int64_t rows = 0;
  for (const LinearPart& part : parts) {
    const int64_t out = part.out;
    Result<std::vector<float>> weight = weights.read(part.prefix + ".weight", {out, in});
    R1B_RETURN_IF_ERROR(weight);
    std::vector<float> kept = part.split == Split::kOut ? slice_rows(*weight, {out, in}, shard.begin(out), shard.part(out))
                              : split_in ? slice_columns(*weight, {out, in}, shard.begin(in), shard.part(in))
                                         : std::move(*weight);
    weight_rows.insert(weight_rows.end(), kept.begin(), kept.end());
    const int64_t part_rows = part.split == Split::kOut ? shard.part(out) : out;
    rows += part_rows;
    if (!has_bias) continue;
    if (!part.with_bias) {
      bias_rows.insert(bias_rows.end(), part_rows, 0.0f);
      continue;
    }
    Result<std::vector<float>> bias = weights.read(part.prefix + ".bias", {out});
    R1B_RETURN_IF_ERROR(bias);
    std::vector<float> bias_part =
        part.split == Split::kOut ? slice_rows(*bias, {out}, shard.begin(out), shard.part(out)) : std::move(*bias);
    bias_rows.insert(bias_rows.end(), bias_part.begin(), bias_part.end());
  }
  Linear linear;
  linear.weight = weights.upload(weight_rows, {rows, split_in ? shard.part(in) : in});
  if (has_bias) linear.bias = weights.upload(bias_rows, {rows});
  return linear;
}

Result<Linear> load_linear(WeightLoader& weights, const std::string& prefix, int64_t out, int64_t in, bool with_bias,
                           Split split) {
  return load_fused_linear(weights, {{prefix, out, with_bias, split}}, in);
}

Result<Mlp> load_mlp(WeightLoader& weights, const std::string& prefix, int64_t hidden, int64_t ffn, bool with_bias) {
  Result<Linear> gate_up = load_fused_linear(
      weights, {{prefix + ".gate_proj", ffn, with_bias, Split::kOut}, {prefix + ".up_proj", ffn, with_bias, Split::kOut}},
      hidden);
  R1B_RETURN_IF_ERROR(gate_up);
  Result<Linear> down = load_linear(weights, prefix + ".down_proj", hidden, ffn, with_bias, Split::kIn);
  R1B_RETURN_IF_ERROR(down);
  return Mlp{*gate_up, *down};
}

Status require_ops(const Backend& backend, std::initializer_list<OpKind> ops) {
  for (OpKind op : ops) {
    if (!backend.supports(OpQuery{op, DType::kF32, {}})) {
      return Status::invalid_input("backend '" + backend.name() + "' does not support op " +
                                   std::string(op_name(op)) + " on F32; use the cpu backend");
    }
  }
  return Status::ok();
}

Tensor run_linear(Backend& backend, const Linear& linear, const Tensor& x) {
  Tensor out = backend.alloc({x.dim(0), linear.weight.dim(0)}, DType::kF32);
  backend.matmul(x, linear.weight, linear.bias, out);
  return out;
}

Tensor run_mlp(Backend& backend, const Mlp& mlp, const Tensor& x) {
  Tensor out = backend.alloc({x.dim(0), mlp.down.weight.dim(0)}, DType::kF32);
  backend.swiglu_mlp(x, mlp.gate_up.weight, mlp.gate_up.bias, mlp.down.weight, mlp.down.bias, out);
  return out;
}

Tensor run_rmsnorm(Backend& backend, const Tensor& x, const Tensor& weight, float eps, DType dtype) {
  Tensor out = backend.alloc(x.shape(), dtype);
  backend.rmsnorm(x, weight, eps, out);
  return out;
}

Result<LmEnds> load_lm_ends(WeightLoader& weights, const ModelInfo& info, bool tie_word_embeddings) {
  LmEnds ends;
  Result<Tensor> embed = weights.load("model.embed_tokens.weight", {info.vocab_size, info.hidden_size});
  R1B_RETURN_IF_ERROR(embed);
  ends.embed_tokens = *embed;
  Result<Tensor> norm = weights.load("model.norm.weight", {info.hidden_size});
  R1B_RETURN_IF_ERROR(norm);
  ends.final_norm = *norm;
  if (tie_word_embeddings) {
    ends.lm_head = ends.embed_tokens;
    return ends;
  }
  Result<Tensor> head = weights.load("lm_head.weight", {info.vocab_size, info.hidden_size});
  R1B_RETURN_IF_ERROR(head);
  ends.lm_head = *head;
  return ends;
}

Tensor run_embedding(Backend& backend, const LmEnds& ends, const ForwardBatch& batch) {
  Tensor x = backend.alloc({static_cast<int64_t>(batch.token_ids.size()), ends.embed_tokens.dim(1)}, DType::kF32);
  backend.embedding(ends.embed_tokens, batch.token_ids, x);
  record(batch, -1, "embed", x);
  return x;
}

Tensor run_final_logits(Backend& backend, const LmEnds& ends, const Tensor& x, float eps, const ForwardBatch& batch) {
  Tensor normed = run_rmsnorm(backend, x, ends.final_norm, eps);
  record(batch, -1, "final_norm", normed);
  return run_logits(backend, normed, ends.lm_head, batch);
}

Tensor run_logits(Backend& backend, const Tensor& hidden, const Tensor& lm_head, const ForwardBatch& batch) {
  // Gathering rows of the hidden states is an embedding lookup with the hidden states as table.
  Tensor rows = backend.alloc({static_cast<int64_t>(batch.logit_rows.size()), hidden.dim(1)}, DType::kF32);
  backend.embedding(hidden, batch.logit_rows, rows);
  Tensor logits = backend.alloc({rows.dim(0), lm_head.dim(0)}, DType::kF32);
  backend.matmul(rows, lm_head, Tensor(), logits);
  record(batch, -1, "logits", logits);
  return logits;
}

void record(const ForwardBatch& batch, int layer, std::string_view name, const Tensor& value) {
  if (batch.observer != nullptr) batch.observer->on_activation(layer, name, value);
}

ModelInfo read_model_info(ConfigReader& reader, const nlohmann::json& config, const std::string& architecture) {
  ModelInfo info;
  info.architecture = architecture;
  info.vocab_size = reader.integer("vocab_size");
  info.hidden_size = reader.integer("hidden_size");
  info.num_layers = reader.integer("num_hidden_layers");
  info.max_position_embeddings = reader.integer_or("max_position_embeddings", 0);
  if (config.contains("eos_token_id")) {
    const nlohmann::json& eos = config["eos_token_id"];
    if (eos.is_number_integer()) info.eos_token_ids.push_back(eos.get<int32_t>());
    if (eos.is_array()) {
      for (const nlohmann::json& id : eos) {
        if (id.is_number_integer()) info.eos_token_ids.push_back(id.get<int32_t>());
      }
    }
  }
  return info;
}

}  // namespace r1b::model
