// Floating-point value of a scalar AST node at given symbol values: the fast probe.
//
// Contract (private to tasks/verify/): pure, thread-safe, never throws, time linear in the tree.
// Evaluates in std::complex<long double> (so sqrt(-1), logs of negatives and i are fine) and
// reports `scale`, the largest magnitude any intermediate reached: a difference much smaller than
// the scale is cancellation noise, not evidence. ok=false when a value is not finite, a symbol has
// no value, or the node is not a scalar (infinity, structures).
#pragma once

#include <complex>
#include <string>
#include <utility>
#include <vector>

#include "tasks/verify/math_ast.h"

namespace r1b::tasks::verifier {

using Complex = std::complex<long double>;
using SymbolValues = std::vector<std::pair<std::string, Complex>>;

struct NumericValue {
  Complex value;
  long double scale = 0;
  bool ok = false;
};

NumericValue numeric_value(const Node& node, const SymbolValues& symbols);

// All symbol names in the tree, sorted and unique.
std::vector<std::string> symbol_names(const Node& node);

// Deterministic probe points for `names`: `count` assignments of distinct, irrational-looking
// real values in roughly [-3, 3] away from 0 and +-1 (same for every call and thread).
std::vector<SymbolValues> probe_points(const std::vector<std::string>& names, int count);

}  // namespace r1b::tasks::verifier
