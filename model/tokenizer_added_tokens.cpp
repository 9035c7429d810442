#include "model/tokenizer_added_tokens.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

namespace r1b::model {

namespace {

// \w of Rust's regex crate (what `tokenizers` uses for single_word): Alphabetic, marks,
// decimal digits, connector punctuation and join controls.
bool is_word_char(UChar32 cp) {
  if (u_hasBinaryProperty(cp, UCHAR_ALPHABETIC) || u_hasBinaryProperty(cp, UCHAR_JOIN_CONTROL)) return true;
  const int8_t type = u_charType(cp);
  return type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK || type == U_COMBINING_SPACING_MARK ||
         type == U_DECIMAL_DIGIT_NUMBER || type == U_CONNECTOR_PUNCTUATION;
}

UChar32 code_point_before(std::string_view text, size_t pos) {
  int32_t index = static_cast<int32_t>(pos);
  UChar32 cp = 0;
  U8_PREV_OR_FFFD(reinterpret_cast<const uint8_t*>(text.data()), 0, index, cp);
  return cp;
}

UChar32 code_point_at(std::string_view text, size_t pos, size_t* next) {
  auto index = static_cast<int32_t>(pos);
  UChar32 cp = 0;
  U8_NEXT_OR_FFFD(reinterpret_cast<const uint8_t*>(text.data()), index, static_cast<int32_t>(text.size()), cp);
  *next = static_cast<size_t>(index);
  return cp;
}

// Start of the whitespace run that ends at `end`.
size_t whitespace_start_before(std::string_view text, size_t end, size_t floor) {
  size_t pos = end;
  while (pos > floor) {
    int32_t index = static_cast<int32_t>(pos);
    UChar32 cp = 0;
    U8_PREV_OR_FFFD(reinterpret_cast<const uint8_t*>(text.data()), 0, index, cp);
    if (!u_isUWhiteSpace(cp)) break;
    pos = static_cast<size_t>(index);
  }
  return pos;
}

// End of the whitespace run that starts at `begin`.
size_t whitespace_end_after(std::string_view text, size_t begin) {
  size_t pos = begin;
  while (pos < text.size()) {
    size_t next = pos;
    if (!u_isUWhiteSpace(code_point_at(text, pos, &next))) break;
    pos = next;
  }
  return pos;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<std::pair<std::string, const AddedToken*>>& tokens) {
  for (const auto& [text, token] : tokens) {
    if (text.empty()) continue;
    first_byte_[static_cast<uint8_t>(text[0])] = true;
    int32_t node = 0;
    for (char c : text) {
      const auto byte = static_cast<uint8_t>(c);
      int32_t child = -1;
      for (const auto& [edge, index] : nodes_[node].children) {
        if (edge == byte) child = index;
      }
      if (child < 0) {
        child = static_cast<int32_t>(nodes_.size());
        nodes_[node].children.emplace_back(byte, child);
        nodes_.emplace_back();
      }
      node = child;
    }
    if (nodes_[node].token == nullptr) nodes_[node].token = token;  // the first of duplicates wins
  }
}

std::pair<size_t, const AddedToken*> AddedTokenMatcher::longest_match(std::string_view text, size_t pos) const {
  std::pair<size_t, const AddedToken*> best{pos, nullptr};
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    const auto byte = static_cast<uint8_t>(text[i]);
    int32_t child = -1;
    for (const auto& [edge, index] : nodes_[node].children) {
      if (edge == byte) {
        child = index;
        break;
      }
    }
    if (child < 0) break;
    node = child;
    if (nodes_[node].token != nullptr) best = {i + 1, nodes_[node].token};
  }
  return best;
}

void AddedTokenMatcher::split(std::string_view text, bool skip_special, std::vector<TextSegment>& segments) const {
  size_t plain_begin = 0;  // start of the pending plain text
  size_t pos = 0;
  while (pos < text.size()) {
    if (!first_byte_[static_cast<uint8_t>(text[pos])]) {
      ++pos;
      continue;
    }
    auto [match_end, token] = longest_match(text, pos);
    if (token == nullptr) {
      ++pos;
      continue;
    }
    size_t begin = pos;
    size_t end = match_end;
    pos = match_end;
    if (skip_special && token->special) continue;
    if (token->single_word) {
      size_t unused = 0;
      const bool word_before = begin > 0 && is_word_char(code_point_before(text, begin));
      const bool word_after = end < text.size() && is_word_char(code_point_at(text, end, &unused));
      if (word_before || word_after) continue;
    }
    if (token->lstrip) begin = whitespace_start_before(text, begin, plain_begin);
    if (token->rstrip) end = whitespace_end_after(text, end);
    if (plain_begin < begin) segments.push_back({plain_begin, begin, nullptr});
    segments.push_back({begin, end, token});
    plain_begin = end;
    pos = end;
  }
  if (plain_begin < text.size()) segments.push_back({plain_begin, text.size(), nullptr});
}

}  // namespace r1b::model
