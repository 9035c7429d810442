#include "tasks/verify/math_lexer.h"

#include <array>
#include <cctype>

#include "tasks/verify/answer_normalize.h"

namespace r1b::tasks::verifier {

namespace {

bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Plain-text words read as one token (functions, constants, connectives).
constexpr std::array<std::string_view, 32> kWords = {
    "arcsin", "arccos", "arctan", "arccot", "arcsec", "arccsc", "sinh", "cosh", "tanh", "sqrt", "sin",
    "cos",    "tan",    "cot",    "sec",    "csc",    "log",    "ln",   "exp",  "pi",   "infinity", "infty",
    "inf",    "or",     "and",    "abs",    "oo",     "lg",     "frac", "binom", "cbrt", "deg"};

// Longest known word at the start of `s`, or 0.
size_t known_word_at(std::string_view s) {
  size_t best = 0;
  for (std::string_view w : kWords) {
    if (w.size() > best && s.starts_with(w)) best = w.size();
  }
  return best;
}

}  // namespace

TokenStream tokenize(std::string_view s) {
  TokenStream out;
  int bracket_depth = 0;
  auto push = [&](TokenKind kind, std::string text, size_t offset) {
    out.tokens.push_back({kind, std::move(text), offset});
  };
  size_t i = 0;
  while (i < s.size()) {
    if (out.tokens.size() >= kMaxTokens) {
      out.ok = false;
      out.error = "answer has too many tokens";
      break;
    }
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    size_t start = i;
    if (c == '.' && s.substr(i + 1).starts_with("\\overline")) {  // .\overline{6}
      push(TokenKind::kNumber, "0.", start);
      ++i;
      continue;
    }
    if (is_digit(c) || (c == '.' && i + 1 < s.size() && is_digit(s[i + 1]))) {
      std::string num;
      bool seen_point = false;
      while (i < s.size()) {
        char d = s[i];
        if (is_digit(d)) {
          num += d;
          ++i;
        } else if (d == '.' && !seen_point && i + 1 < s.size() && is_digit(s[i + 1])) {
          seen_point = true;
          num += d;
          ++i;
        } else if (d == '.' && !seen_point && i + 1 < s.size() && s[i + 1] == '\\' &&
                   s.substr(i + 1).starts_with("\\overline")) {
          seen_point = true;  // 0.\overline{3}
          num += d;
          ++i;
          break;
        } else if ((d == kThousandsSeparator || (d == ',' && bracket_depth == 0)) && !seen_point &&
                   i + 3 < s.size() && is_digit(s[i + 1]) && is_digit(s[i + 2]) && is_digit(s[i + 3]) &&
                   (i + 4 >= s.size() || !is_digit(s[i + 4]))) {
          i += 1;  // thousands separator: exactly three digits follow
        } else if (d == kThousandsSeparator) {
          ++i;
        } else {
          break;
        }
      }
      // Plain scientific notation: 1.5e-3, 2E5 (an 'e' not followed by digits is Euler's number).
      if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
        if (j < s.size() && is_digit(s[j]) && !(j + 1 < s.size() && is_alpha(s[j + 1]))) {
          num += 'e';
          num.append(s.substr(i + 1, j - i - 1));
          i = j;
          while (i < s.size() && is_digit(s[i])) num += s[i++];
        }
      }
      push(TokenKind::kNumber, std::move(num), start);
      continue;
    }
    if (c == kThousandsSeparator) {
      ++i;
      continue;
    }
    if (is_alpha(c)) {
      size_t j = i;
      while (j < s.size() && is_alpha(s[j])) ++j;
      std::string_view run = s.substr(i, j - i);
      while (!run.empty()) {
        size_t w = known_word_at(run);
        if (w > 0) {  // "sinx" = sin x; "pix" = pi x
          std::string word(run.substr(0, w));
          push(word == "or" || word == "and" ? TokenKind::kSeparator : TokenKind::kLetters, word,
               static_cast<size_t>(run.data() - s.data()));
          run.remove_prefix(w);
        } else {
          push(TokenKind::kLetters, std::string(1, run[0]), static_cast<size_t>(run.data() - s.data()));
          run.remove_prefix(1);
        }
      }
      i = j;
      continue;
    }
    if (c == '\\') {
      if (i + 1 < s.size() && is_alpha(s[i + 1])) {
        size_t j = i + 1;
        while (j < s.size() && is_alpha(s[j])) ++j;
        std::string name(s.substr(i + 1, j - i - 1));
        i = j;
        if (name == "or") push(TokenKind::kSeparator, "or", start);
        else push(TokenKind::kCommand, std::move(name), start);
        continue;
      }
      if (i + 1 < s.size()) {
        char n = s[i + 1];
        i += 2;
        if (n == '{' || n == '}') {
          bracket_depth += n == '{' ? 1 : -1;
          push(TokenKind::kSymbol, std::string("\\") + n, start);
        } else if (n == '\\') {
          push(TokenKind::kSymbol, "\\\\", start);  // matrix row break
        } else if (n == '|') {
          push(TokenKind::kSymbol, "|", start);  // \| norm: read as |
        }
        // other escaped characters (\%, \$, \#, \&) carry no math and were removed earlier
        continue;
      }
      ++i;
      continue;
    }
    switch (c) {
      case '(':
      case '[':
        ++bracket_depth;
        break;
      case ')':
      case ']':
        --bracket_depth;
        break;
      default:
        break;
    }
    if ((c == '<' || c == '>' || c == '!') && i + 1 < s.size() && s[i + 1] == '=') {
      push(TokenKind::kSymbol, std::string(1, c) + "=", start);
      i += 2;
      continue;
    }
    if (c == '*' && i + 1 < s.size() && s[i + 1] == '*') {
      push(TokenKind::kSymbol, "^", start);  // python power
      i += 2;
      continue;
    }
    if (c == ';') {
      push(TokenKind::kSeparator, ";", start);
      ++i;
      continue;
    }
    static constexpr std::string_view kSymbols = "+-*/^_(){}[],=<>|!&':";
    if (kSymbols.find(c) != std::string_view::npos) {
      push(TokenKind::kSymbol, std::string(1, c), start);
      ++i;
      continue;
    }
    out.ok = false;
    out.error = std::string("unexpected character '") + c + "'";
    break;
  }
  out.tokens.push_back({TokenKind::kEnd, "", s.size()});
  return out;
}

}  // namespace r1b::tasks::verifier
