#include "tasks/task.h"

#include <climits>
#include <set>

namespace r1b::tasks {

std::string_view kind_name(TaskKind kind) {
  switch (kind) {
    case TaskKind::kMath: return "math";
    case TaskKind::kChoice: return "choice";
    case TaskKind::kCode: return "code";
    case TaskKind::kPatch: return "patch";
  }
  return "math";
}

std::optional<TaskKind> parse_kind(std::string_view name) {
  for (TaskKind kind : {TaskKind::kMath, TaskKind::kChoice, TaskKind::kCode, TaskKind::kPatch}) {
    if (kind_name(kind) == name) return kind;
  }
  return std::nullopt;
}

nlohmann::json task_to_json(const Task& task) {
  nlohmann::json j;
  j["id"] = task.id;
  j["kind"] = kind_name(task.kind);
  j["prompt"] = task.prompt;
  if (!task.choices.empty()) j["choices"] = task.choices;
  if (!task.answer.empty()) j["answer"] = task.answer;
  if (task.kind == TaskKind::kMath) {
    j["answer_format"] = task.answer_format == AnswerFormat::kInteger ? "integer" : "expression";
  }
  if (!task.tests.is_null()) j["tests"] = task.tests;
  nlohmann::json meta = nlohmann::json::object();
  if (!task.meta.source.empty()) meta["source"] = task.meta.source;
  if (task.meta.year) meta["year"] = *task.meta.year;
  if (!task.meta.subject.empty()) meta["subject"] = task.meta.subject;
  if (task.meta.level) meta["level"] = *task.meta.level;
  if (task.meta.rating) meta["rating"] = *task.meta.rating;
  if (!task.meta.extra.empty()) meta["extra"] = task.meta.extra;
  j["meta"] = meta;
  j["split"] = task.split;
  return j;
}

namespace {

Status field_error(const std::string& field, const std::string& what) {
  return Status::invalid_input("field \"" + field + "\": " + what);
}

Result<std::string> required_string(const nlohmann::json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end()) return field_error(field, "missing (required)");
  if (!it->is_string()) return field_error(field, "must be a string");
  if (it->get_ref<const std::string&>().empty()) return field_error(field, "must not be empty");
  return it->get<std::string>();
}

Result<std::optional<int>> optional_int(const nlohmann::json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return std::optional<int>();
  if (!it->is_number_integer()) return field_error(std::string("meta.") + field, "must be an integer");
  const double value = it->get<double>();  // exact near the int bounds, and no wrap-around
  if (value < INT_MIN || value > INT_MAX) return field_error(std::string("meta.") + field, "is out of range");
  return std::optional<int>(it->get<int>());
}

Result<TaskMeta> meta_from_json(const nlohmann::json& j) {
  TaskMeta meta;
  if (j.is_null()) return meta;
  if (!j.is_object()) return field_error("meta", "must be an object");
  static const std::set<std::string> kKnown = {"source", "year", "subject", "level", "rating", "extra"};
  for (const auto& [key, value] : j.items()) {
    if (!kKnown.count(key)) return field_error("meta." + key, "unknown field (known: source, year, subject, level, rating, extra)");
  }
  if (j.contains("source")) {
    if (!j["source"].is_string()) return field_error("meta.source", "must be a string");
    meta.source = j["source"];
  }
  if (j.contains("subject")) {
    if (!j["subject"].is_string()) return field_error("meta.subject", "must be a string");
    meta.subject = j["subject"];
  }
  auto year = optional_int(j, "year");
  R1B_RETURN_IF_ERROR(year);
  meta.year = *year;
  auto level = optional_int(j, "level");
  R1B_RETURN_IF_ERROR(level);
  meta.level = *level;
  auto rating = optional_int(j, "rating");
  R1B_RETURN_IF_ERROR(rating);
  meta.rating = *rating;
  if (j.contains("extra")) {
    if (!j["extra"].is_object()) return field_error("meta.extra", "must be an object");
    meta.extra = j["extra"];
  }
  return meta;
}

}  // namespace

Result<Task> task_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return Status::invalid_input("a task must be a JSON object");
  static const std::set<std::string> kKnown = {"id", "kind", "prompt", "choices", "answer",
                                               "answer_format", "tests", "meta", "split"};
  for (const auto& [key, value] : j.items()) {
    if (!kKnown.count(key)) {
      return field_error(key, "unknown field (known: id, kind, prompt, choices, answer, answer_format, tests, meta, split)");
    }
  }
  Task task;
  auto id = required_string(j, "id");
  R1B_RETURN_IF_ERROR(id);
  task.id = *id;
  auto kind_str = required_string(j, "kind");
  R1B_RETURN_IF_ERROR(kind_str);
  auto kind = parse_kind(*kind_str);
  if (!kind) return field_error("kind", "\"" + *kind_str + "\" is not one of math, choice, code, patch");
  task.kind = *kind;
  auto prompt = required_string(j, "prompt");
  R1B_RETURN_IF_ERROR(prompt);
  task.prompt = *prompt;

  switch (task.kind) {
    case TaskKind::kMath: {
      auto answer = required_string(j, "answer");
      R1B_RETURN_IF_ERROR(answer);
      task.answer = *answer;
      auto format = j.find("answer_format");
      const bool is_integer = format != j.end() && *format == "integer";
      if (format != j.end() && !is_integer && *format != "expression") {
        return field_error("answer_format", "must be \"integer\" or \"expression\"");
      }
      if (is_integer) task.answer_format = AnswerFormat::kInteger;
      break;
    }
    case TaskKind::kChoice: {
      auto it = j.find("choices");
      if (it == j.end() || !it->is_array() || it->size() < 2 || it->size() > 26) {
        return field_error("choices", "must be an array of 2 to 26 strings");
      }
      for (const auto& c : *it) {
        if (!c.is_string()) return field_error("choices", "every choice must be a string");
        task.choices.push_back(c);
      }
      auto answer = required_string(j, "answer");
      R1B_RETURN_IF_ERROR(answer);
      const std::string& a = *answer;
      if (a.size() != 1 || a[0] < 'A' || a[0] >= 'A' + static_cast<int>(task.choices.size())) {
        return field_error("answer", "must be one letter among the choices (A-" +
                                         std::string(1, static_cast<char>('A' + task.choices.size() - 1)) + ")");
      }
      task.answer = a;
      break;
    }
    case TaskKind::kCode:
    case TaskKind::kPatch: {
      auto it = j.find("tests");
      if (it == j.end() || !it->is_object()) return field_error("tests", "must be an object (required for code and patch tasks)");
      task.tests = *it;
      if (j.contains("answer")) {
        if (!j["answer"].is_string()) return field_error("answer", "must be a string");
        task.answer = j["answer"];
      }
      break;
    }
  }
  if (j.contains("split")) {
    if (!j["split"].is_string()) return field_error("split", "must be a string");
    task.split = j["split"];
  }
  auto meta = meta_from_json(j.contains("meta") ? j["meta"] : nlohmann::json());
  R1B_RETURN_IF_ERROR(meta);
  task.meta = *meta;
  return task;
}

}  // namespace r1b::tasks
