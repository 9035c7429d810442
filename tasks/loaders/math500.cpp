#include <charconv>
#include <string_view>

#include "tasks/loaders/loaders.h"

namespace r1b::tasks {

namespace {

// level: an int (MATH-500) or a string "Level 3" (the original MATH files); "Level ?" is unknown.
Result<std::optional<int>> parse_level(const nlohmann::json& record) {
  auto it = record.find("level");
  if (it == record.end() || it->is_null()) return std::optional<int>();
  if (it->is_number_integer()) {
    const int64_t level = it->get<int64_t>();
    if (level < 1 || level > 5) return field_error("level", "must be between 1 and 5");
    return std::optional<int>(static_cast<int>(level));
  }
  if (!it->is_string()) return field_error("level", "must be an integer or a string like \"Level 3\"");
  std::string_view text = it->get_ref<const std::string&>();
  if (text.starts_with("Level ")) text.remove_prefix(6);
  if (text == "?") return std::optional<int>();
  int level = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), level);
  if (error != std::errc() || end != text.data() + text.size() || level < 1 || level > 5) {
    return field_error("level", "\"" + it->get<std::string>() +
                                    "\" is not a level; use 1-5 or \"Level 1\"-\"Level 5\"");
  }
  return std::optional<int>(level);
}

}  // namespace

Result<Task> math500_task(const JsonlRecord& record) {
  const nlohmann::json& json = record.json;
  Task task;
  auto id = required_string(json, "unique_id");
  R1B_RETURN_IF_ERROR(id);
  task.id = *id;
  auto problem = required_string(json, "problem");
  R1B_RETURN_IF_ERROR(problem);
  task.prompt = *problem;
  auto answer = required_string(json, "answer");
  R1B_RETURN_IF_ERROR(answer);
  task.answer = *answer;
  task.kind = TaskKind::kMath;
  task.answer_format = AnswerFormat::kExpression;
  task.meta.source = "MATH-500";
  auto subject = optional_string(json, "subject");
  R1B_RETURN_IF_ERROR(subject);
  task.meta.subject = *subject;
  auto level = parse_level(json);
  R1B_RETURN_IF_ERROR(level);
  task.meta.level = *level;
  auto solution = optional_string(json, "solution");
  R1B_RETURN_IF_ERROR(solution);
  if (!solution->empty()) task.meta.extra["solution"] = *solution;
  return task;
}

}  // namespace r1b::tasks
