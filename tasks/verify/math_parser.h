// Parses a normalized math answer (answer_normalize.h) into the AST (math_ast.h).
//
// Contract (private to tasks/verify/): pure, thread-safe, never throws; a failure is ok=false with
// the reason. Bounded: at most kMaxTokens tokens (math_lexer.h), kMaxParseDepth nesting levels
// (10,000-deep nesting fails promptly instead of overflowing the stack), numbers of at most
// kMaxNumberDigits digits.
//
// Reading rules: LaTeX single-token arguments (\frac12 = 1/2, \sqrt2 x = sqrt(2) x), a malformed
// \sqrt(2) takes the parenthesized group (4\sqrt(2) keeps its factor 4), implicit multiplication
// (2x, 2\pi, (a+5)(b+2), xy), mixed numbers (137\frac{1}{2} = 137 + 1/2, only for integer parts
// and integer fractions), an unbraced multi-digit exponent is the whole number (2^10 = 1024, the
// plain-text intent), \sin^2 x = (sin x)^2, \sin^{-1} = arcsin, \log_2 x, base subscripts
// (1011_2), \overline repeating decimals, "\pm" (two answers), tuples/intervals with any bracket
// pair, \{..\} sets, comma or "or" lists, \cup unions, pmatrix/bmatrix, relation chains
// (=, <, \le, \ne, \in).
#pragma once

#include <string>
#include <string_view>

#include "tasks/verify/math_ast.h"

namespace r1b::tasks::verifier {

inline constexpr int kMaxParseDepth = 300;  // guarded recursion steps, 2-3 per bracket level
inline constexpr size_t kMaxNumberDigits = 2000;

struct ParseResult {
  NodePtr root;  // null when !ok
  bool ok = false;
  std::string error;
};

ParseResult parse_math(std::string_view normalized_math);

}  // namespace r1b::tasks::verifier
