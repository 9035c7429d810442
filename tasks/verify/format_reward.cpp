#include "tasks/verify/format_reward.h"

#include "tasks/verify/latex_text.h"

namespace r1b::tasks {

namespace {

size_t count(std::string_view text, std::string_view needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

FormatCheck broken(std::string reason) {
  FormatCheck check;
  check.reason = std::move(reason);
  return check;
}

}  // namespace

FormatCheck check_format(std::string_view completion, const FormatOptions& options) {
  using verifier::trim;
  size_t opens = count(completion, "<think>");
  size_t closes = count(completion, "</think>");
  if (closes == 0) return broken("no </think>");
  if (closes > 1) return broken("more than one </think>");
  std::string_view body = trim(completion);
  if (options.think_opened_by_prompt) {
    if (opens > 0) return broken("<think> opened again (the prompt already opened it)");
  } else {
    if (opens == 0) return broken("no <think>");
    if (opens > 1) return broken("more than one <think>");
    if (!body.starts_with("<think>")) return broken("text before <think>");
    body.remove_prefix(7);
  }
  size_t close = body.find("</think>");
  if (close == std::string_view::npos) return broken("</think> before <think>");
  if (trim(body.substr(0, close)).empty()) return broken("empty reasoning");
  std::string_view answer = trim(body.substr(close + 8));
  if (answer.empty()) return broken("no answer after </think>");
  if (options.require_answer_tags) {
    if (count(answer, "<answer>") != 1 || count(answer, "</answer>") != 1) {
      return broken("the answer must be one <answer>...</answer> block");
    }
    if (!answer.starts_with("<answer>") || !answer.ends_with("</answer>")) {
      return broken("text outside <answer>...</answer>");
    }
    if (trim(answer.substr(8, answer.size() - 17)).empty()) return broken("empty <answer>");
  }
  FormatCheck check;
  check.ok = true;
  check.reward = 1.0;
  check.reason = "ok";
  return check;
}

}  // namespace r1b::tasks
