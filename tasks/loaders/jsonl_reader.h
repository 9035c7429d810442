// Reading pack files record by record, with errors that name FILE:LINE (private to tasks/).
//
// read_jsonl() reads a JSON Lines file: one JSON object per non-blank line (a UTF-8 BOM and
// CRLF line ends are accepted). tasks_from_records() turns the records into tasks with a
// per-format converter, prefixing every error with "FILE:LINE: " and rejecting duplicate ids.
// Failures, one line each:
//   missing file            NotFound     "FILE: no such file; check the pack path"
//   unreadable file         IOError      "FILE: cannot read: <reason>"
//   bad JSON / not object   InvalidInput "FILE:3: invalid JSON at column 7 (...); ..."
//   no records              InvalidInput "FILE: no tasks (...); ..."
//   duplicate id            InvalidInput "FILE:9: duplicate id "x" (first on line 2); ..."
// Plain functions and values; thread-safe (no shared state).
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "tasks/task.h"

namespace r1b::tasks {

// One JSON object of a JSONL file and the 1-based line it was read from.
struct JsonlRecord {
  nlohmann::json json;
  int line = 0;
};

// Every non-blank line of `path`, parsed; fails on the first bad line or when there is none.
Result<std::vector<JsonlRecord>> read_jsonl(const std::string& path);

// The whole file as bytes; NotFound or IOError naming `path`.
Result<std::string> read_file(const std::string& path);

// `status` with "FILE:LINE: " in front of its message (line 0 gives "FILE: ").
Status at_line(const Status& status, const std::string& path, int line);

// Remembers the line of every task id of one file; add() fails on an id seen before,
// naming both lines.
class UniqueIds {
 public:
  explicit UniqueIds(std::string path) : path_(std::move(path)) {}
  Status add(const std::string& id, int line);

 private:
  std::string path_;
  std::unordered_map<std::string, int> line_of_id_;
};

// Field helpers for converters. Errors read 'field "answer": must be a string'.
Status field_error(const std::string& field, const std::string& what);
// The non-empty string `field` of `record`; missing, null, empty or another type is an error.
Result<std::string> required_string(const nlohmann::json& record, const char* field);
// The string `field` of `record`, or "" when it is missing or null; another type is an error.
Result<std::string> optional_string(const nlohmann::json& record, const char* field);

// Converts one record to a task; errors name the field, not the place (the caller adds it).
using RecordToTask = std::function<Result<Task>(const JsonlRecord& record)>;

// Converts every record in order; errors are prefixed with "FILE:LINE: ".
Result<std::vector<Task>> tasks_from_records(const std::string& path,
                                             const std::vector<JsonlRecord>& records,
                                             const RecordToTask& to_task);

}  // namespace r1b::tasks
