// Symbolic equivalence of two scalar AST nodes with GiNaC (and CLN), plus high-precision numeric
// probing as the second opinion for identities GiNaC does not normalize (trig, logs, nested
// radicals).
//
// Contract (private to tasks/verify/): thread-safe and never throws. GiNaC is not thread-safe
// (shared reference counts, the global Digits), so every call holds one process-wide mutex; the
// cheaper exact and floating-point paths (scalar_compare.h) run first so few comparisons get here.
// Bounded: trees over kMaxSymbolicNodes nodes, numeric powers whose result would exceed
// kMaxExactBits bits, symbolic integer powers above kMaxProbedPower, and factorials above
// kMaxFactorial are not converted (kUnknown); symbolic powers above kMaxExpandedPower, and
// differences whose expansion would exceed kMaxExpandedTerms terms, are never expanded (compared
// by probing only). CLN errors (overflow) are caught: kUnknown.
//
// Decision rule for `equal` (a == b): the difference expands or normalizes to 0 -> kEqual; it is a
// nonzero rational -> kNotEqual (exact: 1/2004! != 1/2006!); otherwise it is evaluated at 50
// digits at up to kProbeCount fixed rational points (one for constants; points at a pole are
// skipped, and at least two must agree): every |a-b| within the tolerance -> kEqual, a point
// outside -> kNotEqual. The tolerance is 1e-30 relative (round-off at 50 digits), or the
// caller's decimal tolerance when an answer was written as a decimal.
#pragma once

#include "tasks/verify/math_ast.h"

namespace r1b::tasks::verifier {

inline constexpr size_t kMaxSymbolicNodes = 2000;
inline constexpr long kMaxExpandedPower = 64;   // (x+1)^64 is expanded; above, only probed
inline constexpr long kMaxProbedPower = 4096;   // above, not converted at all
inline constexpr double kMaxExpandedTerms = 20000;  // a larger expansion is not attempted
inline constexpr int kProbeCount = 5;
inline constexpr double kExactTolerance = 1e-30;

enum class SymbolicVerdict { kEqual, kNotEqual, kUnknown };

// How close two values must be at every probe point.
struct Tolerance {
  double relative = kExactTolerance;  // |a-b| <= relative * max(|a|, |b|)
  double absolute = 0;                // and, when > 0, |a-b| <= absolute
};

// a == b within `tol` (exact unless a decimal was written; see scalar_compare.h).
SymbolicVerdict symbolic_equal(const Node& a, const Node& b, const Tolerance& tol = {});

// a == c * b for a constant c != 0 (c > 0 when positive_only): equations equal up to scaling,
// inequalities up to positive scaling.
SymbolicVerdict symbolic_proportional(const Node& a, const Node& b, bool positive_only);

}  // namespace r1b::tasks::verifier
