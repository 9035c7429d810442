// The math answer AST: what math_parser.h reads a LaTeX/plain answer into.
//
// Contract (private to tasks/verify/): nodes are immutable and shared (shared_ptr<const Node>), so
// a tree can be reused and shared read-only between threads. Scalar nodes (numbers, symbols,
// constants, arithmetic, functions) form expressions; structure nodes (tuples, sets, lists, unions,
// matrices, relations, text) only appear around them. Numbers are kept as their decimal digits,
// never as floating point, so evaluation can be exact.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace r1b::tasks::verifier {

enum class NodeKind {
  // scalars
  kNumber,      // int_digits[.frac_digits][overline rep_digits] x 10^exp10; base != 10: digits in that base
  kSymbol,      // text: the variable name ("x", "a_1", "R")
  kPi,
  kE,
  kI,           // imaginary unit
  kInfinity,
  kAdd,         // children summed
  kMul,         // children multiplied
  kPow,         // children[0] ^ children[1]
  kNeg,         // -children[0]
  kFunction,    // text: sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh ln log exp sqrt
                //       abs factorial binom root(children[1]-th root of children[0]) log_base(x, b)
  kPlusMinus,   // children[0] ± children[1]: two answers
  // structures
  kTuple,       // open/close brackets "(" "]" ...; ordered items (points, intervals, vectors)
  kSet,         // \{ ... \}: unordered
  kList,        // a, b, c  or "a or b": unordered solutions
  kUnion,       // A \cup B
  kMatrix,      // rows x cols items, row-major
  kRelation,    // children[0] ops[0] children[1] ops[1] ...; ops: = < <= > >= != in
  kText,        // text: normalized words ("evelyn", "even")
};

struct Node;
using NodePtr = std::shared_ptr<const Node>;

struct Node {
  NodeKind kind = NodeKind::kNumber;
  std::string text;                 // symbol / function name / text answer
  std::vector<NodePtr> children;
  // kNumber
  std::string int_digits;           // "0" when absent (".5")
  std::string frac_digits;          // digits after the point (base 10 only)
  std::string rep_digits;           // repeating digits (\overline{3})
  int64_t exp10 = 0;                // scientific exponent
  int base = 10;                    // 1011_2 -> base 2
  bool base_subscript = false;      // the base was written (11_{10} too)
  bool is_decimal = false;          // written with a point or exponent: approximate intent
  // kTuple
  char open = '(';
  char close = ')';
  // kMatrix
  int rows = 0;
  int cols = 0;
  // kRelation
  std::vector<std::string> ops;
};

// Builders.
NodePtr make_integer(std::string digits);
NodePtr make_node(NodeKind kind, std::vector<NodePtr> children = {}, std::string text = {});
NodePtr make_neg(NodePtr child);
NodePtr make_pow(NodePtr base, NodePtr exponent);
NodePtr make_div(NodePtr numerator, NodePtr denominator);  // numerator * denominator^-1

bool is_scalar(const Node& node);
// Whether the scalar contains a kSymbol anywhere.
bool has_symbols(const Node& node);
bool has_kind(const Node& node, NodeKind kind);
// Number of nodes (the size bound of every comparison).
size_t node_count(const Node& node);

// A canonical, fully parenthesized rendering. Equal strings mean structurally equal trees (the
// first, cheapest equivalence); also used in reasons and tests.
std::string to_string(const Node& node);

}  // namespace r1b::tasks::verifier
