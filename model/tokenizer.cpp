#include "model/tokenizer.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "model/tokenizer_bpe.h"
#include "model/tokenizer_byte_level.h"
#include "model/tokenizer_normalizer.h"
#include "model/tokenizer_pretokenizer.h"
#include "model/tokenizer_utf8.h"

namespace r1b::model {

namespace {

constexpr std::string_view kConfigFileName = "tokenizer_config.json";
constexpr std::string_view kTemplateFileName = "chat_template.jinja";  // newer checkpoints keep it apart

Result<nlohmann::json> read_json(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return Status::not_found(path.string() + ": no such file (expected a Hugging Face tokenizer file; "
                             "check the model folder)");
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (!in) return Status::io_error(path.string() + ": cannot read the file");
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(buffer.str());
  } catch (const nlohmann::json::parse_error& e) {
    return Status::invalid_input(path.string() + ": not valid JSON at byte " + std::to_string(e.byte) +
                                 " (re-download the file)");
  }
  if (!root.is_object()) return Status::invalid_input(path.string() + ": not a JSON object (re-download the file)");
  return root;
}

// The content of a special-token entry of tokenizer_config.json: "text", {"content": "text"} or null.
std::optional<std::string> token_content(const nlohmann::json& config, const char* key) {
  const auto it = config.find(key);
  if (it == config.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
    return (*it)["content"].get<std::string>();
  }
  return std::nullopt;
}

bool is_byte_fallback_piece(std::string_view piece, uint8_t* byte) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') return false;
  unsigned value = 0;
  for (char c : piece.substr(3, 2)) {
    value <<= 4;
    if (c >= '0' && c <= '9') value |= static_cast<unsigned>(c - '0');
    else if (c >= 'A' && c <= 'F') value |= static_cast<unsigned>(c - 'A' + 10);
    else return false;
  }
  *byte = static_cast<uint8_t>(value);
  return true;
}

}  // namespace

struct Tokenizer::State {
  State(BpeModel bpe_model, Normalizer text_normalizer, PreTokenizer text_pre_tokenizer)
      : bpe(std::move(bpe_model)),
        normalizer(std::move(text_normalizer)),
        pre_tokenizer(std::move(text_pre_tokenizer)),
        vocab_size(bpe.id_limit()) {}

  Status read_added_tokens(const nlohmann::json& list, const std::string& file);
  Status read_config(const std::filesystem::path& config_path);
  std::optional<int32_t> token_id(std::string_view token) const;

  BpeModel bpe;
  Normalizer normalizer;
  PreTokenizer pre_tokenizer;
  std::vector<AddedToken> added_tokens;
  std::unordered_map<std::string, size_t> added_by_content;  // -> index into added_tokens
  std::unordered_map<int32_t, size_t> added_by_id;           // -> index into added_tokens
  // Both borrow the elements of added_tokens, which never changes after load.
  AddedTokenMatcher raw_matcher;         // tokens matched in the raw text
  AddedTokenMatcher normalized_matcher;  // tokens matched in normalized text
  int32_t vocab_size = 0;
  std::optional<int32_t> bos_id;
  std::optional<int32_t> eos_id;
  bool add_bos_token = false;
  std::string chat_template;
};

