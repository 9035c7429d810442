#include "tasks/verify/math_parser.h"

#include <stdexcept>

#include "tasks/verify/math_lexer.h"
#include "tasks/verify/math_parser_impl.h"

namespace r1b::tasks::verifier {

namespace parsing {

NodePtr Parser::parse_answer() {
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

NodePtr Parser::parse_relation() {
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

NodePtr Parser::parse_union() {
  NodePtr first = parse_expr();
  if (!is_cmd(peek(), "cup")) return first;
  std::vector<NodePtr> items{first};
  while (is_cmd(peek(), "cup")) {
    next();
    items.push_back(parse_expr());
  }
  return make_node(NodeKind::kUnion, std::move(items));
}

NodePtr Parser::parse_expr() {
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

bool Parser::starts_implicit_factor(const Token& t) const {
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

NodePtr Parser::parse_term() {
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

NodePtr Parser::parse_unary() {
  DepthGuard guard(*this);
  if (accept_sym("-")) return make_neg(parse_unary());
  if (accept_sym("+")) return parse_unary();
  return parse_power();
}

NodePtr Parser::parse_power() {
  NodePtr base = parse_postfix();
  if (accept_sym("^")) {
    NodePtr exponent = parse_exponent();
    base = make_pow(base, exponent);
    while (accept_sym("!")) base = make_node(NodeKind::kFunction, {base}, "factorial");
  }
  return base;
}

NodePtr Parser::parse_exponent() {
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

NodePtr Parser::parse_group() {
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

NodePtr Parser::parse_postfix() {
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

std::string Parser::subscript_text() {
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

NodePtr Parser::apply_subscript(const NodePtr& p) {
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

NodePtr Parser::number_node(const std::string& text) {
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

NodePtr Parser::parse_number_token() {
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

}  // namespace parsing

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
    parsing::Parser parser(std::move(tokens.tokens));
    result.root = parser.parse_answer();
    result.ok = true;
  } catch (const parsing::ParseError& e) {
    result.error = e.what();
  } catch (const std::exception& e) {  // std::stoll range errors and the like: still a parse failure
    result.error = e.what();
  }
  return result;
}

}  // namespace r1b::tasks::verifier
