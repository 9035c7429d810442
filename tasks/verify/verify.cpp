#include "tasks/verify/verify.h"

#include <array>

#include "tasks/verify/choice_answer.h"
#include "tasks/verify/expression_answer.h"
#include "tasks/verify/format_reward.h"
#include "tasks/verify/integer_answer.h"
#include "tasks/verify/language_mix.h"
#include "tasks/verify/latex_text.h"
#include "tasks/verify/program_answer.h"
#include "tasks/verify/repetition.h"

namespace r1b::tasks {

namespace {

constexpr std::array<std::pair<Verdict, std::string_view>, 7> kVerdictNames = {{
    {Verdict::kCorrect, "correct"},
    {Verdict::kWrong, "wrong"},
    {Verdict::kCompileError, "compile_error"},
    {Verdict::kRuntimeError, "runtime_error"},
    {Verdict::kTimeout, "timeout"},
    {Verdict::kMemoryLimit, "memory_limit"},
    {Verdict::kJudgeError, "judge_error"},
}};

}  // namespace

std::string_view verdict_name(Verdict verdict) {
  for (const auto& [v, name] : kVerdictNames) {
    if (v == verdict) return name;
  }
  return "judge_error";
}

std::optional<Verdict> parse_verdict(std::string_view name) {
  for (const auto& [v, n] : kVerdictNames) {
    if (n == name) return v;
  }
  return std::nullopt;
}

namespace {

VerifyResult grade(const Task& task, std::string_view completion, const VerifyOptions& options) {
  switch (task.kind) {
    case TaskKind::kMath:
      return task.answer_format == AnswerFormat::kInteger ? verifier::grade_integer(task, completion, options)
                                                          : verifier::grade_expression(task, completion, options);
    case TaskKind::kChoice:
      return verifier::grade_choice(task, completion, options);
    case TaskKind::kCode:
      return verifier::grade_code(task, completion);
    case TaskKind::kPatch:
      return verifier::grade_patch(task, completion);
  }
  VerifyResult result;
  result.verdict = Verdict::kJudgeError;
  result.reason = "unknown task kind";
  return result;
}

// Format, repetition and language measures of one sample (never part of the verdict).
void add_style_details(const Task& task, std::string_view completion, const VerifyOptions& options,
                       nlohmann::json& details) {
  FormatOptions format_options;
  // A completion that opens <think> itself is judged as such even under the R1 template.
  format_options.think_opened_by_prompt =
      options.think_opened_by_prompt && completion.find("<think>") == std::string_view::npos;
  FormatCheck format = check_format(completion, format_options);
  details["format"] = {{"ok", format.ok}, {"reason", format.reason}};
  RepetitionReport repetition = detect_repetition(completion);
  details["repetition"] = {{"looping", repetition.looping},
                           {"repeated_share", repetition.repeated_share},
                           {"tail_repeated_share", repetition.tail_repeated_share}};
  size_t close = completion.find("</think>");
  std::string_view reasoning = close == std::string_view::npos ? completion : completion.substr(0, close);
  LanguageMix language = measure_language(task.prompt, reasoning);
  details["language"] = {{"target", language.target},
                         {"share", language.target_share},
                         {"mixed", language.mixed},
                         {"words", language.num_words}};
}

}  // namespace

VerifyResult verify(const Task& task, std::string_view completion, const VerifyOptions& options) {
  VerifyResult result = grade(task, completion, options);
  // Reasons quote the gold and the answer: keep both valid UTF-8 so they can go into JSON.
  result.reason = verifier::valid_utf8(result.reason);
  result.extracted = verifier::valid_utf8(result.extracted);
  if (options.report_style) add_style_details(task, completion, options, result.details);
  return result;
}

bool same_answer(const Task& task, std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return false;
  switch (task.kind) {
    case TaskKind::kMath:
      if (task.answer_format == AnswerFormat::kInteger) {
        auto ia = verifier::integer_value(a), ib = verifier::integer_value(b);
        if (ia && ib) return *ia == *ib;
      }
      return verifier::same_expression(a, b);
    case TaskKind::kChoice: {
      size_t n = task.choices.empty() ? 26 : task.choices.size();
      auto la = verifier::canonical_letter(a, n), lb = verifier::canonical_letter(b, n);
      return la && lb && *la == *lb;
    }
    case TaskKind::kCode:
    case TaskKind::kPatch:
      return a == b;
  }
  return false;
}

std::string_view verifier_version() { return "r1b-verify-4"; }

}  // namespace r1b::tasks
