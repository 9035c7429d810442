#include "tasks/verify/integer_answer.h"

#include <cctype>

#include "tasks/verify/exact_value.h"
#include "tasks/verify/expression_answer.h"
#include "tasks/verify/extract.h"
#include "tasks/verify/latex_text.h"

namespace r1b::tasks::verifier {

namespace {

constexpr size_t kMaxIntegerChars = 4096;

// Removes LaTeX spacing, grouping braces around commas, wrappers and delimiters.
std::string light_clean(std::string_view text) {
  std::string t = unwrap_text_commands(strip_math_delimiters(text));
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '\\' && i + 1 < t.size() && (t[i + 1] == '!' || t[i + 1] == ',' || t[i + 1] == ';' ||
                                            t[i + 1] == ' ' || t[i + 1] == ':')) {
      ++i;
      continue;
    }
    if (t.compare(i, 3, "{,}") == 0) {
      out += ',';
      i += 2;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(t[i])) || t[i] == '{' || t[i] == '}') continue;
    out += t[i];
  }
  // "x=25": the right side of the last '='.
  size_t eq = out.rfind('=');
  if (eq != std::string::npos) out = out.substr(eq + 1);
  for (std::string_view suffix : {"^\\circ", "^{\\circ}", "\\circ", "°"}) {
    if (out.ends_with(suffix)) out.resize(out.size() - suffix.size());
  }
  return strip_trailing_punctuation(out);
}

}  // namespace

std::optional<std::string> canonical_integer(std::string_view text) {
  if (text.size() > kMaxIntegerChars) return std::nullopt;
  std::string t = light_clean(text);
  if (t.empty()) return std::nullopt;
  size_t i = 0;
  bool negative = false;
  if (t[i] == '+' || t[i] == '-') {
    negative = t[i] == '-';
    ++i;
  }
  std::string digits;
  size_t group = 0;       // digits since the last comma
  bool saw_comma = false;
  for (; i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == ','); ++i) {
    if (t[i] == ',') {
      // Thousands separators: groups of exactly three digits after the first comma.
      if (digits.empty() || (saw_comma && group != 3) || (!saw_comma && group > 3)) return std::nullopt;
      saw_comma = true;
      group = 0;
      continue;
    }
    digits += t[i];
    ++group;
  }
  if (digits.empty() || (saw_comma && group != 3)) return std::nullopt;
  if (i < t.size()) {
    if (t[i] != '.') return std::nullopt;
    for (++i; i < t.size(); ++i) {
      if (t[i] != '0') return std::nullopt;  // "27.5" is not an integer
    }
  }
  size_t nz = digits.find_first_not_of('0');
  std::string canonical = nz == std::string::npos ? "0" : digits.substr(nz);
  if (negative && canonical != "0") canonical.insert(canonical.begin(), '-');
  return canonical;
}

std::optional<std::string> integer_value(std::string_view text) {
  if (auto canonical = canonical_integer(text)) return canonical;
  if (text.size() > kMaxIntegerChars) return std::nullopt;
  ParsedAnswer parsed = read_answer(text);
  if (!parsed.tree || !is_scalar(*parsed.tree) || parsed.normalized.percent) return std::nullopt;
  ExactValue value = exact_value(*parsed.tree);
  if (value.status != ExactStatus::kOk || value.value.get_den() != 1) return std::nullopt;
  return value.value.get_num().get_str();
}

VerifyResult grade_integer(const Task& task, std::string_view completion, const VerifyOptions& options) {
  VerifyResult result;
  auto gold = integer_value(task.answer);
  if (!gold) {
    result.verdict = Verdict::kJudgeError;
    result.reason = "gold answer \"" + clip_utf8(task.answer) + "\" of task " + task.id +
                    " is not an integer (answer_format integer); fix the pack";
    return result;
  }
  Extraction ex = extract_final_answer(completion, options.answer_after_think, options.last_number_fallback);
  if (ex.status != ExtractStatus::kFound) {
    result.reason = ex.reason;
    return result;
  }
  result.extracted = ex.answer;
  auto got = integer_value(ex.answer);
  if (!got) {
    result.reason = "answer \"" + clip_utf8(ex.answer) + "\" (" + ex.reason + ") is not an integer";
    return result;
  }
  if (*got == *gold) {
    result.verdict = Verdict::kCorrect;
    result.reward = 1.0;
    result.reason = "integer " + *got + " equals the gold (" + ex.reason + ")";
  } else {
    result.reason = "integer " + clip_utf8(*got) + " differs from the gold " + *gold + " (" + ex.reason + ")";
  }
  return result;
}

}  // namespace r1b::tasks::verifier
