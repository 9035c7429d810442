#include "tasks/loaders/jsonl_reader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

namespace r1b::tasks {

namespace {

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1, column 7: DETAIL";
// the line and column are those of the one-line text, so only DETAIL is kept.
std::string parse_error_detail(const nlohmann::json::parse_error& error) {
  std::string_view what = error.what();
  const size_t prefix_end = what.find("] ");
  if (prefix_end != std::string_view::npos) what.remove_prefix(prefix_end + 2);
  const size_t detail = what.find(": ");
  if (detail != std::string_view::npos) what.remove_prefix(detail + 2);
  return std::string(what);
}

}  // namespace

Result<std::string> read_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::not_found(path + ": no such file; check the pack path");
  }
  if (std::filesystem::is_directory(path, ec)) {
    return Status::invalid_input(path + ": is a folder, not a pack file; name the file itself");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::io_error(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return Status::io_error(path + ": cannot read: " + std::strerror(errno));
  return bytes.str();
}

Status at_line(const Status& status, const std::string& path, int line) {
  return status.with_context(line > 0 ? path + ":" + std::to_string(line) : path);
}

Result<std::vector<JsonlRecord>> read_jsonl(const std::string& path) {
  auto bytes = read_file(path);
  R1B_RETURN_IF_ERROR(bytes);
  std::string_view rest = *bytes;
  if (rest.starts_with("\xEF\xBB\xBF")) rest.remove_prefix(3);  // UTF-8 byte order mark
  std::vector<JsonlRecord> records;
  for (int line_number = 1; !rest.empty(); ++line_number) {
    const size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (is_blank(line)) continue;
    JsonlRecord record{.json = nullptr, .line = line_number};
    try {
      record.json = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& error) {
      return at_line(Status::invalid_input("invalid JSON at column " + std::to_string(error.byte) + " (" +
                                           parse_error_detail(error) +
                                           "); each non-blank line must be one JSON object"),
                     path, line_number);
    }
    if (!record.json.is_object()) {
      return at_line(Status::invalid_input(std::string("expected a JSON object, got ") +
                                           record.json.type_name() +
                                           "; each non-blank line must be one JSON object"),
                     path, line_number);
    }
    records.push_back(std::move(record));
  }
  if (records.empty()) {
    return Status::invalid_input(path + ": no tasks (the file is empty or has only blank lines); "
                                        "add one JSON object per line");
  }
  return records;
}

Status UniqueIds::add(const std::string& id, int line) {
  auto [it, inserted] = line_of_id_.emplace(id, line);
  if (inserted) return Status::ok();
  return at_line(Status::invalid_input("duplicate id \"" + id + "\" (first used on line " +
                                       std::to_string(it->second) + "); ids must be unique within a pack"),
                 path_, line);
}

Status field_error(const std::string& field, const std::string& what) {
  return Status::invalid_input("field \"" + field + "\": " + what);
}

Result<std::string> required_string(const nlohmann::json& record, const char* field) {
  auto it = record.find(field);
  if (it == record.end() || it->is_null()) return field_error(field, "missing (required)");
  if (!it->is_string()) return field_error(field, "must be a string");
  if (it->get_ref<const std::string&>().empty()) return field_error(field, "must not be empty");
  return it->get<std::string>();
}

Result<std::string> optional_string(const nlohmann::json& record, const char* field) {
  auto it = record.find(field);
  if (it == record.end() || it->is_null()) return std::string();
  if (!it->is_string()) return field_error(field, "must be a string");
  return it->get<std::string>();
}

Result<std::vector<Task>> tasks_from_records(const std::string& path,
                                             const std::vector<JsonlRecord>& records,
                                             const RecordToTask& to_task) {
  std::vector<Task> tasks;
  tasks.reserve(records.size());
  UniqueIds ids(path);
  for (const JsonlRecord& record : records) {
    auto task = to_task(record);
    if (!task.is_ok()) return at_line(task.status(), path, record.line);
    R1B_RETURN_IF_ERROR(ids.add(task->id, record.line));
    tasks.push_back(std::move(task).value());
  }
  return tasks;
}

}  // namespace r1b::tasks
