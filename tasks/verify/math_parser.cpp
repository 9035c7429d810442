#include "tasks/verify/math_parser.h"

#include <array>
#include <cctype>
#include <stdexcept>

#include "tasks/verify/math_lexer.h"

namespace r1b::tasks::verifier {

namespace {

// Internal only: thrown on a parse failure and caught in parse_math (which never throws).
struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

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

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  NodePtr parse_answer() {
    std::vector<NodePtr> items;
    items.push_back(parse_relation());
    while (is_list_separator(peek())) {
      next();
      if (peek().kind == TokenKind::kEnd) break;  // trailing comma
      items.push_back(parse_relation());
    }
    if (peek().kind != TokenKind::kEnd) throw ParseError("unexpected '" + peek().text + "'");
    if (items.size() == 1) return items[0];
    return make_node(NodeKind::kList, std::move(items));
  }

 private:
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : parser(p) {
      if (++parser.depth_ > kMaxParseDepth) throw ParseError("nested too deeply");
    }
    ~DepthGuard() { --parser.depth_; }
    Parser& parser;
  };

  const Token& peek(size_t ahead = 0) const {
    size_t k = pos_ + ahead;
    return k < toks_.size() ? toks_[k] : toks_.back();
  }
  const Token& next() {
    const Token& t = peek();
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  bool is_sym(const Token& t, std::string_view s) const { return t.kind == TokenKind::kSymbol && t.text == s; }
  bool is_cmd(const Token& t, std::string_view s) const { return t.kind == TokenKind::kCommand && t.text == s; }
  bool accept_sym(std::string_view s) {
    if (!is_sym(peek(), s)) return false;
    next();
    return true;
  }
  void expect_sym(std::string_view s) {
    if (!accept_sym(s)) throw ParseError("expected '" + std::string(s) + "'");
  }
  bool is_list_separator(const Token& t) const { return is_sym(t, ",") || t.kind == TokenKind::kSeparator; }

  NodePtr parse_relation() {
    DepthGuard guard(*this);
    std::vector<NodePtr> children{parse_union()};
    std::vector<std::string> ops;
    for (std::string op = relation_op(peek()); !op.empty(); op = relation_op(peek())) {
      next();
      ops.push_back(op);
      children.push_back(parse_union());
    }
    if (ops.empty()) return children[0];
    auto node = std::make_shared<Node>();
    node->kind = NodeKind::kRelation;
    node->children = std::move(children);
    node->ops = std::move(ops);
    return node;
  }

  NodePtr parse_union() {
    NodePtr first = parse_expr();
    if (!is_cmd(peek(), "cup")) return first;
    std::vector<NodePtr> items{first};
    while (is_cmd(peek(), "cup")) {
      next();
      items.push_back(parse_expr());
    }
    return make_node(NodeKind::kUnion, std::move(items));
  }

  bool is_pm(const Token& t) const { return is_cmd(t, "pm") || is_cmd(t, "mp"); }

  NodePtr parse_expr() {
    DepthGuard guard(*this);
    std::vector<NodePtr> terms;
    if (is_pm(peek())) {
      next();
      return make_node(NodeKind::kPlusMinus, {make_integer("0"), parse_expr()});
    }
    terms.push_back(parse_term());
    for (;;) {
      if (accept_sym("+")) {
        terms.push_back(parse_term());
      } else if (accept_sym("-")) {
        terms.push_back(make_neg(parse_term()));
      } else if (is_pm(peek())) {
        next();
        NodePtr left = terms.size() == 1 ? terms[0] : make_node(NodeKind::kAdd, std::move(terms));
        return make_node(NodeKind::kPlusMinus, {left, parse_expr()});
      } else {
        break;
      }
    }
    return terms.size() == 1 ? terms[0] : make_node(NodeKind::kAdd, std::move(terms));
  }

  bool starts_implicit_factor(const Token& t) const {
    switch (t.kind) {
      case TokenKind::kNumber:
        return peek_prev_kind() != TokenKind::kNumber;
      case TokenKind::kLetters:
        return true;
      case TokenKind::kCommand: {
        const std::string& c = t.text;
        return c == "frac" || c == "sqrt" || c == "pi" || c == "binom" || is_function_name(c) || is_greek(c) ||
               c == "infty" || c == "lfloor" || c == "lceil" || c == "exp";
      }
      case TokenKind::kSymbol:
        return t.text == "(" || (t.text == "|" && abs_depth_ == 0);
      default:
        return false;
    }
  }
  TokenKind peek_prev_kind() const { return pos_ == 0 ? TokenKind::kEnd : toks_[pos_ - 1].kind; }

  static bool is_plain_integer(const Node& n) {
    return n.kind == NodeKind::kNumber && n.frac_digits.empty() && n.rep_digits.empty() && n.exp10 == 0 &&
           n.base == 10 && !n.is_decimal;
  }

  NodePtr parse_term() {
    std::vector<NodePtr> factors{parse_unary()};
    // Mixed number: 137\frac{1}{2}, 1\frac45, -1\frac12 = -(1 + 1/2).
    const Node* whole = factors[0].get();
    bool negated = whole->kind == NodeKind::kNeg;
    if (negated) whole = whole->children[0].get();
    if (is_plain_integer(*whole) && is_cmd(peek(), "frac")) {
      size_t save = pos_;
      std::vector<Token> saved_tokens = toks_;
      next();
      NodePtr num = parse_latex_arg();
      NodePtr den = parse_latex_arg();
      if (is_plain_integer(*num) && is_plain_integer(*den)) {
        NodePtr whole_ptr = negated ? factors[0]->children[0] : factors[0];
        NodePtr mixed = make_node(NodeKind::kAdd, {whole_ptr, make_div(num, den)});
        factors[0] = negated ? make_neg(mixed) : mixed;
      } else {
        pos_ = save;
        toks_ = std::move(saved_tokens);
      }
    }
    for (;;) {
      const Token& t = peek();
      if (is_sym(t, "*") || is_cmd(t, "cdot") || is_cmd(t, "times") || is_cmd(t, "ast")) {
        next();
        factors.push_back(parse_unary());
      } else if (is_sym(t, "/") || is_cmd(t, "div")) {
        next();
        NodePtr den = parse_unary();
        factors.push_back(make_pow(den, make_neg(make_integer("1"))));
      } else if (starts_implicit_factor(t)) {
        factors.push_back(parse_power());
      } else {
        break;
      }
    }
    return factors.size() == 1 ? factors[0] : make_node(NodeKind::kMul, std::move(factors));
  }

  NodePtr parse_unary() {
    DepthGuard guard(*this);
    if (accept_sym("-")) return make_neg(parse_unary());
    if (accept_sym("+")) return parse_unary();
    return parse_power();
  }

  NodePtr parse_power() {
    NodePtr base = parse_postfix();
    if (accept_sym("^")) {
      NodePtr exponent = parse_exponent();
      base = make_pow(base, exponent);
      while (accept_sym("!")) base = make_node(NodeKind::kFunction, {base}, "factorial");
    }
    return base;
  }

  NodePtr parse_exponent() {
    DepthGuard guard(*this);
    const Token& t = peek();
    if (is_sym(t, "{")) return parse_group();
    if (is_sym(t, "-")) {
      next();
      return make_neg(parse_exponent());
    }
    if (t.kind == TokenKind::kNumber) return number_node(next().text);
    if (t.kind == TokenKind::kLetters) return parse_primary();
    return parse_postfix();
  }

  NodePtr parse_group() {
    expect_sym("{");
    if (accept_sym("}")) throw ParseError("empty group");
    NodePtr inner = parse_relation();
    if (is_sym(peek(), ",")) {
      std::vector<NodePtr> items{inner};
      while (accept_sym(",")) items.push_back(parse_relation());
      inner = make_node(NodeKind::kList, std::move(items));
    }
    expect_sym("}");
    return inner;
  }

  NodePtr parse_postfix() {
    NodePtr p = parse_primary();
    for (;;) {
      if (accept_sym("!")) {
        p = make_node(NodeKind::kFunction, {p}, "factorial");
      } else if (is_sym(peek(), "_")) {
        next();
        p = apply_subscript(p);
      } else if (accept_sym("'")) {
        // a prime mark (f') is part of the name
        if (p->kind != NodeKind::kSymbol) throw ParseError("prime on a non-symbol");
        p = make_node(NodeKind::kSymbol, {}, p->text + "'");
      } else {
        break;
      }
    }
    return p;
  }

  std::string subscript_text() {
    if (is_sym(peek(), "{")) {
      next();
      std::string s;
      int guard = 0;
      while (!is_sym(peek(), "}")) {
        if (peek().kind == TokenKind::kEnd || ++guard > 64) throw ParseError("unclosed subscript");
        s += next().text;
      }
      next();
      return s;
    }
    const Token& t = next();
    if (t.kind == TokenKind::kNumber || t.kind == TokenKind::kLetters || t.kind == TokenKind::kCommand) return t.text;
    throw ParseError("bad subscript");
  }

  NodePtr apply_subscript(const NodePtr& p) {
    std::string sub = subscript_text();
    if (p->kind == NodeKind::kSymbol) return make_node(NodeKind::kSymbol, {}, p->text + "_" + sub);
    if (is_plain_integer(*p)) {
      int base = 0;
      for (char c : sub) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || base > 36) throw ParseError("bad base subscript");
        base = base * 10 + (c - '0');
      }
      if (base < 2 || base > 36) throw ParseError("bad base subscript");
      for (char c : p->int_digits) {
        if (c - '0' >= base) throw ParseError("digit out of range for base " + sub);
      }
      auto node = std::make_shared<Node>(*p);
      node->base = base;
      node->base_subscript = true;
      return node;
    }
    throw ParseError("subscript on an expression");
  }

  NodePtr number_node(const std::string& text) {
    auto node = std::make_shared<Node>();
    node->kind = NodeKind::kNumber;
    std::string mantissa = text;
    size_t e = text.find('e');
    if (e != std::string::npos) {
      mantissa = text.substr(0, e);
      std::string exp = text.substr(e + 1);
      if (exp.size() > 7) throw ParseError("exponent too large");
      node->exp10 = std::stoll(exp);
      node->is_decimal = true;
    }
    size_t point = mantissa.find('.');
    if (point != std::string::npos) {
      node->is_decimal = true;
      node->frac_digits = mantissa.substr(point + 1);
      mantissa = mantissa.substr(0, point);
    }
    size_t nz = mantissa.find_first_not_of('0');
    node->int_digits = nz == std::string::npos ? "0" : mantissa.substr(nz);
    if (node->int_digits.size() + node->frac_digits.size() > kMaxNumberDigits) throw ParseError("number too long");
    return node;
  }

  // A LaTeX macro argument: {group}, one digit of a number, one letter, a command atom, or (group).
  NodePtr parse_latex_arg() {
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

  NodePtr parse_primary() {
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

  NodePtr parse_number_token() {
    std::string text = next().text;
    if (text.ends_with(".") && is_cmd(peek(), "overline")) {
      next();
      auto node = std::make_shared<Node>(*number_node(text.substr(0, text.size() - 1)));
      std::string rep = subscript_text();
      for (char c : rep) {
        if (!std::isdigit(static_cast<unsigned char>(c))) throw ParseError("bad repeating digits");
      }
      node->rep_digits = rep;
      node->is_decimal = false;  // 0.\overline{3} is exactly 1/3
      return node;
    }
    if (text.ends_with(".")) throw ParseError("dangling decimal point");
    // 0.1\overline{6}: digits then \overline
    if (is_cmd(peek(), "overline") && text.find('.') != std::string::npos) {
      next();
      auto node = std::make_shared<Node>(*number_node(text));
      node->rep_digits = subscript_text();
      node->is_decimal = false;
      return node;
    }
    return number_node(text);
  }

  NodePtr parse_word(const std::string& w) {
    if (w == "pi") return make_node(NodeKind::kPi);
    if (w == "infty" || w == "infinity" || w == "inf" || w == "oo") return make_node(NodeKind::kInfinity);
    if (w == "e") return make_node(NodeKind::kE);
    if (w == "i") return make_node(NodeKind::kI);
    if (w == "frac" || w == "binom") return parse_command(w);
    if (is_function_name(w)) return parse_function(w);
    if (w.size() == 1) return make_node(NodeKind::kSymbol, {}, w);
    throw ParseError("unknown word '" + w + "'");
  }

  NodePtr parse_command(const std::string& c) {
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

  NodePtr parse_function(std::string name) {
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

  bool is_function_token(const Token& t) const {
    return (t.kind == TokenKind::kCommand || t.kind == TokenKind::kLetters) && is_function_name(t.text);
  }

  NodePtr parse_bracketed(char open) {
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

  NodePtr parse_set() {
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

  std::string env_name() {
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

  NodePtr parse_matrix() {
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

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  int abs_depth_ = 0;
};

}  // namespace

ParseResult parse_math(std::string_view normalized_math) {
  ParseResult result;
  TokenStream tokens = tokenize(normalized_math);
  if (!tokens.ok) {
    result.error = tokens.error;
    return result;
  }
  if (tokens.tokens.size() <= 1) {
    result.error = "empty answer";
    return result;
  }
  try {
    Parser parser(std::move(tokens.tokens));
    result.root = parser.parse_answer();
    result.ok = true;
  } catch (const ParseError& e) {
    result.error = e.what();
  } catch (const std::exception& e) {  // std::stoll range errors and the like: still a parse failure
    result.error = e.what();
  }
  return result;
}

}  // namespace r1b::tasks::verifier
