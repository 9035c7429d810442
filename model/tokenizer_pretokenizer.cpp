#include "model/tokenizer_pretokenizer.h"

#include <cstdint>
#include <utility>

#include <nlohmann/json.hpp>

namespace r1b::model {

namespace {

// The pattern of ByteLevel's use_regex (GPT-2).
constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

std::string rewrite_for_icu(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 32);
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      const char escaped = pattern[++i];
      if (escaped == 's') {
        out += "\\p{White_Space}";
      } else if (escaped == 'S') {
        out += "\\P{White_Space}";
      } else {
        out += '\\';
        out += escaped;
      }
    } else {
      out += pattern[i];
    }
  }
  return out;
}

Status field_error(const std::string& file, const std::string& field, const std::string& what) {
  return Status::invalid_input(file + ": field \"" + field + "\": " + what);
}

Result<std::unique_ptr<icu::RegexPattern>> compile(std::string_view pattern, bool literal, const std::string& file,
                                                   const std::string& field) {
  const icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(pattern.data(), static_cast<int32_t>(pattern.size())));
  UParseError parse_error{};
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::RegexPattern> compiled(
      icu::RegexPattern::compile(text, literal ? UREGEX_LITERAL : 0, parse_error, status));
  if (U_FAILURE(status)) {
    return field_error(file, field, std::string("ICU cannot compile the pattern (") + u_errorName(status) +
                                        " at offset " + std::to_string(parse_error.offset) + ")");
  }
  return compiled;
}

struct Builder {
  const std::string& file;
  std::vector<std::unique_ptr<icu::RegexPattern>> patterns;
  bool has_byte_level = false;

  Status add(const nlohmann::json& node, const std::string& field) {
    const auto type = node.is_object() ? node.find("type") : node.end();
    if (!node.is_object() || type == node.end() || !type->is_string()) {
      return field_error(file, field + ".type", "missing or not a string");
    }
    const std::string& name = type->get_ref<const std::string&>();
    if (name == "Sequence") {
      const auto list = node.find("pretokenizers");
      if (list == node.end() || !list->is_array()) return field_error(file, field + ".pretokenizers", "missing or not an array");
      for (size_t i = 0; i < list->size(); ++i) {
        R1B_RETURN_IF_ERROR(add((*list)[i], field + ".pretokenizers[" + std::to_string(i) + "]"));
      }
      return Status::ok();
    }
    if (name == "Split") return add_split(node, field);
    if (name == "ByteLevel") {
      if (node.value("add_prefix_space", false)) {
        return field_error(file, field + ".add_prefix_space", "true is not supported (only false)");
      }
      has_byte_level = true;
      if (!node.value("use_regex", true)) return Status::ok();
      auto compiled = compile(rewrite_for_icu(kGpt2Pattern), false, file, field);
      R1B_RETURN_IF_ERROR(compiled);
      patterns.push_back(std::move(compiled.value()));
      return Status::ok();
    }
    return field_error(file, field + ".type", "unsupported pre-tokenizer \"" + name +
                                                  "\" (supported: Sequence, Split, ByteLevel)");
  }

  Status add_split(const nlohmann::json& node, const std::string& field) {
    if (node.value("behavior", std::string()) != "Isolated") {
      return field_error(file, field + ".behavior", "unsupported split behavior (only \"Isolated\")");
    }
    if (node.value("invert", false)) return field_error(file, field + ".invert", "true is not supported");
    const auto pattern = node.find("pattern");
    if (pattern == node.end() || !pattern->is_object()) return field_error(file, field + ".pattern", "missing or not an object");
    const auto regex = pattern->find("Regex");
    const auto literal = pattern->find("String");
    Result<std::unique_ptr<icu::RegexPattern>> compiled = Status::internal("no pattern");
    if (regex != pattern->end() && regex->is_string()) {
      compiled = compile(rewrite_for_icu(regex->get_ref<const std::string&>()), false, file, field + ".pattern.Regex");
    } else if (literal != pattern->end() && literal->is_string()) {
      compiled = compile(literal->get_ref<const std::string&>(), true, file, field + ".pattern.String");
    } else {
      return field_error(file, field + ".pattern", "needs a \"Regex\" or \"String\" string");
    }
    R1B_RETURN_IF_ERROR(compiled);
    patterns.push_back(std::move(compiled.value()));
    return Status::ok();
  }
};

