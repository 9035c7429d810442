// Whole-model golden checks against transformers (STYLE rule 9): fixtures under
// tests/model/fixtures/<name>/ hold a checkpoint and expected.safetensors with, per prompt i,
// prompt.<i> (I64 [T]), logits.<i> (F32 [T, vocab], transformers in fp32 on the dequantized
// weights) and greedy.<i> (I64 [32], transformers' greedy continuation).
//
// Tolerance: max |ours − theirs| / max |theirs| ≤ 1e-4 per prompt. Both sides compute in fp32 from
// identical fp32 weights; ours accumulates in double and runs MLA in absorbed form, so differences
// are fp32 rounding (~1e-6 relative); 1e-4 leaves headroom without hiding a wrong op (a wrong
// rope, scale or routing choice moves logits by 1e-2 or more).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "model/causal_lm.h"
#include "model/cpu_backend.h"
#include "model/engine.h"
#include "model/model_runner.h"
#include "model/safetensors.h"

namespace r1b::model {
namespace {

constexpr double kLogitTolerance = 1e-4;
constexpr int kNumPrompts = 3;
constexpr int64_t kGreedyTokens = 32;

std::filesystem::path fixture_dir(const std::string& name) {
  return std::filesystem::path(R1B_SOURCE_DIR) / "tests/model/fixtures" / name;
}

std::vector<int32_t> read_ids(const SafetensorsFile& file, const std::string& name) {
  const TensorEntry* entry = file.find(name);
  EXPECT_NE(entry, nullptr) << name;
  std::vector<int32_t> ids;
  if (entry == nullptr) return ids;
  const auto* values = reinterpret_cast<const int64_t*>(entry->bytes.data());
  for (int64_t i = 0; i < entry->numel(); ++i) ids.push_back(static_cast<int32_t>(values[i]));
  return ids;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, LogitsAndGreedyTokensMatchTransformers) {
  const std::filesystem::path dir = fixture_dir(GetParam());
  if (!std::filesystem::exists(dir / "expected.safetensors") || !std::filesystem::exists(dir / "config.json")) {
    GTEST_SKIP() << "fixture " << dir << " is missing";
  }
  CpuBackend backend;
  Result<std::unique_ptr<CausalLm>> model = load_causal_lm(dir, backend);
  ASSERT_TRUE(model.is_ok()) << model.status().message();
  Result<std::unique_ptr<SafetensorsFile>> expected = SafetensorsFile::open(dir / "expected.safetensors");
  ASSERT_TRUE(expected.is_ok()) << expected.status().message();
  const int64_t vocab = (*model)->info().vocab_size;

  std::vector<GenerationRequest> requests;
  for (int i = 0; i < kNumPrompts; ++i) {
    const std::vector<int32_t> prompt = read_ids(**expected, "prompt." + std::to_string(i));
    const TensorEntry* logits_entry = (*expected)->find("logits." + std::to_string(i));
    ASSERT_NE(logits_entry, nullptr);
    std::vector<float> theirs(logits_entry->numel());
    ASSERT_TRUE(convert_to_fp32(*logits_entry, theirs).is_ok());
    Result<std::vector<float>> ours = prompt_logits(**model, backend, prompt);
    ASSERT_TRUE(ours.is_ok()) << ours.status().message();
    ASSERT_EQ(ours->size(), theirs.size());
    double max_ref = 0.0;
    double worst = 0.0;
    size_t worst_index = 0;
    for (size_t j = 0; j < theirs.size(); ++j) {
      max_ref = std::max(max_ref, std::fabs(static_cast<double>(theirs[j])));
      const double diff = std::fabs(static_cast<double>((*ours)[j]) - theirs[j]);
      if (diff > worst) {
        worst = diff;
        worst_index = j;
      }
    }
    RecordProperty("worst_relative_error_" + std::to_string(i), std::to_string(worst / max_ref));
    EXPECT_LE(worst / max_ref, kLogitTolerance)
        << GetParam() << " prompt " << i << ": worst element [" << worst_index / vocab << ", " << worst_index % vocab
        << "] ours " << (*ours)[worst_index] << " theirs " << theirs[worst_index] << " (max |theirs| " << max_ref << ")";

    GenerationRequest request;
    request.prompt = prompt;
    request.params.max_tokens = kGreedyTokens;
    requests.push_back(request);
  }

  // Greedy continuations, all prompts batched together.
  Engine engine(**model, backend, EngineOptions{});
  Result<std::vector<std::vector<SampleOutput>>> outputs = engine.generate(requests);
  ASSERT_TRUE(outputs.is_ok()) << outputs.status().message();
  for (int i = 0; i < kNumPrompts; ++i) {
    EXPECT_EQ((*outputs)[i][0].tokens, read_ids(**expected, "greedy." + std::to_string(i)))
        << GetParam() << " prompt " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenTest, ::testing::Values("qwen2", "llama", "deepseek_v3", "deepseek_v2_lite"));

}  // namespace
}  // namespace r1b::model
