#include "tasks/verify/structure_compare.h"

#include <algorithm>
#include <optional>

#include "tasks/verify/scalar_compare.h"
#include "tasks/verify/symbolic_compare.h"

namespace r1b::tasks::verifier {

namespace {

// "a \pm b" -> [a+b, a-b]; lists and sets get their items' ± expanded in place.
NodePtr expand_plus_minus(const NodePtr& n) {
  if (n->kind == NodeKind::kPlusMinus) {
    const NodePtr& a = n->children[0];
    const NodePtr& b = n->children[1];
    return make_node(NodeKind::kList, {make_node(NodeKind::kAdd, {a, b}), make_node(NodeKind::kAdd, {a, make_neg(b)})});
  }
  if (n->kind == NodeKind::kList || n->kind == NodeKind::kSet) {
    bool any = false;
    for (const auto& c : n->children) any |= c->kind == NodeKind::kPlusMinus;
    if (!any) return n;
    std::vector<NodePtr> items;
    for (const auto& c : n->children) {
      NodePtr e = expand_plus_minus(c);
      if (e->kind == NodeKind::kList && c->kind == NodeKind::kPlusMinus) {
        for (const auto& x : e->children) items.push_back(x);
      } else {
        items.push_back(e);
      }
    }
    return make_node(n->kind, std::move(items));
  }
  return n;
}

bool same(const NodePtr& g, const NodePtr& a);

bool is_collection(const Node& n) { return n.kind == NodeKind::kList || n.kind == NodeKind::kSet; }

// Order-insensitive multiset match.
bool same_unordered(const std::vector<NodePtr>& g, const std::vector<NodePtr>& a) {
  if (g.size() != a.size() || g.size() > kMaxItems) return false;
  std::vector<bool> used(a.size(), false);
  for (const auto& item : g) {
    bool found = false;
    for (size_t k = 0; k < a.size() && !found; ++k) {
      if (!used[k] && same(item, a[k])) {
        used[k] = true;
        found = true;
      }
    }
    if (!found) return false;
  }
  return true;
}

bool same_ordered(const std::vector<NodePtr>& g, const std::vector<NodePtr>& a) {
  if (g.size() != a.size() || g.size() > kMaxItems) return false;
  for (size_t k = 0; k < g.size(); ++k) {
    if (!same(g[k], a[k])) return false;
  }
  return true;
}

bool is_vector(const Node& m) { return m.kind == NodeKind::kMatrix && (m.rows == 1 || m.cols == 1); }

bool is_inequality_op(const std::string& op) { return op == "<" || op == "<=" || op == ">" || op == ">="; }

// Flips > and >= chains to < and <=: "5 > x" -> "x < 5".
NodePtr orient(const NodePtr& rel) {
  bool greater = true;
  for (const auto& op : rel->ops) greater &= op == ">" || op == ">=";
  if (!greater) return rel;
  auto node = std::make_shared<Node>(*rel);
  std::reverse(node->children.begin(), node->children.end());
  std::reverse(node->ops.begin(), node->ops.end());
  for (auto& op : node->ops) op = op == ">" ? "<" : "<=";
  return node;
}

// x < 5 -> (-oo, 5); 2 <= x < 3 -> [2, 3); nullopt when not a one-variable interval.
NodePtr to_interval(const NodePtr& relation) {
  NodePtr r = orient(relation);
  for (const auto& op : r->ops) {
    if (op != "<" && op != "<=") return nullptr;
  }
  auto interval = std::make_shared<Node>();
  interval->kind = NodeKind::kTuple;
  NodePtr inf = make_node(NodeKind::kInfinity);
  if (r->children.size() == 2) {
    bool var_left = r->children[0]->kind == NodeKind::kSymbol && r->children[1]->kind != NodeKind::kSymbol;
    bool var_right = r->children[1]->kind == NodeKind::kSymbol && r->children[0]->kind != NodeKind::kSymbol;
    if (var_left) {  // x < c
      interval->children = {make_neg(inf), r->children[1]};
      interval->open = '(';
      interval->close = r->ops[0] == "<" ? ')' : ']';
    } else if (var_right) {  // c < x
      interval->children = {r->children[0], inf};
      interval->open = r->ops[0] == "<" ? '(' : '[';
      interval->close = ')';
    } else {
      return nullptr;
    }
    return interval;
  }
  if (r->children.size() == 3 && r->children[1]->kind == NodeKind::kSymbol) {
    interval->children = {r->children[0], r->children[2]};
    interval->open = r->ops[0] == "<" ? '(' : '[';
    interval->close = r->ops[1] == "<" ? ')' : ']';
    return interval;
  }
  return nullptr;
}

NodePtr difference(const NodePtr& lhs, const NodePtr& rhs) { return make_node(NodeKind::kAdd, {lhs, make_neg(rhs)}); }

bool same_relation(const NodePtr& g0, const NodePtr& a0) {
  NodePtr g = orient(g0), a = orient(a0);
  if (g->ops != a->ops) {
    // x > 2 against 2 < x is oriented above; a chain against an interval-like chain:
    auto gi = to_interval(g0), ai = to_interval(a0);
    return gi && ai && same(gi, ai);
  }
  if (g->children.size() == 2) {
    const std::string& op = g->ops[0];
    const NodePtr &gl = g->children[0], &gr = g->children[1], &al = a->children[0], &ar = a->children[1];
    if (op == "in") return same(gl, al) && same(gr, ar);
    // Same left side (y = ..., x < ...): compare the right sides.
    if (same(gl, al) && same(gr, ar)) return true;
    if (!is_scalar(*gl) || !is_scalar(*gr) || !is_scalar(*al) || !is_scalar(*ar)) return false;
    bool positive_only = is_inequality_op(op);
    return symbolic_proportional(*difference(gl, gr), *difference(al, ar), positive_only) == SymbolicVerdict::kEqual;
  }
  // Chains: same operators after orientation, same members in order.
  return same_ordered(g->children, a->children);
}

// "x = 5" / "x \in S" / "f(x) = ..." with a symbol on the left: the right side is the answer.
NodePtr value_of_assignment(const NodePtr& rel) {
  if (rel->kind != NodeKind::kRelation || rel->ops.size() != 1) return nullptr;
  if (rel->ops[0] != "=" && rel->ops[0] != "in") return nullptr;
  if (rel->children[0]->kind != NodeKind::kSymbol) return nullptr;
  return rel->children[1];
}

NodePtr unwrap(const NodePtr& n) {
  NodePtr e = expand_plus_minus(n);
  if (e->kind == NodeKind::kList && e->children.size() == 1) return e->children[0];
  return e;
}

// "x \in S" -> S.
NodePtr membership_set(const NodePtr& n) {
  if (n->kind == NodeKind::kRelation && n->ops.size() == 1 && n->ops[0] == "in") return n->children[1];
  return n;
}

bool same(const NodePtr& g0, const NodePtr& a0) {
  NodePtr g = membership_set(unwrap(g0)), a = membership_set(unwrap(a0));
  // Equations and assignments against bare values.
  if (g->kind == NodeKind::kRelation && a->kind == NodeKind::kRelation) return same_relation(g, a);
  if (g->kind == NodeKind::kRelation) {
    if (auto v = value_of_assignment(g)) return same(v, a);
    if (auto iv = to_interval(g); iv && (a->kind == NodeKind::kTuple || a->kind == NodeKind::kUnion)) return same(iv, a);
    return false;
  }
  if (a->kind == NodeKind::kRelation) {
    if (auto v = value_of_assignment(a)) return same(g, v);
    if (auto iv = to_interval(a); iv && (g->kind == NodeKind::kTuple || g->kind == NodeKind::kUnion)) return same(g, iv);
    return false;
  }
  // Lists of assignments ("x = 1, x = 2") against lists of values.
  if (is_collection(*g) && is_collection(*a)) return same_unordered(g->children, a->children);
  switch (g->kind) {
    case NodeKind::kText:
      return a->kind == NodeKind::kText && g->text == a->text;
    case NodeKind::kTuple:
      if (a->kind == NodeKind::kTuple) return g->open == a->open && g->close == a->close && same_ordered(g->children, a->children);
      if (is_vector(*a) && g->open == '(' && g->close == ')') return same_ordered(g->children, a->children);
      return false;
    case NodeKind::kUnion:
      return a->kind == NodeKind::kUnion && same_unordered(g->children, a->children);
    case NodeKind::kMatrix:
      if (a->kind == NodeKind::kMatrix) return g->rows == a->rows && g->cols == a->cols && same_ordered(g->children, a->children);
      if (is_vector(*g) && a->kind == NodeKind::kTuple && a->open == '(' && a->close == ')') {
        return same_ordered(g->children, a->children);
      }
      return false;
    case NodeKind::kList:
    case NodeKind::kSet:
      return false;  // against a non-collection
    default:
      break;
  }
  if (!is_scalar(*g) || !is_scalar(*a)) return false;
  return same_scalar(*g, *a);
}

}  // namespace

bool same_tree(const Node& gold, const Node& answer) {
  // Non-owning aliases: the trees outlive this call.
  NodePtr g(std::shared_ptr<const Node>(), &gold);
  NodePtr a(std::shared_ptr<const Node>(), &answer);
  return same(g, a);
}

}  // namespace r1b::tasks::verifier