// Writes the UTF-16 form of valid UTF-8 `text` into `utf16`, and into `offsets` the UTF-8 byte
// offset of each UTF-16 unit plus one final entry for the end.
void to_utf16(std::string_view text, icu::UnicodeString& utf16, std::vector<uint32_t>& offsets) {
  offsets.clear();
  offsets.reserve(text.size() + 1);
  char16_t* buffer = utf16.getBuffer(static_cast<int32_t>(text.size()));
  int32_t length = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const auto lead = static_cast<uint8_t>(text[pos]);
    char32_t cp = 0;
    size_t size = 1;
    if (lead < 0x80) {
      cp = lead;
    } else if (lead < 0xE0) {
      size = 2;
      cp = lead & 0x1F;
    } else if (lead < 0xF0) {
      size = 3;
      cp = lead & 0x0F;
    } else {
      size = 4;
      cp = lead & 0x07;
    }
    for (size_t i = 1; i < size; ++i) cp = (cp << 6) | (static_cast<uint8_t>(text[pos + i]) & 0x3F);
    if (cp < 0x10000) {
      buffer[length++] = static_cast<char16_t>(cp);
      offsets.push_back(static_cast<uint32_t>(pos));
    } else {
      buffer[length++] = static_cast<char16_t>(0xD7C0 + (cp >> 10));
      buffer[length++] = static_cast<char16_t>(0xDC00 | (cp & 0x3FF));
      offsets.push_back(static_cast<uint32_t>(pos));
      offsets.push_back(static_cast<uint32_t>(pos));
    }
    pos += size;
  }
  utf16.releaseBuffer(length);
  offsets.push_back(static_cast<uint32_t>(text.size()));
}

}  // namespace

Result<PreTokenizer> PreTokenizer::from_json(const nlohmann::json& pre_tokenizer, const std::string& file) {
  if (pre_tokenizer.is_null()) {
    return field_error(file, "pre_tokenizer", "missing; byte-level BPE needs a ByteLevel pre-tokenizer");
  }
  Builder builder{file, {}, false};
  R1B_RETURN_IF_ERROR(builder.add(pre_tokenizer, "pre_tokenizer"));
  if (!builder.has_byte_level) {
    return field_error(file, "pre_tokenizer", "has no ByteLevel step; only byte-level BPE tokenizers are supported");
  }
  PreTokenizer out;
  out.patterns_ = std::move(builder.patterns);
  return out;
}

std::string PreTokenizer::icu_pattern_for_testing(std::string_view oniguruma_pattern) {
  return rewrite_for_icu(oniguruma_pattern);
}

void PreTokenizer::split(std::string_view text, std::vector<std::string_view>& words) const {
  if (text.empty()) return;
  if (patterns_.empty()) {
    words.push_back(text);
    return;
  }
  icu::UnicodeString utf16;
  std::vector<uint32_t> offsets;
  to_utf16(text, utf16, offsets);
  std::vector<std::pair<int32_t, int32_t>> pieces{{0, utf16.length()}};
  std::vector<std::pair<int32_t, int32_t>> next_pieces;
  for (const auto& pattern : patterns_) {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::RegexMatcher> matcher(pattern->matcher(utf16, status));
    if (U_FAILURE(status)) break;  // allocation failure only: keep the pieces so far
    matcher->setStackLimit(0, status);  // no limit: a huge whitespace run must not fail
    next_pieces.clear();
    for (const auto& [begin, end] : pieces) {
      status = U_ZERO_ERROR;
      matcher->region(begin, end, status);
      int32_t last = begin;
      while (U_SUCCESS(status) && matcher->find(status)) {
        const int32_t match_begin = matcher->start(status);
        const int32_t match_end = matcher->end(status);
        if (match_end == match_begin) continue;
        if (match_begin > last) next_pieces.emplace_back(last, match_begin);
        next_pieces.emplace_back(match_begin, match_end);
        last = match_end;
      }
      if (last < end) next_pieces.emplace_back(last, end);
    }
    pieces.swap(next_pieces);
  }
  for (const auto& [begin, end] : pieces) words.push_back(text.substr(offsets[begin], offsets[end] - offsets[begin]));
}

}  // namespace r1b::model
