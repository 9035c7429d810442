// Exact rational value of a scalar AST node (GMP big rationals).
//
// Contract (private to tasks/verify/): pure, thread-safe (GMP objects are per call), never throws.
// Bounded: no intermediate may exceed kMaxExactBits bits, so 10^{10^{10}} or 2003^{2002^{2001}}
// return kTooLarge at once (sizes are estimated before computing); factorials above
// kMaxFactorial are kTooLarge. Values that are not rational (symbols, pi, e, i, sqrt 2, logs) are
// kNotRational; exact roots of rationals are rational (\sqrt{16/9} = 4/3, 8^{1/3} = 2).
#pragma once

#include <gmpxx.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "tasks/verify/math_ast.h"

namespace r1b::tasks::verifier {

inline constexpr size_t kMaxExactBits = 1 << 17;
inline constexpr unsigned long kMaxFactorial = 5000;

enum class ExactStatus { kOk, kNotRational, kTooLarge, kUndefined };

struct ExactValue {
  ExactStatus status = ExactStatus::kNotRational;
  mpq_class value;
};

ExactValue exact_value(const Node& node);

// The same with symbols given rational values (symbols not listed: kNotRational).
using RationalPoint = std::vector<std::pair<std::string, mpq_class>>;
ExactValue exact_value_at(const Node& node, const RationalPoint& point);

// The exact rational a number literal denotes (decimals, repeating decimals, bases, exponents).
ExactValue number_value(const Node& number);

// Whether the node contains a number literal written as a decimal (approximate intent).
bool has_decimal_literal(const Node& node);

}  // namespace r1b::tasks::verifier
