#include "tasks/verify/latex_text.h"

#include <array>
#include <cctype>

namespace r1b::tasks::verifier {

std::optional<size_t> matching_brace(std::string_view text, size_t open) {
  if (open >= text.size() || text[open] != '{') return std::nullopt;
  size_t depth = 0;
  for (size_t i = open; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\') {
      ++i;  // skip the escaped character (\{ and \} do not count)
      continue;
    }
    if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (--depth == 0) return i;
    }
  }
  return std::nullopt;
}

std::string_view trim(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  return text.substr(b, e - b);
}

std::string to_lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool starts_with_at(std::string_view text, size_t pos, std::string_view prefix) {
  return pos <= text.size() && text.substr(pos).starts_with(prefix);
}

namespace {

struct Delimiter {
  std::string_view open, close;
};
constexpr std::array<Delimiter, 4> kDelimiters = {{{"$$", "$$"}, {"\\[", "\\]"}, {"\\(", "\\)"}, {"$", "$"}}};

}  // namespace

std::string strip_math_delimiters(std::string_view text) {
  std::string_view t = trim(text);
  for (int round = 0; round < 8; ++round) {
    bool stripped = false;
    for (const auto& d : kDelimiters) {
      if (t.size() >= d.open.size() + d.close.size() && t.starts_with(d.open) && t.ends_with(d.close)) {
        std::string_view inner = t.substr(d.open.size(), t.size() - d.open.size() - d.close.size());
        // "$a$ and $b$" is two segments, not one wrapped text.
        if (d.open == "$" && inner.find('$') != std::string_view::npos) continue;
        t = trim(inner);
        stripped = true;
        break;
      }
    }
    if (!stripped) break;
  }
  return std::string(t);
}

std::optional<MathSegment> last_math_segment_at(std::string_view text) {
  // Scan left to right, recording complete non-empty segments; the last one wins.
  std::optional<MathSegment> last;
  size_t i = 0;
  while (i < text.size()) {
    bool matched = false;
    for (const auto& d : kDelimiters) {
      if (!starts_with_at(text, i, d.open)) continue;
      if (i > 0 && text[i - 1] == '\\' && d.open[0] == '$') continue;  // \$ is a dollar sign
      size_t from = i + d.open.size();
      size_t close = text.find(d.close, from);
      while (d.open == "$" && close != std::string_view::npos && text[close - 1] == '\\') {
        close = text.find(d.close, close + 1);
      }
      if (close == std::string_view::npos) break;
      std::string_view content = trim(text.substr(from, close - from));
      if (!content.empty()) last = MathSegment{std::string(content), i, close + d.close.size()};
      i = close + d.close.size();
      matched = true;
      break;
    }
    if (!matched) ++i;
  }
  return last;
}

std::optional<std::string> last_math_segment(std::string_view text) {
  auto seg = last_math_segment_at(text);
  if (!seg) return std::nullopt;
  return seg->text;
}

std::string strip_markdown_emphasis(std::string_view text) {
  auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == ')' || c == '}'; };
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '`') continue;
    if ((text[i] == '*' || text[i] == '_') && i + 1 < text.size() && text[i + 1] == text[i]) {
      size_t end = i;
      while (end + 1 < text.size() && text[end + 1] == text[i]) ++end;
      // Between two word characters it is an operator ("2**3", "(x+1)**2"), not emphasis.
      bool between_words = i > 0 && end + 1 < text.size() && is_word(text[i - 1]) &&
                           (std::isalnum(static_cast<unsigned char>(text[end + 1])) || text[end + 1] == '(');
      if (between_words) {
        out.append(text.substr(i, end - i + 1));
      }
      i = end;
      continue;
    }
    out += text[i];
  }
  return out;
}

std::string strip_trailing_punctuation(std::string_view text) {
  std::string_view t = trim(text);
  for (;;) {
    std::string_view before = t;
    while (!t.empty() && (t.back() == '.' || t.back() == ',' || t.back() == ';' || t.back() == ':' ||
                          std::isspace(static_cast<unsigned char>(t.back())))) {
      if (t.back() == '.' && t.size() >= 2 && t[t.size() - 2] == '\\') break;
      t.remove_suffix(1);
    }
    for (std::string_view cmd : {"\\.", "\\,", "\\;", "\\!", "\\quad", "\\qquad"}) {
      if (t.ends_with(cmd)) t.remove_suffix(cmd.size());
    }
    if (t == before) break;
  }
  return std::string(t);
}

std::string unwrap_text_commands(std::string_view text) {
  static constexpr std::array<std::string_view, 12> kWrappers = {
      "\\text", "\\textbf", "\\textit", "\\textrm", "\\mathrm", "\\mathbf", "\\mbox", "\\operatorname",
      "\\boxed", "\\fbox", "\\textnormal", "\\mathit"};
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool done = false;
    if (text[i] == '\\') {
      for (std::string_view w : kWrappers) {
        if (!starts_with_at(text, i, w)) continue;
        size_t after = i + w.size();
        if (after < text.size() && std::isalpha(static_cast<unsigned char>(text[after]))) continue;
        size_t open = after;
        while (open < text.size() && text[open] == ' ') ++open;
        if (open >= text.size() || text[open] != '{') continue;
        auto close = matching_brace(text, open);
        if (!close) continue;
        // Recurse on the content (bounded by the input: each level consumes its braces).
        out += unwrap_text_commands(text.substr(open + 1, *close - open - 1));
        i = *close + 1;
        done = true;
        break;
      }
    }
    if (!done) out += text[i++];
  }
  return out;
}

bool is_placeholder(std::string_view text) {
  std::string t = to_lower_ascii(trim(text));
  std::string compact;
  for (char c : t) {
    if (std::isalnum(static_cast<unsigned char>(c))) compact += c;
  }
  static constexpr std::array<std::string_view, 11> kPlaceholders = {
      "letter", "answer", "youranswer", "youranswerhere", "finalanswer", "abcd", "number",
      "yourfinalanswer", "answerletter", "letteranswer", "thelettercorrespondingtotheanswer"};
  if (compact.empty()) {
    // "\boxed{}" or "..." is a placeholder; "\{\}" (empty set) and "∞" are not.
    for (char c : t) {
      if (c == '\\' || static_cast<unsigned char>(c) >= 0x80) return false;
    }
    return true;
  }
  for (std::string_view p : kPlaceholders) {
    if (compact == p) return true;
  }
  return false;
}

std::string clip_utf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // continuation byte
  return std::string(text.substr(0, cut)) + "...";
}

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= text.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (ok && len == 2) ok = c >= 0xC2;                                          // overlong
    if (ok && len == 3) {
      unsigned char c1 = static_cast<unsigned char>(text[i + 1]);
      ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);             // overlong, surrogates
    }
    if (ok && len == 4) {
      unsigned char c1 = static_cast<unsigned char>(text[i + 1]);
      ok = c <= 0xF4 && !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);  // overlong, > U+10FFFF
    }
    if (ok) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

}  // namespace r1b::tasks::verifier
