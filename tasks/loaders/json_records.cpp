#include "tasks/loaders/json_records.h"

#include <string_view>
#include <unordered_map>

#include "tasks/loaders/jsonl_reader.h"

namespace r1b::tasks {

namespace {

std::string_view without_bom(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte order mark
  return text;
}

bool starts_with_array(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text[first] == '[';
}

std::string place(const SourceRecords& records, const SourceRecord& record) {
  return records.is_array ? records.path + ": record " + std::to_string(record.index)
                          : records.path + ":" + std::to_string(record.line);
}

Result<SourceRecords> parse_array(const std::string& path, std::string_view text) {
  nlohmann::json array;
  try {
    array = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    return Status::invalid_input(path + ": invalid JSON at byte " + std::to_string(error.byte) +
                                 "; a file that starts with '[' must be one JSON array of objects");
  }
  if (array.empty()) {
    return Status::invalid_input(path + ": no tasks (the array is empty); add one JSON object per task");
  }
  SourceRecords records{.path = path, .is_array = true, .records = {}};
  records.records.reserve(array.size());
  for (size_t index = 0; index < array.size(); ++index) {
    SourceRecord record{.json = std::move(array[index]), .index = index, .line = 0};
    if (!record.json.is_object()) {
      return records.at(Status::invalid_input(std::string("expected a JSON object, got ") +
                                              record.json.type_name() + "; every array element must be one task"),
                        record);
    }
    records.records.push_back(std::move(record));
  }
  return records;
}

}  // namespace

Status SourceRecords::at(const Status& status, const SourceRecord& record) const {
  return status.with_context(place(*this, record));
}

Result<SourceRecords> read_json_records(const std::string& path) {
  auto bytes = read_file(path);
  R1B_RETURN_IF_ERROR(bytes);
  const std::string_view text = without_bom(*bytes);
  if (starts_with_array(text)) return parse_array(path, text);
  auto lines = read_jsonl(path);
  R1B_RETURN_IF_ERROR(lines);
  SourceRecords records{.path = path, .is_array = false, .records = {}};
  records.records.reserve(lines->size());
  for (JsonlRecord& line : *lines) {
    records.records.push_back({.json = std::move(line.json), .index = records.records.size(), .line = line.line});
  }
  return records;
}

Result<std::vector<Task>> tasks_from_source_records(const SourceRecords& records,
                                                    const SourceRecordToTask& to_task) {
  std::vector<Task> tasks;
  tasks.reserve(records.records.size());
  std::unordered_map<std::string, const SourceRecord*> first_of_id;
  for (const SourceRecord& record : records.records) {
    auto task = to_task(record);
    if (!task.is_ok()) return records.at(task.status(), record);
    auto [it, inserted] = first_of_id.emplace(task->id, &record);
    if (!inserted) {
      const std::string first = records.is_array ? "record " + std::to_string(it->second->index)
                                                 : "line " + std::to_string(it->second->line);
      return records.at(Status::invalid_input("duplicate id \"" + task->id + "\" (first used by " + first +
                                              "); ids must be unique within a pack"),
                        record);
    }
    tasks.push_back(std::move(task).value());
  }
  return tasks;
}

}  // namespace r1b::tasks
