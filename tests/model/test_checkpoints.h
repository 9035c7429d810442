// Test helpers: hand-written safetensors files and tiny random checkpoints in a temp folder.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace r1b::model::testing {

struct RawTensor {
  std::string name;
  std::string dtype;             // safetensors spelling
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

RawTensor f32_tensor(const std::string& name, std::vector<int64_t> shape, const std::vector<float>& values);

// Writes a valid safetensors file holding `tensors`.
void write_safetensors(const std::filesystem::path& path, const std::vector<RawTensor>& tensors);
// Writes raw bytes (for corrupt files).
void write_bytes(const std::filesystem::path& path, const std::string& bytes);

// A fresh empty folder under the test temp dir, named after the running test.
std::filesystem::path fresh_dir(const std::string& suffix = "");

// Tiny fp32 checkpoints with deterministic random weights (values in [-0.5, 0.5) / sqrt(fan_in)).
// `config` must be a valid Qwen2/Llama or DeepSeek config; every weight it needs is written.
void write_random_checkpoint(const std::filesystem::path& dir, const nlohmann::json& config, uint64_t seed);

nlohmann::json tiny_qwen2_config();
nlohmann::json tiny_deepseek_v3_config();

}  // namespace r1b::model::testing