Tokenizer::Tokenizer(std::unique_ptr<State> state) : state_(std::move(state)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Result<Tokenizer> Tokenizer::load(const std::filesystem::path& tokenizer_json) {
  auto root = read_json(tokenizer_json);
  R1B_RETURN_IF_ERROR(root);
  const std::string file = tokenizer_json.string();
  // The readers check the fields they need by name; a value of an unexpected JSON type inside an
  // optional field (e.g. "lstrip": "yes") surfaces as nlohmann's type error, caught here.
  try {
    const nlohmann::json null_json;
    auto section = [&](const char* key) -> const nlohmann::json& {
      const auto it = root->find(key);
      return it == root->end() ? null_json : *it;
    };
    auto bpe = BpeModel::from_json(section("model"), file);
    R1B_RETURN_IF_ERROR(bpe);
    auto normalizer = Normalizer::from_json(section("normalizer"), file);
    R1B_RETURN_IF_ERROR(normalizer);
    auto pre_tokenizer = PreTokenizer::from_json(section("pre_tokenizer"), file);
    R1B_RETURN_IF_ERROR(pre_tokenizer);
    const nlohmann::json& decoder = section("decoder");
    if (!decoder.is_object() || decoder.value("type", std::string()) != "ByteLevel") {
      return Status::invalid_input(file + ": field \"decoder.type\": unsupported decoder (only \"ByteLevel\")");
    }
    auto state = std::make_unique<State>(std::move(bpe.value()), std::move(normalizer.value()),
                                         std::move(pre_tokenizer.value()));
    R1B_RETURN_IF_ERROR(state->read_added_tokens(section("added_tokens"), file));
    const std::filesystem::path dir = tokenizer_json.parent_path();
    std::error_code error;
    if (std::filesystem::exists(dir / kConfigFileName, error)) R1B_RETURN_IF_ERROR(state->read_config(dir / kConfigFileName));
    if (state->chat_template.empty() && std::filesystem::exists(dir / kTemplateFileName, error)) {
      std::ifstream in(dir / kTemplateFileName, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      state->chat_template = text.str();
    }
    return Tokenizer(std::move(state));
  } catch (const nlohmann::json::exception& e) {
    return Status::invalid_input(file + ": a field has an unexpected JSON type (" + e.what() +
                                 "); is this a Hugging Face tokenizer.json?");
  }
}

Status Tokenizer::State::read_added_tokens(const nlohmann::json& list, const std::string& file) {
  if (list.is_null()) return Status::ok();
  if (!list.is_array()) return Status::invalid_input(file + ": field \"added_tokens\": not an array");
  added_tokens.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const nlohmann::json& entry = list[i];
    const std::string field = "added_tokens[" + std::to_string(i) + "]";
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_number_integer() || entry["id"] < 0 ||
        entry["id"] > std::numeric_limits<int32_t>::max() / 2 ||
        !entry.contains("content") || !entry["content"].is_string()) {
      return Status::invalid_input(file + ": field \"" + field + "\": needs an integer \"id\" and a string \"content\"");
    }
    AddedToken token;
    token.id = entry["id"].get<int32_t>();
    token.content = entry["content"].get<std::string>();
    token.special = entry.value("special", false);
    token.single_word = entry.value("single_word", false);
    token.lstrip = entry.value("lstrip", false);
    token.rstrip = entry.value("rstrip", false);
    token.normalized = entry.value("normalized", !token.special);
    vocab_size = std::max(vocab_size, token.id + 1);
    added_tokens.push_back(std::move(token));
  }
  std::vector<std::pair<std::string, const AddedToken*>> raw;
  std::vector<std::pair<std::string, const AddedToken*>> normalized;
  for (size_t i = 0; i < added_tokens.size(); ++i) {
    const AddedToken& token = added_tokens[i];
    added_by_content.try_emplace(token.content, i);
    added_by_id.try_emplace(token.id, i);
    if (token.normalized) {
      std::string scratch;
      normalized.emplace_back(std::string(normalizer.normalize(token.content, scratch)), &token);
    } else {
      raw.emplace_back(token.content, &token);
    }
  }
  raw_matcher = AddedTokenMatcher(raw);
  normalized_matcher = AddedTokenMatcher(normalized);
  return Status::ok();
}

