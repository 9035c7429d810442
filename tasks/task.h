// Task: one problem of a task pack, in the one native schema every kind shares.
//
// Native JSONL (one object per line; see tasks/README.md for the full field table):
//   {"id": "aime24-01", "kind": "math", "prompt": "Find ...", "answer": "25",
//    "answer_format": "integer", "split": "test",
//    "meta": {"source": "AIME", "year": 2024, "subject": "algebra", "level": 3, "rating": 1500}}
//   kind "choice": "choices": ["...", "...", ...] in displayed order, "answer": "C" (a letter)
//   kind "code" / "patch": "tests": {...} (judged by sandbox/, see its README)
// Task is a plain value: copyable and safe to share read-only between threads.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace r1b::tasks {

enum class TaskKind { kMath, kChoice, kCode, kPatch };

std::string_view kind_name(TaskKind kind);
// Parses "math" | "choice" | "code" | "patch"; nullopt for anything else.
std::optional<TaskKind> parse_kind(std::string_view name);

// How a math gold answer is compared. kInteger: integer answers (AIME, AMC);
// kExpression: any LaTeX/plain math answer (MATH-500).
enum class AnswerFormat { kInteger, kExpression };

struct TaskMeta {
  std::string source;              // e.g. "AIME", "MATH", "GPQA"
  std::optional<int> year;
  std::string subject;             // e.g. "Number Theory"
  std::optional<int> level;        // MATH level 1-5
  std::optional<int> rating;       // Codeforces-style rating
  nlohmann::json extra = nlohmann::json::object();  // loader-specific (e.g. GPQA permutation)
};

struct Task {
  std::string id;                  // unique within its pack
  TaskKind kind = TaskKind::kMath;
  std::string prompt;              // the problem statement, without instructions or template
  std::vector<std::string> choices;  // kChoice: options in displayed order (A, B, C, ...)
  std::string answer;              // kMath: gold answer text; kChoice: gold letter
  AnswerFormat answer_format = AnswerFormat::kExpression;
  nlohmann::json tests;            // kCode / kPatch: tests spec; null otherwise
  TaskMeta meta;
  std::string split = "test";
};

// Native JSON <-> Task. to_json/from_json round-trip exactly.
nlohmann::json task_to_json(const Task& task);
// Validates every field; the error names the offending field (the caller adds file:line).
Result<Task> task_from_json(const nlohmann::json& json);

}  // namespace r1b::tasks
