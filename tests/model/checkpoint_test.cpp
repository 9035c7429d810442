#include "model/checkpoint.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "model/causal_lm.h"
#include "model/cpu_backend.h"
#include "model/layers.h"
#include "test_checkpoints.h"

namespace r1b::model {
namespace {

using testing::fresh_dir;

void write_config(const std::filesystem::path& dir, const nlohmann::json& config) {
  std::ofstream(dir / "config.json") << config.dump();
}

TEST(CheckpointTest, ShardedFilesAreFoundThroughTheIndex) {
  const auto dir = fresh_dir();
  write_config(dir, {{"architectures", {"Qwen2ForCausalLM"}}});
  testing::write_safetensors(dir / "a.safetensors", {testing::f32_tensor("x", {2}, {1, 2})});
  testing::write_safetensors(dir / "b.safetensors", {testing::f32_tensor("y", {1}, {3})});
  std::ofstream(dir / "model.safetensors.index.json")
      << R"({"metadata": {}, "weight_map": {"x": "a.safetensors", "y": "b.safetensors"}})";
  Result<std::unique_ptr<Checkpoint>> checkpoint = Checkpoint::open(dir);
  ASSERT_TRUE(checkpoint.is_ok()) << checkpoint.status().message();
  const int64_t shape[1] = {1};
  Result<std::vector<float>> y = (*checkpoint)->read_fp32("y", shape);
  ASSERT_TRUE(y.is_ok()) << y.status().message();
  EXPECT_EQ(*y, std::vector<float>{3});
}

// A fused Linear keeps each part's split and bias: rank 1 of 2 holds its half of q's rows and all
// of kv's, and the bias rows of q, which has none, are zeros.
TEST(CheckpointTest, FusedLinearJoinsPartsWithTheirOwnSplitAndBias) {
  const auto dir = fresh_dir();
  write_config(dir, nlohmann::json::object());
  testing::write_safetensors(dir / "model.safetensors",
                             {testing::f32_tensor("q.weight", {4, 2}, {1, 2, 3, 4, 5, 6, 7, 8}),
                              testing::f32_tensor("kv.weight", {1, 2}, {9, 10}),
                              testing::f32_tensor("kv.bias", {1}, {11})});
  Result<std::unique_ptr<Checkpoint>> checkpoint = Checkpoint::open(dir);
  ASSERT_TRUE(checkpoint.is_ok()) << checkpoint.status().message();
  CpuBackend backend(1, std::make_shared<CpuGroup>(2), /*rank=*/1);
  WeightLoader weights(**checkpoint, backend);
  Result<Linear> fused = load_fused_linear(weights, {{"q", 4, false, Split::kOut}, {"kv", 1, true, Split::kNone}}, 2);
  ASSERT_TRUE(fused.is_ok()) << fused.status().message();
  EXPECT_EQ(fused->weight.shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(backend.download(fused->weight), (std::vector<float>{5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(backend.download(fused->bias), (std::vector<float>{0, 0, 11}));
}

TEST(CheckpointTest, MissingTensorNamesItAndTheExpectedShape) {
  const auto dir = fresh_dir();
  write_config(dir, nlohmann::json::object());
  testing::write_safetensors(dir / "model.safetensors", {testing::f32_tensor("x", {2}, {1, 2})});
  Result<std::unique_ptr<Checkpoint>> checkpoint = Checkpoint::open(dir);
  ASSERT_TRUE(checkpoint.is_ok());
  const int64_t shape[2] = {4, 8};
  Result<std::vector<float>> missing = (*checkpoint)->read_fp32("model.norm.weight", shape);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("missing tensor 'model.norm.weight' (expected shape [4, 8])"),
            std::string::npos)
      << missing.status().message();
}

TEST(CheckpointTest, ShapeMismatchNamesTensorFileAndBothShapes) {
  const auto dir = fresh_dir();
  write_config(dir, nlohmann::json::object());
  testing::write_safetensors(dir / "model.safetensors", {testing::f32_tensor("x", {2}, {1, 2})});
  Result<std::unique_ptr<Checkpoint>> checkpoint = Checkpoint::open(dir);
  ASSERT_TRUE(checkpoint.is_ok());
  const int64_t shape[1] = {3};
  Result<std::vector<float>> wrong = (*checkpoint)->read_fp32("x", shape);
  ASSERT_FALSE(wrong.is_ok());
  EXPECT_NE(wrong.status().message().find("tensor 'x' in model.safetensors has shape [2], expected [3]"),
            std::string::npos)
      << wrong.status().message();
}

TEST(CheckpointTest, Fp8WeightsAreDequantizedPerBlock) {
  const auto dir = fresh_dir();
  write_config(dir, {{"quantization_config", {{"weight_block_size", {2, 2}}}}});
  // 3 × 3 weight of fp8 1.0 (0x38) and 2.0 (0x40); 2 × 2 scale blocks (the last ones partial).
  testing::RawTensor weight{"w.weight", "F8_E4M3", {3, 3}, {0x38, 0x38, 0x40, 0x38, 0x38, 0x40, 0x40, 0x40, 0x38}};
  testing::write_safetensors(dir / "model.safetensors",
                             {weight, testing::f32_tensor("w.weight_scale_inv", {2, 2}, {1, 10, 100, 1000})});
  Result<std::unique_ptr<Checkpoint>> checkpoint = Checkpoint::open(dir);
  ASSERT_TRUE(checkpoint.is_ok());
  const int64_t shape[2] = {3, 3};
  Result<std::vector<float>> values = (*checkpoint)->read_fp32("w.weight", shape);
  ASSERT_TRUE(values.is_ok()) << values.status().message();
  EXPECT_EQ(*values, (std::vector<float>{1, 1, 20, 1, 1, 20, 200, 200, 1000}));
}

TEST(CheckpointTest, Fp8WithoutScaleIsAnError) {
  const auto dir = fresh_dir();
  write_config(dir, nlohmann::json::object());
  testing::write_safetensors(dir / "model.safetensors", {testing::RawTensor{"w.weight", "F8_E4M3", {1, 1}, {0x38}}});
  Result<std::unique_ptr<Checkpoint>> checkpoint = Checkpoint::open(dir);
  ASSERT_TRUE(checkpoint.is_ok());
  const int64_t shape[2] = {1, 1};
  Result<std::vector<float>> values = (*checkpoint)->read_fp32("w.weight", shape);
  ASSERT_FALSE(values.is_ok());
  EXPECT_NE(values.status().message().find("w.weight_scale_inv"), std::string::npos);
}

TEST(CheckpointTest, UnknownArchitectureIsNamedWithTheSupportedList) {
  const auto dir = fresh_dir();
  write_config(dir, {{"architectures", {"MistralForCausalLM"}}});
  testing::write_safetensors(dir / "model.safetensors", {testing::f32_tensor("x", {1}, {1})});
  CpuBackend backend(1);
  Result<std::unique_ptr<CausalLm>> model = load_causal_lm(dir, backend);
  ASSERT_FALSE(model.is_ok());
  const std::string& message = model.status().message();
  EXPECT_NE(message.find("unsupported architecture 'MistralForCausalLM'"), std::string::npos) << message;
  for (const std::string& name : supported_architectures()) EXPECT_NE(message.find(name), std::string::npos);
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(CheckpointTest, MissingWeightFailsTheModelLoadNamingTheTensor) {
  const auto dir = fresh_dir();
  testing::write_random_checkpoint(dir, testing::tiny_qwen2_config(), 1);
  nlohmann::json config = testing::tiny_qwen2_config();
  config["num_hidden_layers"] = 3;  // the file has layers 0 and 1 only
  write_config(dir, config);
  CpuBackend backend(1);
  Result<std::unique_ptr<CausalLm>> model = load_causal_lm(dir, backend);
  ASSERT_FALSE(model.is_ok());
  EXPECT_NE(model.status().message().find("missing tensor 'model.layers.2."), std::string::npos)
      << model.status().message();
}

TEST(CheckpointTest, UnsupportedRopeTypeListsTheSupportedOnes) {
  const auto dir = fresh_dir();
  nlohmann::json config = testing::tiny_qwen2_config();
  config["rope_scaling"] = {{"rope_type", "dynamic"}, {"factor", 2.0}};
  testing::write_random_checkpoint(dir, config, 1);
  CpuBackend backend(1);
  Result<std::unique_ptr<CausalLm>> model = load_causal_lm(dir, backend);
  ASSERT_FALSE(model.is_ok());
  EXPECT_NE(model.status().message().find("unsupported rope type 'dynamic' (supported: default, linear, llama3, yarn)"),
            std::string::npos)
      << model.status().message();
}

}  // namespace
}  // namespace r1b::model
