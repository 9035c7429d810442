// Reading pack files that are one JSON array or JSON Lines, record by record (private to tasks/).
//
// The published competitive-programming and SWE-bench files are one JSON array; exports of the
// same data are often JSONL. read_json_records() accepts both: a file whose first non-blank byte
// is '[' is one JSON array of objects, anything else is JSONL (read_jsonl(), jsonl_reader.h).
// Where a record is, in every error: "FILE:LINE: " for JSONL, "FILE: record N: " for an array,
// N counting from 0 as in `jq '.[N]'`.
// Failures, one line each (besides read_jsonl()'s own):
//   bad JSON             InvalidInput "FILE: invalid JSON at byte 7 (...); the file must be one JSON array ..."
//   element not object   InvalidInput "FILE: record 3: expected a JSON object, got number"
//   empty array          InvalidInput "FILE: no tasks (the array is empty); ..."
//   duplicate id         InvalidInput "FILE: record 9: duplicate id "x" (first used by record 2); ..."
// Plain functions and values; thread-safe (no shared state).
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "tasks/task.h"

namespace r1b::tasks {

// One record and where it was read from.
struct SourceRecord {
  nlohmann::json json;
  size_t index = 0;  // 0-based position among the file's records
  int line = 0;      // JSONL: the 1-based line; 0 for an element of a JSON array
};

struct SourceRecords {
  std::string path;
  bool is_array = false;  // true: the file is one JSON array
  std::vector<SourceRecord> records;

  // `status` with "FILE:LINE: " (JSONL) or "FILE: record N: " (array) in front of its message.
  Status at(const Status& status, const SourceRecord& record) const;
};

// Every record of `path` (never empty on success).
Result<SourceRecords> read_json_records(const std::string& path);

// Converts one record to a task; errors name the field, not the place (the caller adds it).
using SourceRecordToTask = std::function<Result<Task>(const SourceRecord& record)>;

// Converts every record in order; errors are prefixed with the record's place; duplicate ids
// are an error naming both records.
Result<std::vector<Task>> tasks_from_source_records(const SourceRecords& records,
                                                    const SourceRecordToTask& to_task);

}  // namespace r1b::tasks
