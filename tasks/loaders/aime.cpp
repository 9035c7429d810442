#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>

#include "tasks/loaders/loaders.h"

namespace r1b::tasks {

namespace {

Status not_an_integer(const nlohmann::json& answer) {
  return field_error("answer", answer.dump() + " is not an integer; AIME/AMC answers must be integers "
                               "(25, \"025\", 25.0 and \"25.0\" are accepted)");
}

// "025" -> "25", "-3" -> "-3", "27.0" -> "27", "-0" -> "0"; nullopt when `text` is not an integer.
std::optional<std::string> canonical_integer(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return std::nullopt;
  text = text.substr(first, text.find_last_not_of(" \t\r\n") + 1 - first);
  const bool negative = text.starts_with('-');
  if (negative || text.starts_with('+')) text.remove_prefix(1);
  const size_t point = text.find('.');
  if (point != std::string_view::npos) {
    if (text.substr(point + 1).find_first_not_of('0') != std::string_view::npos) return std::nullopt;
    text = text.substr(0, point);
  }
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  text.remove_prefix(std::min(text.find_first_not_of('0'), text.size() - 1));
  return (negative && text != "0" ? "-" : "") + std::string(text);
}

Result<std::string> integer_answer(const nlohmann::json& record) {
  auto it = record.find("answer");
  if (it == record.end() || it->is_null()) return field_error("answer", "missing (required)");
  const nlohmann::json& answer = *it;
  if (answer.is_number_unsigned()) return std::to_string(answer.get<uint64_t>());
  if (answer.is_number_integer()) return std::to_string(answer.get<int64_t>());
  if (answer.is_number_float()) {
    const double value = answer.get<double>();
    if (!std::isfinite(value) || value != std::trunc(value) || std::fabs(value) >= std::ldexp(1.0, 63)) {
      return not_an_integer(answer);
    }
    return std::to_string(static_cast<int64_t>(value));
  }
  if (!answer.is_string()) return not_an_integer(answer);
  auto canonical = canonical_integer(answer.get_ref<const std::string&>());
  if (!canonical) return not_an_integer(answer);
  return *canonical;
}

Result<std::string> task_id(const JsonlRecord& record) {
  auto it = record.json.find("id");
  if (it == record.json.end() || it->is_null()) return std::to_string(record.line);
  if (it->is_number_unsigned()) return std::to_string(it->get<uint64_t>());
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  if (it->is_string() && !it->get_ref<const std::string&>().empty()) return it->get<std::string>();
  return field_error("id", "must be an integer or a non-empty string (or left out: the line number is used)");
}

}  // namespace

Result<Task> aime_task(const JsonlRecord& record) {
  const nlohmann::json& json = record.json;
  Task task;
  auto id = task_id(record);
  R1B_RETURN_IF_ERROR(id);
  task.id = *id;
  if (!json.contains("problem") && !json.contains("question")) {
    return field_error("problem", "missing (required; \"question\" is accepted too)");
  }
  auto problem = required_string(json, json.contains("problem") ? "problem" : "question");
  R1B_RETURN_IF_ERROR(problem);
  task.prompt = *problem;
  auto answer = integer_answer(json);
  R1B_RETURN_IF_ERROR(answer);
  task.answer = *answer;
  task.kind = TaskKind::kMath;
  task.answer_format = AnswerFormat::kInteger;
  task.meta.source = "AIME";

  auto url = optional_string(json, "url");
  R1B_RETURN_IF_ERROR(url);
  if (!url->empty()) {
    task.meta.extra["url"] = *url;
    static const RE2 kContest(R"((\d{4})_(AIME|AMC))");  // e.g. ".../2023_AMC_12A_Problems/..."
    int year = 0;
    std::string contest;
    if (RE2::PartialMatch(*url, kContest, &year, &contest)) {
      task.meta.year = year;
      task.meta.source = contest;
    }
  }
  auto solution = optional_string(json, "solution");
  R1B_RETURN_IF_ERROR(solution);
  if (!solution->empty()) task.meta.extra["solution"] = *solution;
  return task;
}

}  // namespace r1b::tasks
