#include "tasks/verify/language_mix.h"

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <vector>

namespace r1b::tasks {

namespace {

// Drops math segments, LaTeX commands and think tags: they are not words of any language.
std::string strip_math(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  auto skip_to = [&](std::string_view close, size_t from) {
    size_t at = text.find(close, from);
    return at == std::string_view::npos ? text.size() : at + close.size();
  };
  while (i < text.size()) {
    char c = text[i];
    if (c == '$') {
      bool display = i + 1 < text.size() && text[i + 1] == '$';
      i = skip_to(display ? "$$" : "$", i + (display ? 2 : 1));
      out += ' ';
      continue;
    }
    if (c == '\\' && i + 1 < text.size()) {
      char n = text[i + 1];
      if (n == '(' || n == '[') {
        i = skip_to(n == '(' ? "\\)" : "\\]", i + 2);
        out += ' ';
        continue;
      }
      size_t j = i + 1;
      while (j < text.size() && std::isalpha(static_cast<unsigned char>(text[j]))) ++j;
      i = std::max(j, i + 2);
      out += ' ';
      continue;
    }
    if (c == '<' && (text.substr(i).starts_with("<think>") || text.substr(i).starts_with("</think>"))) {
      i = skip_to(">", i);
      out += ' ';
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

std::string script_class(UScriptCode code) {
  switch (code) {
    case USCRIPT_LATIN: return "Latin";
    case USCRIPT_HAN:
    case USCRIPT_HIRAGANA:
    case USCRIPT_KATAKANA:
    case USCRIPT_BOPOMOFO: return "CJK";
    case USCRIPT_HANGUL: return "Hangul";
    case USCRIPT_CYRILLIC: return "Cyrillic";
    case USCRIPT_GREEK: return "Greek";
    case USCRIPT_ARABIC: return "Arabic";
    case USCRIPT_HEBREW: return "Hebrew";
    case USCRIPT_DEVANAGARI: return "Devanagari";
    case USCRIPT_THAI: return "Thai";
    default: {
      const char* name = uscript_getName(code);
      return name ? name : "Unknown";
    }
  }
}

// Word counts per script class.
std::map<std::string, size_t> count_words(std::string_view text) {
  std::map<std::string, size_t> counts;
  if (text.size() > kMaxLanguageBytes) text = text.substr(0, kMaxLanguageBytes);
  std::string plain = strip_math(text);
  UErrorCode status = U_ZERO_ERROR;
  int32_t length16 = 0;
  u_strFromUTF8WithSub(nullptr, 0, &length16, plain.data(), static_cast<int32_t>(plain.size()), 0xFFFD, nullptr,
                       &status);
  if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status)) return counts;
  std::vector<UChar> utf16(static_cast<size_t>(length16) + 1);
  status = U_ZERO_ERROR;
  u_strFromUTF8WithSub(utf16.data(), length16 + 1, nullptr, plain.data(), static_cast<int32_t>(plain.size()), 0xFFFD,
                       nullptr, &status);
  if (U_FAILURE(status)) return counts;
  std::unique_ptr<UBreakIterator, decltype(&ubrk_close)> words(
      ubrk_open(UBRK_WORD, "", utf16.data(), length16, &status), &ubrk_close);
  if (U_FAILURE(status) || !words) return counts;
  int32_t start = ubrk_first(words.get());
  for (int32_t end = ubrk_next(words.get()); end != UBRK_DONE; start = end, end = ubrk_next(words.get())) {
    if (ubrk_getRuleStatus(words.get()) == UBRK_WORD_NONE) continue;  // spaces, punctuation
    std::map<std::string, size_t> letters;
    size_t num_letters = 0;
    bool cjk = false;
    for (int32_t k = start; k < end;) {
      UChar32 c;
      U16_NEXT(utf16.data(), k, end, c);
      if (!u_isalpha(c)) continue;
      UErrorCode err = U_ZERO_ERROR;
      UScriptCode code = uscript_getScript(c, &err);
      if (U_FAILURE(err) || code == USCRIPT_COMMON || code == USCRIPT_INHERITED) continue;
      std::string cls = script_class(code);
      cjk |= cls == "CJK";
      ++letters[cls];
      ++num_letters;
    }
    if (num_letters == 0 || (num_letters == 1 && !cjk)) continue;  // numbers, variables
    auto best = std::max_element(letters.begin(), letters.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    ++counts[best->first];
  }
  return counts;
}

}  // namespace

std::string dominant_script(std::string_view text) {
  auto counts = count_words(text);
  std::string best;
  size_t best_count = 0;
  for (const auto& [cls, n] : counts) {
    if (n > best_count) {
      best = cls;
      best_count = n;
    }
  }
  return best;
}

LanguageMix measure_language(std::string_view prompt, std::string_view reasoning) {
  LanguageMix mix;
  mix.target = dominant_script(prompt);
  if (mix.target.empty()) mix.target = "Latin";
  mix.words_by_script = count_words(reasoning);
  for (const auto& [cls, n] : mix.words_by_script) mix.num_words += n;
  auto it = mix.words_by_script.find(mix.target);
  mix.num_target_words = it == mix.words_by_script.end() ? 0 : it->second;
  if (mix.num_words > 0) {
    mix.target_share = static_cast<double>(mix.num_target_words) / static_cast<double>(mix.num_words);
  }
  size_t outside = mix.num_words - mix.num_target_words;
  size_t threshold = std::max<size_t>(2, (mix.num_words + 99) / 100);
  mix.mixed = outside >= threshold;
  return mix;
}

}  // namespace r1b::tasks
