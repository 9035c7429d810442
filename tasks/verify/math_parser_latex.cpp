// Primaries of the math grammar: LaTeX commands and their arguments, functions, brackets, sets,
// matrices (see math_parser_impl.h).
#include <array>
#include <cctype>

#include "tasks/verify/math_parser_impl.h"

namespace r1b::tasks::verifier::parsing {

constexpr std::array<std::string_view, 24> kFunctions = {
    "sin",    "cos",    "tan",    "cot",    "sec",    "csc",  "arcsin", "arccos", "arctan", "arccot", "arcsec", "arccsc",
    "sinh",   "cosh",   "tanh",   "log",    "ln",     "exp",  "lg",     "sqrt",   "abs",    "cbrt",   "coth",   "deg"};

constexpr std::array<std::string_view, 30> kGreek = {
    "alpha", "beta",  "gamma", "delta",   "epsilon", "varepsilon", "zeta",  "eta",   "theta", "vartheta",
    "iota",  "kappa", "lambda", "mu",     "nu",      "xi",         "rho",   "sigma", "tau",   "upsilon",
    "phi",   "varphi", "chi",   "psi",    "omega",   "Gamma",      "Delta", "Theta", "Lambda", "Omega"};

bool is_function_name(std::string_view name) {
  for (auto f : kFunctions) {
    if (f == name) return true;
  }
  return false;
}

bool is_greek(std::string_view name) {
  for (auto g : kGreek) {
    if (g == name) return true;
  }
  return false;
}

// Relation operator of a token, or "".
std::string relation_op(const Token& t) {
  if (t.kind == TokenKind::kSymbol) {
    if (t.text == "=" || t.text == "<" || t.text == ">" || t.text == "<=" || t.text == ">=") return t.text;
    if (t.text == "!=") return "!=";
  }
  if (t.kind == TokenKind::kCommand) {
    const std::string& c = t.text;
    if (c == "le" || c == "leq" || c == "leqslant") return "<=";
    if (c == "ge" || c == "geq" || c == "geqslant") return ">=";
    if (c == "ne" || c == "neq") return "!=";
    if (c == "lt") return "<";
    if (c == "gt") return ">";
    if (c == "in") return "in";
    if (c == "approx" || c == "equiv") return "=";
  }
  return "";
}

NodePtr Parser::parse_latex_arg() {
  DepthGuard guard(*this);
  Token& t = toks_[std::min(pos_, toks_.size() - 1)];
  if (is_sym(t, "{")) return parse_group();
  if (t.kind == TokenKind::kNumber) {
    if (t.text.size() == 1 || t.text[0] == '.') return number_node(next().text);
    std::string first(1, t.text[0]);
    t.text.erase(0, 1);  // the rest of the digits stay for what follows (\frac12)
    return number_node(first);
  }
  if (t.kind == TokenKind::kLetters || t.kind == TokenKind::kCommand || is_sym(t, "(") || is_sym(t, "|")) {
    return parse_primary();
  }
  throw ParseError("missing argument");
}

NodePtr Parser::parse_primary() {
  const Token& t = peek();
  switch (t.kind) {
    case TokenKind::kNumber:
      return parse_number_token();
    case TokenKind::kLetters:
      return parse_word(next().text);
    case TokenKind::kCommand:
      return parse_command(next().text);
    case TokenKind::kSymbol:
      if (t.text == "(" || t.text == "[") return parse_bracketed(next().text[0]);
      if (t.text == "\\{") {
        next();
        return parse_set();
      }
      if (t.text == "{") return parse_group();
      if (t.text == "|") {
        next();
        ++abs_depth_;
        NodePtr inner = parse_expr();
        --abs_depth_;
        expect_sym("|");
        return make_node(NodeKind::kFunction, {inner}, "abs");
      }
      break;
    default:
      break;
  }
  throw ParseError(t.kind == TokenKind::kEnd ? "unexpected end" : "unexpected '" + t.text + "'");
}

NodePtr Parser::parse_word(const std::string& w) {
  if (w == "pi") return make_node(NodeKind::kPi);
  if (w == "infty" || w == "infinity" || w == "inf" || w == "oo") return make_node(NodeKind::kInfinity);
  if (w == "e") return make_node(NodeKind::kE);
  if (w == "i") return make_node(NodeKind::kI);
  if (w == "frac" || w == "binom") return parse_command(w);
  if (is_function_name(w)) return parse_function(w);
  if (w.size() == 1) return make_node(NodeKind::kSymbol, {}, w);
  throw ParseError("unknown word '" + w + "'");
}

NodePtr Parser::parse_command(const std::string& c) {
  if (c == "frac") {
    NodePtr num = parse_latex_arg();
    NodePtr den = parse_latex_arg();
    return make_div(num, den);
  }
  if (c == "sqrt") {
    if (accept_sym("[")) {
      NodePtr index = parse_expr();
      expect_sym("]");
      NodePtr arg = parse_latex_arg();
      return make_node(NodeKind::kFunction, {arg, index}, "root");
    }
    return make_node(NodeKind::kFunction, {parse_latex_arg()}, "sqrt");
  }
  if (c == "binom") {
    NodePtr n = parse_latex_arg();
    NodePtr k = parse_latex_arg();
    return make_node(NodeKind::kFunction, {n, k}, "binom");
  }
  if (c == "pi") return make_node(NodeKind::kPi);
  if (c == "infty" || c == "infin") return make_node(NodeKind::kInfinity);
  if (c == "emptyset" || c == "varnothing") return make_node(NodeKind::kSet);
  if (c == "imath") return make_node(NodeKind::kI);
  if (c == "exp") return parse_function("exp");
  if (is_function_name(c)) return parse_function(c);
  if (is_greek(c)) return make_node(NodeKind::kSymbol, {}, c);
  if (c == "lfloor" || c == "lceil") {
    NodePtr inner = parse_expr();
    const Token& close = next();
    if (!is_cmd(close, c == "lfloor" ? "rfloor" : "rceil")) throw ParseError("unclosed " + c);
    return make_node(NodeKind::kFunction, {inner}, c == "lfloor" ? "floor" : "ceil");
  }
  if (c == "begin") return parse_matrix();
  if (c == "overline" || c == "bar" || c == "vec" || c == "hat" || c == "mathbb") {
    return parse_latex_arg();  // decorations: the decorated thing
  }
  throw ParseError("unsupported command \\" + c);
}

NodePtr Parser::parse_function(std::string name) {
  DepthGuard guard(*this);
  NodePtr power;
  NodePtr base;
  for (int k = 0; k < 2; ++k) {
    if (accept_sym("^")) power = parse_exponent();
    else if (accept_sym("_")) base = parse_latex_arg();
  }
  if (power && power->kind == NodeKind::kNeg && is_plain_integer(*power->children[0]) &&
      power->children[0]->int_digits == "1" && !name.starts_with("arc") && name.size() == 3 &&
      name != "log" && name != "exp") {
    name = "arc" + name;  // \sin^{-1} x = arcsin x
    power = nullptr;
  }
  NodePtr arg;
  if (is_sym(peek(), "(") || is_sym(peek(), "{")) {
    arg = is_sym(peek(), "{") ? parse_group() : parse_primary();
  } else {
    // Bare argument: \sin 2x, \log 8; stops before another function (\sin x \cos x).
    std::vector<NodePtr> factors{parse_power()};
    while (starts_implicit_factor(peek()) && !is_function_token(peek()) && !is_sym(peek(), "(")) {
      factors.push_back(parse_power());
    }
    arg = factors.size() == 1 ? factors[0] : make_node(NodeKind::kMul, std::move(factors));
  }
  if (name == "lg") {
    name = "log";
    base = make_integer("10");
  }
  NodePtr f = base ? make_node(NodeKind::kFunction, {arg, base}, "log_base")
                   : make_node(NodeKind::kFunction, {arg}, name == "cbrt" ? "cbrt" : name);
  if (name == "cbrt") f = make_node(NodeKind::kFunction, {arg, make_integer("3")}, "root");
  if (power) f = make_pow(f, power);
  return f;
}

bool Parser::is_function_token(const Token& t) const {
  return (t.kind == TokenKind::kCommand || t.kind == TokenKind::kLetters) && is_function_name(t.text);
}

NodePtr Parser::parse_bracketed(char open) {
  std::vector<NodePtr> items{parse_relation()};
  while (accept_sym(",")) items.push_back(parse_relation());
  const Token& close = next();
  if (!is_sym(close, ")") && !is_sym(close, "]")) throw ParseError("unclosed bracket");
  char c = close.text[0];
  if (items.size() == 1 && ((open == '(' && c == ')') || (open == '[' && c == ']'))) return items[0];
  if (items.size() == 1) throw ParseError("mismatched brackets");
  auto node = std::make_shared<Node>();
  node->kind = NodeKind::kTuple;
  node->children = std::move(items);
  node->open = open;
  node->close = c;
  return node;
}

NodePtr Parser::parse_set() {
  std::vector<NodePtr> items;
  if (!accept_sym("\\}")) {
    items.push_back(parse_relation());
    while (is_list_separator(peek())) {
      next();
      items.push_back(parse_relation());
    }
    expect_sym("\\}");
  }
  return make_node(NodeKind::kSet, std::move(items));
}

std::string Parser::env_name() {
  expect_sym("{");
  std::string name;
  int guard = 0;
  while (!is_sym(peek(), "}")) {
    if (peek().kind == TokenKind::kEnd || ++guard > 32) throw ParseError("bad environment name");
    name += next().text;
  }
  next();
  return name;
}

NodePtr Parser::parse_matrix() {
  std::string env = env_name();
  if (env != "pmatrix" && env != "bmatrix" && env != "matrix" && env != "Bmatrix" && env != "smallmatrix" &&
      env != "array") {
    throw ParseError("unsupported environment " + env);
  }
  if (env == "array" && is_sym(peek(), "{")) env_name();  // column spec
  std::vector<std::vector<NodePtr>> rows(1);
  for (;;) {
    if (is_cmd(peek(), "end")) break;
    rows.back().push_back(parse_relation());
    if (accept_sym("&")) continue;
    if (accept_sym("\\\\")) {
      if (is_cmd(peek(), "end")) break;
      rows.emplace_back();
      continue;
    }
    if (!is_cmd(peek(), "end")) throw ParseError("bad matrix entry");
  }
  next();
  if (env_name() != env) throw ParseError("mismatched \\end");
  size_t cols = rows[0].size();
  std::vector<NodePtr> items;
  for (auto& row : rows) {
    if (row.size() != cols || cols == 0) throw ParseError("ragged matrix");
    for (auto& item : row) items.push_back(item);
  }
  auto node = std::make_shared<Node>();
  node->kind = NodeKind::kMatrix;
  node->children = std::move(items);
  node->rows = static_cast<int>(rows.size());
  node->cols = static_cast<int>(cols);
  return node;
}

}  // namespace r1b::tasks::verifier::parsing
