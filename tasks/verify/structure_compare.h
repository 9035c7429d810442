// Equivalence of whole answers: structures around scalars (scalar_compare.h).
//
// Contract (private to tasks/verify/): thread-safe, never throws, bounded (collections of more
// than kMaxItems items are not compared). Not symmetric on purpose in one place: `gold` may be an
// equation "x = 5" that a bare "5" answers (and the other way round).
//
// Rules:
//  * "a \pm b" is the two answers a+b, a-b (a list).
//  * Lists ("1, -2", "x=1 or x=2") and sets (\{..\}) match each other order-insensitively, as
//    multisets; tuples and intervals match only tuples with the same brackets, in order (interval
//    ends must match: (1,2] != (1,2)); unions match order-insensitively; matrices match by shape
//    and entries, and a one-row/one-column matrix matches a parenthesized tuple of its entries.
//  * "x = 5" against "5", "y = 2x+1" against "2x+1", "x \in [-2,7]" against "[-2,7]".
//  * Equations are equal up to a nonzero constant factor; inequalities up to a positive one, and
//    flipped inequalities (2 < x against x > 2) are the same; a one-variable inequality matches
//    the interval it describes (x > 2 against (2, \infty)).
//  * Text answers compare as normalized text.
#pragma once

#include "tasks/verify/math_ast.h"

namespace r1b::tasks::verifier {

inline constexpr size_t kMaxItems = 64;

bool same_tree(const Node& gold, const Node& answer);

}  // namespace r1b::tasks::verifier
