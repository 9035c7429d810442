#include "model/tokenizer_byte_level.h"

#include <array>

#include "model/tokenizer_utf8.h"

namespace r1b::model {

namespace {

constexpr char32_t kNoByte = 0;

struct ByteLevelTables {
  std::array<std::string, 256> char_of_byte;  // UTF-8 text of the code point for each byte
  std::array<int, 512> byte_of_char{};        // code point (< 512) -> byte, or -1
};

bool stands_for_itself(int byte) {
  return (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE && byte <= 0xFF);
}

const ByteLevelTables& tables() {
  static const ByteLevelTables kTables = [] {
    ByteLevelTables t;
    t.byte_of_char.fill(-1);
    char32_t next_extra = 0x100;
    for (int byte = 0; byte < 256; ++byte) {
      const char32_t cp = stands_for_itself(byte) ? static_cast<char32_t>(byte) : next_extra++;
      append_utf8(cp, t.char_of_byte[byte]);
      t.byte_of_char[cp] = byte;
    }
    return t;
  }();
  return kTables;
}

// Decodes the code point at `piece[pos]` of valid UTF-8 of at most 2 bytes; returns kNoByte
// for longer sequences (never in the alphabet, whose code points are all < U+0200).
char32_t short_code_point(std::string_view piece, size_t pos, size_t* length) {
  const auto lead = static_cast<uint8_t>(piece[pos]);
  if (lead < 0x80) {
    *length = 1;
    return lead;
  }
  if ((lead & 0xE0) == 0xC0 && pos + 1 < piece.size()) {
    *length = 2;
    return (static_cast<char32_t>(lead & 0x1F) << 6) | (static_cast<uint8_t>(piece[pos + 1]) & 0x3F);
  }
  *length = 0;
  return kNoByte;
}

}  // namespace

std::string_view byte_level_char(uint8_t byte) { return tables().char_of_byte[byte]; }

std::string byte_level_encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += byte_level_char(static_cast<uint8_t>(c));
  return out;
}

void byte_level_decode(std::string_view piece, std::string& out) {
  const ByteLevelTables& t = tables();
  const size_t start = out.size();
  size_t pos = 0;
  while (pos < piece.size()) {
    size_t length = 0;
    const char32_t cp = short_code_point(piece, pos, &length);
    if (length == 0 || cp >= t.byte_of_char.size() || t.byte_of_char[cp] < 0) {
      out.resize(start);
      out.append(piece);
      return;
    }
    out += static_cast<char>(t.byte_of_char[cp]);
    pos += length;
  }
}

}  // namespace r1b::model
