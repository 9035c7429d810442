#include "model/tokenizer_utf8.h"

#include <cstdint>

namespace r1b::model {

namespace {

bool in_range(uint8_t byte, uint8_t lo, uint8_t hi) { return byte >= lo && byte <= hi; }

}  // namespace

size_t utf8_sequence_length(std::string_view text, size_t pos, size_t* bad_len) {
  const auto lead = static_cast<uint8_t>(text[pos]);
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint8_t second_lo = 0x80;
  uint8_t second_hi = 0xBF;
  if (in_range(lead, 0xC2, 0xDF)) {
    length = 2;
  } else if (in_range(lead, 0xE0, 0xEF)) {
    length = 3;
    if (lead == 0xE0) second_lo = 0xA0;  // no overlong forms
    if (lead == 0xED) second_hi = 0x9F;  // no surrogates
  } else if (in_range(lead, 0xF0, 0xF4)) {
    length = 4;
    if (lead == 0xF0) second_lo = 0x90;  // no overlong forms
    if (lead == 0xF4) second_hi = 0x8F;  // nothing above U+10FFFF
  } else {
    *bad_len = 1;
    return 0;
  }
  for (size_t i = 1; i < length; ++i) {
    const uint8_t lo = i == 1 ? second_lo : uint8_t{0x80};
    const uint8_t hi = i == 1 ? second_hi : uint8_t{0xBF};
    if (pos + i >= text.size() || !in_range(static_cast<uint8_t>(text[pos + i]), lo, hi)) {
      *bad_len = i;
      return 0;
    }
  }
  return length;
}

bool is_valid_utf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<uint8_t>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    size_t bad_len = 0;
    const size_t length = utf8_sequence_length(text, pos, &bad_len);
    if (length == 0) return false;
    pos += length;
  }
  return true;
}

std::string sanitize_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t bad_len = 0;
    const size_t length = utf8_sequence_length(text, pos, &bad_len);
    if (length == 0) {
      out += kReplacementChar;
      pos += bad_len;
    } else {
      out.append(text.substr(pos, length));
      pos += length;
    }
  }
  return out;
}

void append_utf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace r1b::model
