// Private to math_parser*.cpp: the recursive-descent parser behind parse_math (math_parser.h).
//
// math_parser.cpp holds the arithmetic grammar (relations, sums, products, powers, postfix,
// numbers); math_parser_latex.cpp holds primaries: LaTeX commands and their arguments, functions,
// brackets, sets and matrices. A Parser is used once, by one thread; failures throw ParseError,
// which parse_math turns into ok=false (nothing escapes the module).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tasks/verify/math_ast.h"
#include "tasks/verify/math_lexer.h"
#include "tasks/verify/math_parser.h"

namespace r1b::tasks::verifier::parsing {

struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

bool is_function_name(std::string_view name);  // sin, log, sqrt, ...
bool is_greek(std::string_view name);          // alpha, theta, ...
std::string relation_op(const Token& t);       // "=", "<=", "in", ... or ""

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  NodePtr parse_answer();

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

  NodePtr parse_relation();
  NodePtr parse_union();
  bool is_pm(const Token& t) const { return is_cmd(t, "pm") || is_cmd(t, "mp"); }

  NodePtr parse_expr();
  bool starts_implicit_factor(const Token& t) const;
  TokenKind peek_prev_kind() const { return pos_ == 0 ? TokenKind::kEnd : toks_[pos_ - 1].kind; }

  static bool is_plain_integer(const Node& n) {
    return n.kind == NodeKind::kNumber && n.frac_digits.empty() && n.rep_digits.empty() && n.exp10 == 0 &&
           n.base == 10 && !n.is_decimal;
  }

  NodePtr parse_term();
  NodePtr parse_unary();
  NodePtr parse_power();
  NodePtr parse_exponent();
  NodePtr parse_group();
  NodePtr parse_postfix();
  std::string subscript_text();
  NodePtr apply_subscript(const NodePtr& p);
  NodePtr number_node(const std::string& text);

  // A LaTeX macro argument: {group}, one digit of a number, one letter, a command atom, or (group).
  NodePtr parse_latex_arg();
  NodePtr parse_primary();
  NodePtr parse_number_token();
  NodePtr parse_word(const std::string& w);
  NodePtr parse_command(const std::string& c);
  NodePtr parse_function(std::string name);
  bool is_function_token(const Token& t) const;
  NodePtr parse_bracketed(char open);
  NodePtr parse_set();
  std::string env_name();
  NodePtr parse_matrix();

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  int abs_depth_ = 0;
};

}  // namespace r1b::tasks::verifier::parsing
