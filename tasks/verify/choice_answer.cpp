#include "tasks/verify/choice_answer.h"

#include <cctype>
#include <set>

#include "tasks/verify/extract.h"
#include "tasks/verify/latex_text.h"

namespace r1b::tasks::verifier {

namespace {

bool is_letter_in_range(char c, size_t num_choices) {
  char up = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return up >= 'A' && up < static_cast<char>('A' + num_choices);
}

char upper(char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); }

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '\\'; }

// Text with wrappers removed and emphasis turned into spaces, so "**C**" reads as " C ".
std::string plain(std::string_view text) {
  std::string t = unwrap_text_commands(strip_math_delimiters(strip_markdown_emphasis(text)));
  std::string out;
  for (char c : t) out += (c == '$' || c == '{' || c == '}') ? ' ' : c;
  return std::string(trim(out));
}

std::string normalize_option_text(std::string_view text) {
  std::string t = to_lower_ascii(plain(text));
  std::string out;
  bool space = false;
  for (char c : t) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return strip_trailing_punctuation(out);
}

// Letters the text chooses, by the rules in the header.
std::set<char> letters_in(std::string_view raw, size_t num_choices) {
  std::set<char> found;
  const std::string stripped = strip_trailing_punctuation(plain(raw));
  std::string_view s = stripped;
  if (s.size() == 1 && is_letter_in_range(s[0], num_choices)) return {upper(s[0])};
  // Leading letter: "C. 42", "c) foo", "(C) foo", "C: foo", "B - text".
  {
    size_t i = 0;
    bool paren = false;
    if (i < s.size() && (s[i] == '(' || s[i] == '[')) {
      paren = true;
      ++i;
    }
    if (i < s.size() && is_letter_in_range(s[i], num_choices)) {
      size_t j = i + 1;
      if (j == s.size() || s[j] == ')' || s[j] == ']' || s[j] == '.' || s[j] == ':' || s[j] == ',' ||
          (s[j] == ' ' && (j + 1 >= s.size() || s[j + 1] == '-' || paren))) {
        if (!(paren && j < s.size() && s[j] != ')' && s[j] != ']')) found.insert(upper(s[i]));
      }
    }
  }
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (!is_letter_in_range(c, num_choices)) continue;
    bool left_free = i == 0 || !is_word_char(s[i - 1]);
    bool right_free = i + 1 >= s.size() || !is_word_char(s[i + 1]);
    if (!left_free || !right_free) continue;
    bool parenthesized = i > 0 && i + 1 < s.size() && ((s[i - 1] == '(' && s[i + 1] == ')') ||
                                                       (s[i - 1] == '[' && s[i + 1] == ']'));
    if (parenthesized) {
      found.insert(upper(c));
      continue;
    }
    if (!std::isupper(static_cast<unsigned char>(c))) continue;  // lower case only in the forms above
    // The article "A" before a lower-case word ("A good choice") is prose, not a letter.
    if (c == 'A' && i + 2 < s.size() && s[i + 1] == ' ' && std::islower(static_cast<unsigned char>(s[i + 2]))) continue;
    // "I" as a pronoun before a word.
    if (c == 'I' && i + 2 < s.size() && s[i + 1] == ' ' && std::isalpha(static_cast<unsigned char>(s[i + 2]))) continue;
    found.insert(c);
  }
  return found;
}

std::string letters_list(const std::set<char>& letters) {
  std::string out;
  for (char c : letters) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

}  // namespace

std::optional<char> canonical_letter(std::string_view text, size_t num_choices) {
  if (text.size() > 256) return std::nullopt;
  auto letters = letters_in(text, num_choices == 0 ? 26 : num_choices);
  if (letters.size() != 1) return std::nullopt;
  return *letters.begin();
}

ChoiceReading read_choice(std::string_view answer_text, const std::vector<std::string>& choices) {
  ChoiceReading reading;
  reading.answer_text = clip_utf8(answer_text, 512);
  size_t n = choices.empty() ? 4 : choices.size();
  auto letters = letters_in(answer_text.substr(0, 4096), n);
  if (letters.size() == 1) {
    reading.letter = *letters.begin();
    return reading;
  }
  if (letters.size() > 1) {
    reading.reason = "several different letters (" + letters_list(letters) + ") in the final answer";
    return reading;
  }
  std::string norm = normalize_option_text(answer_text.substr(0, 4096));
  std::optional<char> by_text;
  int matches = 0;
  for (size_t k = 0; k < choices.size(); ++k) {
    if (!norm.empty() && normalize_option_text(choices[k]) == norm) {
      by_text = static_cast<char>('A' + k);
      ++matches;
    }
  }
  if (matches == 1) {
    reading.letter = by_text;
    reading.reason = "the answer is the text of option " + std::string(1, *by_text);
    return reading;
  }
  reading.reason = "no option letter (A-" + std::string(1, static_cast<char>('A' + n - 1)) + ") in the final answer";
  return reading;
}

VerifyResult grade_choice(const Task& task, std::string_view completion, const VerifyOptions& options) {
  VerifyResult result;
  size_t n = task.choices.size();
  if (task.answer.size() != 1 || n == 0 || !is_letter_in_range(task.answer[0], n)) {
    result.verdict = Verdict::kJudgeError;
    result.reason = "gold letter \"" + clip_utf8(task.answer, 40) + "\" of task " + task.id +
                    " is not one of the task's options; fix the pack";
    return result;
  }
  char gold = upper(task.answer[0]);
  AnswerRegion region = answer_region(completion, options.answer_after_think);
  if (region.truncated_in_think) {
    result.reason = "truncated inside <think>";
    return result;
  }
  CandidateScan scan = find_candidates(region.text);
  if (scan.unclosed_box) {
    result.reason = "unclosed \\boxed{ at the end (output truncated inside the answer)";
    return result;
  }
  std::string source;
  std::optional<std::string> answer;
  if (!scan.candidates.empty()) {
    const Candidate& last = scan.candidates.back();
    answer = last.text;
    source = "the last " + std::string(candidate_kind_name(last.kind));
  } else {
    // No marked answer: a final line that is only a letter ("(C)", "**C**", "C").
    std::string_view body = trim(region.text);
    size_t nl = body.rfind('\n');
    std::string_view line = trim(nl == std::string_view::npos ? body : body.substr(nl + 1));
    if (!line.empty() && line.size() <= 16 && canonical_letter(line, n)) {
      answer = std::string(line);
      source = "the last line";
    }
  }
  if (!answer) {
    result.reason = "no final answer found (expected \"Answer: X\", \"(X)\" or \\boxed{X})";
    return result;
  }
  ChoiceReading reading = read_choice(*answer, task.choices);
  result.extracted = reading.letter ? std::string(1, *reading.letter) : reading.answer_text;
  if (!reading.letter) {
    result.reason = reading.reason + " (from " + source + ")";
    return result;
  }
  std::string chosen(1, *reading.letter);
  if (*reading.letter == gold) {
    result.verdict = Verdict::kCorrect;
    result.reward = 1.0;
    result.reason = "chose " + chosen + " (from " + source + "), the gold letter";
  } else {
    result.reason = "chose " + chosen + " (from " + source + "); the gold letter is " + std::string(1, gold);
  }
  return result;
}

}  // namespace r1b::tasks::verifier
