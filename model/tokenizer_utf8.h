// UTF-8 helpers shared by the tokenizer's encode and decode paths (private to model/).
//
// Invalid input is never an error here: each ill-formed sequence becomes U+FFFD by the
// "maximal subpart" rule of the Unicode standard (the rule of Rust's String::from_utf8_lossy,
// which Hugging Face `tokenizers` uses to decode, and of Python's errors="replace").
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace r1b::model {

// The UTF-8 encoding of U+FFFD REPLACEMENT CHARACTER.
inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";

// Length in bytes of the well-formed UTF-8 sequence starting at `text[pos]`, or 0 when the
// bytes there are ill-formed; `*bad_len` then receives the length of the maximal subpart
// (>= 1) that one U+FFFD replaces. Requires pos < text.size().
size_t utf8_sequence_length(std::string_view text, size_t pos, size_t* bad_len);

// True when `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text);

// `text` with every ill-formed sequence replaced by U+FFFD (a copy even when already valid).
std::string sanitize_utf8(std::string_view text);

// Appends the UTF-8 encoding of code point `cp` (<= 0x10FFFF, not a surrogate) to `out`.
void append_utf8(char32_t cp, std::string& out);

}  // namespace r1b::model
