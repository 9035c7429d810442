#include "tasks/verify/math_ast.h"

namespace r1b::tasks::verifier {

NodePtr make_integer(std::string digits) {
  auto node = std::make_shared<Node>();
  node->kind = NodeKind::kNumber;
  node->int_digits = std::move(digits);
  return node;
}

NodePtr make_node(NodeKind kind, std::vector<NodePtr> children, std::string text) {
  auto node = std::make_shared<Node>();
  node->kind = kind;
  node->children = std::move(children);
  node->text = std::move(text);
  return node;
}

NodePtr make_neg(NodePtr child) { return make_node(NodeKind::kNeg, {std::move(child)}); }

NodePtr make_pow(NodePtr base, NodePtr exponent) {
  return make_node(NodeKind::kPow, {std::move(base), std::move(exponent)});
}

NodePtr make_div(NodePtr numerator, NodePtr denominator) {
  return make_node(NodeKind::kMul, {std::move(numerator), make_pow(std::move(denominator), make_neg(make_integer("1")))});
}

bool is_scalar(const Node& node) {
  switch (node.kind) {
    case NodeKind::kTuple:
    case NodeKind::kSet:
    case NodeKind::kList:
    case NodeKind::kUnion:
    case NodeKind::kMatrix:
    case NodeKind::kRelation:
    case NodeKind::kText:
    case NodeKind::kPlusMinus:
      return false;
    default:
      return true;
  }
}

bool has_kind(const Node& node, NodeKind kind) {
  if (node.kind == kind) return true;
  for (const auto& c : node.children) {
    if (has_kind(*c, kind)) return true;
  }
  return false;
}

bool has_symbols(const Node& node) { return has_kind(node, NodeKind::kSymbol); }

size_t node_count(const Node& node) {
  size_t n = 1;
  for (const auto& c : node.children) n += node_count(*c);
  return n;
}

namespace {

void render(const Node& node, std::string& out) {
  auto list = [&](const char* open, const char* sep, const char* close) {
    out += open;
    for (size_t k = 0; k < node.children.size(); ++k) {
      if (k) out += sep;
      render(*node.children[k], out);
    }
    out += close;
  };
  switch (node.kind) {
    case NodeKind::kNumber:
      out += node.int_digits.empty() ? "0" : node.int_digits;
      if (!node.frac_digits.empty() || !node.rep_digits.empty()) out += "." + node.frac_digits;
      if (!node.rep_digits.empty()) out += "(" + node.rep_digits + ")";
      if (node.exp10 != 0) out += "e" + std::to_string(node.exp10);
      if (node.base != 10) out += "_" + std::to_string(node.base);
      return;
    case NodeKind::kSymbol: out += node.text; return;
    case NodeKind::kPi: out += "pi"; return;
    case NodeKind::kE: out += "e"; return;
    case NodeKind::kI: out += "i"; return;
    case NodeKind::kInfinity: out += "oo"; return;
    case NodeKind::kAdd: list("(", " + ", ")"); return;
    case NodeKind::kMul: list("(", " * ", ")"); return;
    case NodeKind::kPow: list("(", " ^ ", ")"); return;
    case NodeKind::kNeg: list("(-", "", ")"); return;
    case NodeKind::kFunction: out += node.text; list("(", ", ", ")"); return;
    case NodeKind::kPlusMinus: list("(", " +- ", ")"); return;
    case NodeKind::kTuple:
      out += node.open;
      list("", ", ", "");
      out += node.close;
      return;
    case NodeKind::kSet: list("{", ", ", "}"); return;
    case NodeKind::kList: list("list[", ", ", "]"); return;
    case NodeKind::kUnion: list("union[", ", ", "]"); return;
    case NodeKind::kMatrix:
      out += "matrix" + std::to_string(node.rows) + "x" + std::to_string(node.cols);
      list("[", ", ", "]");
      return;
    case NodeKind::kRelation:
      for (size_t k = 0; k < node.children.size(); ++k) {
        if (k) out += " " + node.ops[k - 1] + " ";
        render(*node.children[k], out);
      }
      return;
    case NodeKind::kText: out += "text[" + node.text + "]"; return;
  }
}

}  // namespace

std::string to_string(const Node& node) {
  std::string out;
  render(node, out);
  return out;
}

}  // namespace r1b::tasks::verifier