Status Tokenizer::State::read_config(const std::filesystem::path& config_path) {
  auto config = read_json(config_path);
  R1B_RETURN_IF_ERROR(config);
  const std::string file = config_path.string();
  auto resolve = [&](const char* key, std::optional<int32_t>& out) -> Status {
    const std::optional<std::string> content = token_content(*config, key);
    if (!content) return Status::ok();
    out = token_id(*content);
    if (!out) {
      return Status::invalid_input(file + ": field \"" + key + "\": \"" + *content +
                                   "\" is not a token of tokenizer.json (do the two files belong together?)");
    }
    return Status::ok();
  };
  R1B_RETURN_IF_ERROR(resolve("bos_token", bos_id));
  R1B_RETURN_IF_ERROR(resolve("eos_token", eos_id));
  add_bos_token = config->value("add_bos_token", false);
  const auto chat_template_entry = config->find("chat_template");
  if (chat_template_entry != config->end() && chat_template_entry->is_string()) {
    chat_template = chat_template_entry->get<std::string>();
  } else if (chat_template_entry != config->end() && chat_template_entry->is_array()) {
    for (const nlohmann::json& named : *chat_template_entry) {
      if (!named.is_object() || !named.contains("template") || !named["template"].is_string()) continue;
      if (chat_template.empty() || named.value("name", std::string()) == "default") {
        chat_template = named["template"].get<std::string>();
      }
    }
  }
  return Status::ok();
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool parse_special) const {
  std::string repaired;
  if (!is_valid_utf8(text)) {
    repaired = sanitize_utf8(text);
    text = repaired;
  }
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 1);
  std::vector<TextSegment> raw_segments;
  state_->raw_matcher.split(text, !parse_special, raw_segments);
  std::vector<TextSegment> normalized_segments;
  std::string scratch;
  for (const TextSegment& raw : raw_segments) {
    if (raw.token != nullptr) {
      ids.push_back(raw.token->id);
      continue;
    }
    const std::string_view normalized =
        state_->normalizer.normalize(text.substr(raw.begin, raw.end - raw.begin), scratch);
    normalized_segments.clear();
    state_->normalized_matcher.split(normalized, !parse_special, normalized_segments);
    for (const TextSegment& segment : normalized_segments) {
      if (segment.token != nullptr) {
        ids.push_back(segment.token->id);
      } else {
        encode_plain(normalized.substr(segment.begin, segment.end - segment.begin), ids);
      }
    }
  }
  return ids;
}

void Tokenizer::encode_plain(std::string_view text, std::vector<int32_t>& ids) const {
  std::vector<std::string_view> words;
  state_->pre_tokenizer.split(text, words);
  for (std::string_view word : words) state_->bpe.encode_word(word, ids);
}

std::string Tokenizer::token_to_piece(int32_t id) const {
  std::string bytes;
  if (const auto added = state_->added_by_id.find(id); added != state_->added_by_id.end()) {
    byte_level_decode(state_->added_tokens[added->second].content, bytes);
    return bytes;
  }
  const std::string* piece = state_->bpe.id_to_token(id);
  if (piece == nullptr) return bytes;
  uint8_t byte = 0;
  if (state_->bpe.byte_fallback() && is_byte_fallback_piece(*piece, &byte)) {
    bytes += static_cast<char>(byte);
  } else {
    byte_level_decode(*piece, bytes);
  }
  return bytes;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special) const {
  std::string bytes;
  for (int32_t id : ids) {
    if (skip_special && is_special(id)) continue;
    bytes += token_to_piece(id);
  }
  return is_valid_utf8(bytes) ? bytes : sanitize_utf8(bytes);
}

std::optional<int32_t> Tokenizer::State::token_id(std::string_view token) const {
  if (const auto added = added_by_content.find(std::string(token)); added != added_by_content.end()) {
    return added_tokens[added->second].id;
  }
  return bpe.token_to_id(token);
}

std::optional<int32_t> Tokenizer::token_id(std::string_view token) const { return state_->token_id(token); }

bool Tokenizer::is_special(int32_t id) const {
  const auto added = state_->added_by_id.find(id);
  return added != state_->added_by_id.end() && state_->added_tokens[added->second].special;
}

int32_t Tokenizer::vocab_size() const { return state_->vocab_size; }
const std::vector<AddedToken>& Tokenizer::added_tokens() const { return state_->added_tokens; }
std::optional<int32_t> Tokenizer::bos_id() const { return state_->bos_id; }
std::optional<int32_t> Tokenizer::eos_id() const { return state_->eos_id; }
bool Tokenizer::add_bos_token() const { return state_->add_bos_token; }
const std::string& Tokenizer::chat_template() const { return state_->chat_template; }

}  // namespace r1b::model
