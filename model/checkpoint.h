// Checkpoint: a Hugging Face model folder as published — config.json plus either one
// model.safetensors or shards listed by model.safetensors.index.json.
//
// open() reads config.json and opens (maps and validates) every weight file; errors name the
// folder or file. read_fp32() converts one tensor to fp32, checking its shape: a missing tensor is
// NotFound naming it and the folder; a shape mismatch is InvalidInput naming the tensor, its file
// and both shapes. F8_E4M3 weights are dequantized on read with their "<name>_scale_inv" F32 tensor
// (DeepSeek-V3 block quantization: scale shape [ceil(out/bo), ceil(in/bi)], with [bo, bi] =
// config.quantization_config.weight_block_size, default [128, 128]): w = fp8 × scale of its block.
//
// Ownership: the checkpoint owns its mappings. Thread-safety: immutable after open(); read_fp32()
// may run concurrently.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "model/safetensors.h"

namespace r1b::model {

class Checkpoint {
 public:
  static Result<std::unique_ptr<Checkpoint>> open(const std::filesystem::path& dir);

  const nlohmann::json& config() const { return config_; }
  const std::filesystem::path& dir() const { return dir_; }

  // True when some weight file holds `name`.
  bool has(const std::string& name) const;
  // The raw entry of `name`, or nullptr.
  const TensorEntry* find(const std::string& name) const;
  // `name` as fp32 (dequantized when stored as F8_E4M3), after checking its shape is `shape`.
  Result<std::vector<float>> read_fp32(const std::string& name, std::span<const int64_t> shape) const;

 private:
  Checkpoint() = default;
  std::filesystem::path dir_;
  nlohmann::json config_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::unordered_map<std::string, const TensorEntry*> entries_;
  std::unordered_map<const TensorEntry*, const SafetensorsFile*> owner_;
};

}  // namespace r1b::model
