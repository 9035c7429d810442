// Equivalence of two scalar math values (numbers and expressions), the core of math grading.
//
// Contract (private to tasks/verify/): thread-safe, never throws, bounded (see exact_value.h,
// numeric_value.h, symbolic_compare.h). When in doubt the answer is "not equal".
//
// Order of evidence, cheapest first:
//  1. the same canonical tree -> equal (also the only way two unbounded values like
//     2003^{2002^{2001}} can be equal);
//  2. infinities are equal only to the same signed infinity; a number with a base subscript
//     (204_5) equals the same digits written plainly (204), not its decimal value (54);
//  3. both exact rationals -> exact comparison (1/2004! != 1/2006!), with the decimal tolerance;
//  4. floating-point probes (numeric_value.h) at fixed points: a clear, well-conditioned
//     difference -> not equal;
//  5. GiNaC (symbolic_compare.h): symbolic zero, exact nonzero, or 50-digit probes.
// Decimal tolerance: when either side contains a decimal literal ("0.333333", "1.41421"), values
// within kDecimalRelTolerance of each other, relative to the larger magnitude, are equal; when a
// side is one decimal number, the difference must also be within half a unit of its last written
// digit (the finer one when both are decimals: "0.333333" = 1/3, "1000000.5" != 1000000). The
// relative bound always applies, so tiny values are never all equal to 0 (1/2004! != 1/2006!,
// 0.000 != 1/2004!).
#pragma once

#include "tasks/verify/math_ast.h"

namespace r1b::tasks::verifier {

inline constexpr double kDecimalRelTolerance = 1e-6;

bool same_scalar(const Node& a, const Node& b);

}  // namespace r1b::tasks::verifier
