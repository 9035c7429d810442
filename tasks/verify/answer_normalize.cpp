#include "tasks/verify/answer_normalize.h"

#include <array>
#include <cctype>
#include <utility>
#include <vector>

#include "tasks/verify/latex_text.h"

namespace r1b::tasks::verifier {

namespace {

bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  if (from.empty()) return s;
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    if (s.compare(i, from.size(), from) == 0) {
      out += to;
      i += from.size();
    } else {
      out += s[i++];
    }
  }
  return out;
}

std::string unicode_to_latex(std::string s) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kMap = {{
      {"\u2212", "-"},        {"\u2013", "-"},        {"\u00d7", "\\times "}, {"\u00b7", "\\cdot "},
      {"\u22c5", "\\cdot "},  {"\u00f7", "\\div "},   {"\u03c0", "\\pi "},    {"\u221a", "\\sqrt"},
      {"\u221e", "\\infty "}, {"\u2264", "\\le "},    {"\u2265", "\\ge "},    {"\u2260", "\\ne "},
      {"\u00b1", "\\pm "},    {"\u00b0", "^\\circ "}, {"\u222a", "\\cup "},   {"\u2208", "\\in "},
      {"\u00a0", " "},        {"\u2009", " "},        {"\u202f", " "},        {"\u2032", "'"},
      {"\u00bd", "(1/2)"},    {"\u2205", "\\emptyset "},
  }};
  bool any_high = false;
  for (char c : s) any_high |= static_cast<unsigned char>(c) >= 0x80;
  if (!any_high) return s;
  for (const auto& [from, to] : kMap) s = replace_all(std::move(s), from, to);
  return s;
}

// Removes a LaTeX command `cmd` (not followed by a letter) everywhere, replacing it by `with`.
std::string remove_command(const std::string& s, std::string_view cmd, std::string_view with) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    if (s.compare(i, cmd.size(), cmd) == 0 && (i + cmd.size() >= s.size() || !is_alpha(s[i + cmd.size()]) ||
                                               !is_alpha(cmd.back()))) {
      out += with;
      i += cmd.size();
    } else {
      out += s[i++];
    }
  }
  return out;
}

std::string remove_sizing_and_spacing(std::string s) {
  // A row break (two backslashes) is kept whole: its second backslash must not start "\ " or "\,".
  constexpr char kRowBreak = '\x1e';
  s = replace_all(std::move(s), "\\\\", std::string(1, kRowBreak));
  // \left. and \right. are invisible delimiters.
  // "10,\\!080" and "11,\\! 111": a comma with a negative thin space groups thousands.
  s = replace_all(std::move(s), ",\\! ", std::string(1, kThousandsSeparator));
  s = replace_all(std::move(s), ",\\!", std::string(1, kThousandsSeparator));
  s = replace_all(std::move(s), "\\left.", "");
  s = replace_all(std::move(s), "\\right.", "");
  for (std::string_view cmd : {"\\displaystyle", "\\left", "\\right", "\\bigl", "\\bigr", "\\Bigl", "\\Bigr",
                               "\\biggl", "\\biggr", "\\Biggl", "\\Biggr", "\\big", "\\Big", "\\bigg", "\\Bigg",
                               "\\limits", "\\nolimits", "\\textstyle", "\\scriptstyle"}) {
    s = remove_command(s, cmd, "");
  }
  for (std::string_view cmd : {"\\qquad", "\\quad", "\\,", "\\!", "\\;", "\\:", "\\ ", "\\>"}) {
    s = remove_command(s, cmd, cmd == "\\!" ? "" : " ");
  }
  s = replace_all(std::move(s), "~", " ");
  s = replace_all(std::move(s), "{,}", std::string(1, kThousandsSeparator));
  s = replace_all(std::move(s), "\\dfrac", "\\frac");
  s = replace_all(std::move(s), "\\tfrac", "\\frac");
  s = replace_all(std::move(s), "\\cfrac", "\\frac");
  s = replace_all(std::move(s), "\\dbinom", "\\binom");
  s = replace_all(std::move(s), "\\tbinom", "\\binom");
  s = replace_all(std::move(s), "\\lbrace", "\\{");
  s = replace_all(std::move(s), "\\rbrace", "\\}");
  s = replace_all(std::move(s), "\\lvert", "|");
  s = replace_all(std::move(s), "\\rvert", "|");
  s = replace_all(std::move(s), "\\vert", "|");
  s = replace_all(std::move(s), "\\mid", "|");
  return replace_all(std::move(s), std::string(1, kRowBreak), "\\\\");
}

// "**5**" -> "5": bold around the whole answer only ("2**3" is a power).
std::string strip_bold(std::string_view s) {
  std::string_view t = trim(s);
  for (std::string_view mark : {"**", "__"}) {
    while (t.size() >= 2 * mark.size() && t.starts_with(mark) && t.ends_with(mark)) {
      t = trim(t.substr(mark.size(), t.size() - 2 * mark.size()));
    }
  }
  return std::string(t);
}

