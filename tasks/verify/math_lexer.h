// Tokens of a normalized math answer (answer_normalize.h), for math_parser.h.
//
// Contract (private to tasks/verify/): tokenize() is pure, linear in the input, thread-safe, and
// never throws; it stops with ok=false after kMaxTokens tokens or on a byte it cannot read.
// Numbers: "12", "3.5", ".5", "1,000" (a comma followed by exactly three digits, outside
// brackets), "1.5e-3", thousands separators from "{,}". Letters: a known word ("sin", "pi",
// "sqrt", "or") is one token, any other run of letters is one token per letter (implicit
// multiplication: "xy" = x*y). Commands: "\frac" -> kCommand "frac"; "\{" -> kSymbol "\{".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace r1b::tasks::verifier {

inline constexpr size_t kMaxTokens = 4000;

enum class TokenKind { kNumber, kLetters, kCommand, kSymbol, kSeparator, kEnd };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // number digits with '.', the word/letter, the command name, the symbol
  size_t offset = 0;
};

struct TokenStream {
  std::vector<Token> tokens;  // always ends with a kEnd token
  bool ok = true;
  std::string error;
};

TokenStream tokenize(std::string_view math);

}  // namespace r1b::tasks::verifier
