// The GPT-2 byte-level alphabet (private to model/): every byte 0..255 is shown as one printable
// code point, so that a byte-level BPE vocabulary holds only printable strings ("Ġ" is the space
// byte 0x20, "Ċ" is '\n'). Bytes 0x21..0x7E, 0xA1..0xAC and 0xAE..0xFF stand for themselves; the
// others are U+0100 + n in byte order. Pure functions over a constant table; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace r1b::model {

// The UTF-8 text of the code point that stands for `byte`.
std::string_view byte_level_char(uint8_t byte);

// The byte-level text of raw bytes: byte_level_char() of each byte, concatenated.
std::string byte_level_encode(std::string_view bytes);

// Appends to `out` the raw bytes a byte-level piece stands for. When some code point of `piece`
// is outside the alphabet (an added token such as "<｜User｜>"), the piece's own UTF-8 bytes are
// appended instead, as Hugging Face's ByteLevel decoder does.
void byte_level_decode(std::string_view piece, std::string& out);

}  // namespace r1b::model