bool remove_flag(std::string& s, std::initializer_list<std::string_view> forms) {
  bool found = false;
  for (std::string_view form : forms) {
    if (s.find(form) == std::string::npos) continue;
    found = true;
    s = replace_all(std::move(s), form, " ");
  }
  return found;
}

constexpr std::array<std::string_view, 14> kWrappers = {"\\text",     "\\textbf", "\\textit",   "\\textrm",
                                                        "\\textnormal", "\\textsf", "\\mbox",   "\\hbox",
                                                        "\\mathrm",   "\\mathbf", "\\mathit",   "\\operatorname",
                                                        "\\mathsf",   "\\mathtt"};

bool is_text_wrapper(std::string_view w) {
  return w != "\\mathrm" && w != "\\mathbf" && w != "\\mathit" && w != "\\operatorname" && w != "\\mathsf" &&
         w != "\\mathtt";
}

struct Piece {
  bool wrapped = false;
  bool text_wrapper = false;
  std::string content;
};

std::vector<Piece> split_wrappers(const std::string& s) {
  std::vector<Piece> pieces;
  std::string outside;
  size_t i = 0;
  while (i < s.size()) {
    bool matched = false;
    if (s[i] == '\\') {
      for (std::string_view w : kWrappers) {
        if (s.compare(i, w.size(), w) != 0) continue;
        size_t open = i + w.size();
        if (open < s.size() && is_alpha(s[open])) continue;
        while (open < s.size() && s[open] == ' ') ++open;
        if (open >= s.size() || s[open] != '{') continue;
        auto close = matching_brace(s, open);
        if (!close) continue;
        if (!outside.empty()) pieces.push_back({false, false, std::move(outside)});
        outside.clear();
        // Nested wrappers inside are unwrapped directly.
        pieces.push_back({true, is_text_wrapper(w), unwrap_text_commands(s.substr(open + 1, *close - open - 1))});
        i = *close + 1;
        matched = true;
        break;
      }
    }
    if (!matched) outside += s[i++];
  }
  if (!outside.empty()) pieces.push_back({false, false, std::move(outside)});
  return pieces;
}

bool blank_or_punct(std::string_view t) {
  for (char c : t) {
    if (!is_space(c) && c != ',' && c != '.' && c != '{' && c != '}' && c != '^' && c != '$') return false;
  }
  return true;
}

bool has_alpha(std::string_view t) {
  for (char c : t) {
    if (is_alpha(c)) return true;
  }
  return false;
}
bool has_digit(std::string_view t) {
  for (char c : t) {
    if (is_digit(c)) return true;
  }
  return false;
}

// Drops a "^2" / "^{3}" that followed a unit.
size_t skip_unit_power(const std::string& s, size_t pos) {
  size_t p = pos;
  while (p < s.size() && s[p] == ' ') ++p;
  if (p < s.size() && s[p] == '^') {
    if (p + 1 < s.size() && is_digit(s[p + 1])) return p + 2;
    if (p + 3 < s.size() && s[p + 1] == '{' && is_digit(s[p + 2]) && s[p + 3] == '}') return p + 4;
  }
  return pos;
}

void note_unit_word(std::string_view unit, NormalizedAnswer& out) {
  std::string u = to_lower_ascii(trim(unit));
  if (u.find("percent") != std::string::npos) out.percent = true;
  if (u.find("degree") != std::string::npos) out.degrees = true;
  if (u.find("dollar") != std::string::npos) out.currency = true;
}

// A lower-case compact form: no spaces, wrappers or dollar signs; "(b)" -> "b"; articles dropped.
std::string compact_text(std::string_view s) {
  std::string t = to_lower_ascii(unwrap_text_commands(s));
  std::string_view v = trim(t);
  for (std::string_view article : {"the ", "an ", "a "}) {
    if (v.starts_with(article) && v.size() > article.size() + 1) {
      v.remove_prefix(article.size());
      break;
    }
  }
  std::string out;
  for (char c : v) {
    if (!is_space(c) && c != '$' && c != '\\' && c != '{' && c != '}') out += c;
  }
  out = strip_trailing_punctuation(out);
  if (out.size() == 3 && out[0] == '(' && out[2] == ')') out = out.substr(1, 1);
  return out;
}

// "5.4 cents", "10 square inches", "15 cm^2": trailing unit words after a number or group.
std::string drop_plain_units(const std::string& s, NormalizedAnswer& out) {
  size_t end = s.size();
  size_t p = end;
  // optional trailing ^2
  if (p >= 2 && s[p - 2] == '^' && is_digit(s[p - 1])) p -= 2;
  size_t words_end = p;
  size_t words_start = p;
  size_t q = p;
  for (;;) {
    size_t we = q;
    while (we > 0 && s[we - 1] == ' ') --we;
    size_t ws = we;
    while (ws > 0 && is_alpha(s[ws - 1])) --ws;
    if (ws == we || we - ws < 2 || ws == 0 || s[ws - 1] != ' ') break;
    std::string word = to_lower_ascii(s.substr(ws, we - ws));
    if (is_math_word(word) || word == "or" || word == "and") break;
    words_start = ws;
    q = ws;
  }
  if (words_start == words_end) return s;
  std::string_view before = trim(std::string_view(s).substr(0, words_start));
  if (before.empty()) return s;
  char last = before.back();
  if (!is_digit(last) && last != '}' && last != ')' && last != '.') return s;
  note_unit_word(std::string_view(s).substr(words_start, words_end - words_start), out);
  return std::string(before);
}

bool only_words(std::string_view s) {
  bool long_word = false;
  size_t i = 0;
  while (i < s.size()) {
    if (is_alpha(s[i])) {
      size_t j = i;
      while (j < s.size() && is_alpha(s[j])) ++j;
      std::string word = to_lower_ascii(s.substr(i, j - i));
      if (j - i >= 3 && !is_math_word(word)) long_word = true;
      i = j;
      continue;
    }
    if (!is_space(s[i]) && s[i] != '-' && s[i] != '\'' && s[i] != '.' && s[i] != ',') return false;
    ++i;
  }
  return long_word;
}

}  // namespace

bool is_math_word(std::string_view word) {
  static constexpr std::array<std::string_view, 40> kWords = {
      "sin",  "cos",    "tan",    "cot",    "sec",    "csc",   "arcsin", "arccos", "arctan", "arccot",
      "sinh", "cosh",   "tanh",   "ln",     "log",    "exp",   "sqrt",   "pi",     "infty",  "infinity",
      "inf",  "frac",   "cdot",   "times",  "pm",     "mp",    "le",     "ge",     "leq",    "geq",
      "ne",   "neq",    "cup",    "cap",    "in",     "circ",  "abs",    "binom",  "lg",     "arcsec"};
  for (std::string_view w : kWords) {
    if (w == word) return true;
  }
  return false;
}

NormalizedAnswer normalize_answer(std::string_view raw) {
  NormalizedAnswer out;
  if (raw.size() > kMaxAnswerChars) {
    out.too_long = true;
    return out;
  }
  std::string s = unicode_to_latex(std::string(raw));
  s = strip_math_delimiters(strip_bold(s));
  s = remove_sizing_and_spacing(std::move(s));
  s = strip_trailing_punctuation(s);
  out.percent = remove_flag(s, {"\\%", "%"});
  out.degrees = remove_flag(s, {"^{\\circ}", "^\\circ", "^{\\circ }", "\\circ", "\\degree", "^\\degree"});
  out.currency = remove_flag(s, {"\\$", "\\textdollar"});
  s = replace_all(std::move(s), "$", " ");  // a stray math delimiter left inside the answer

  // Text wrappers: units, separators, text answers.
  std::vector<Piece> pieces = split_wrappers(s);
  bool outside_blank = true;
  std::string wrapped_text;
  for (const Piece& p : pieces) {
    if (!p.wrapped) outside_blank &= blank_or_punct(p.content);
    else wrapped_text += p.content + " ";
  }
  bool any_wrapped = wrapped_text.size() > 0;
  if (any_wrapped && outside_blank && has_alpha(wrapped_text) && !has_digit(wrapped_text)) {
    out.is_text = true;
    out.text = compact_text(wrapped_text);
    std::string t = to_lower_ascii(trim(wrapped_text));
    if (t.find("percent") != std::string::npos || t.find("degree") != std::string::npos) out.is_text = false;
    if (out.is_text) return out;
  }
  std::string rebuilt;
  for (size_t k = 0; k < pieces.size(); ++k) {
    Piece& p = pieces[k];
    if (!p.wrapped) {
      rebuilt += p.content;
      continue;
    }
    std::string c = to_lower_ascii(trim(p.content));
    if (c == "or" || c == "and" || c == "," || c == "or," || c == "and,") {
      rebuilt += " \\or ";
    } else if (p.text_wrapper && has_alpha(c) && !has_digit(c) && !outside_blank) {
      note_unit_word(c, out);  // a unit after the number: dropped (with a following ^2)
      if (k + 1 < pieces.size() && !pieces[k + 1].wrapped) {
        std::string& next = pieces[k + 1].content;
        next = next.substr(std::min(next.size(), skip_unit_power(next, 0)));
      }
    } else {
      rebuilt += p.content;
    }
  }
  s = strip_trailing_punctuation(rebuilt);
  s = drop_plain_units(std::string(trim(s)), out);
  if (out.currency || s.find("dollar") != std::string::npos) {
    for (std::string_view w : {"dollars", "dollar", "USD", "cents"}) {
      if (s.find(w) != std::string::npos) {
        s = replace_all(std::move(s), w, " ");
        out.currency = true;
      }
    }
  }
  s = std::string(trim(s));
  out.text = compact_text(s);
  if (only_words(s)) {
    out.is_text = true;
    return out;
  }
  out.math = std::move(s);
  return out;
}

}  // namespace r1b::tasks::verifier
