#include "tasks/loaders/swebench.h"

#include <re2/re2.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "tasks/loaders/jsonl_reader.h"

namespace r1b::tasks {

namespace {

// FAIL_TO_PASS / PASS_TO_PASS: a JSON list of strings, or that list encoded as a string.
Result<nlohmann::json> test_list(const nlohmann::json& record, const char* field) {
  auto it = record.find(field);
  if (it == record.end() || it->is_null()) return field_error(field, "missing (required)");
  nlohmann::json list = *it;
  if (list.is_string()) {
    try {
      list = nlohmann::json::parse(it->get<std::string>());
    } catch (const nlohmann::json::parse_error&) {
      return field_error(field, "is a string but not a JSON list of test names (e.g. \"[\\\"test_a\\\"]\")");
    }
  }
  if (!list.is_array() || !std::all_of(list.begin(), list.end(), [](const auto& name) { return name.is_string(); })) {
    return field_error(field, "must be a list of test names (as a JSON array or a string holding one)");
  }
  return list;
}

// The Python files a unified diff creates or changes, in order, once each (data files and
// deleted files are not test targets).
std::vector<std::string> touched_python_files(const std::string& diff) {
  static const RE2 kNewFile(R"((?m)^\+\+\+ b/(\S+\.py)$)");
  std::vector<std::string> files;
  re2::StringPiece rest(diff);
  std::string file;
  while (RE2::FindAndConsume(&rest, kNewFile, &file)) {
    if (std::find(files.begin(), files.end(), file) == files.end()) files.push_back(file);
  }
  return files;
}

std::string test_command(const std::string& test_patch) {
  std::string command = kSwebenchTestCommand;
  for (const std::string& file : touched_python_files(test_patch)) command += " " + file;
  return command;
}

std::string repo_folder(const std::string& repos_dir, std::string repo) {
  for (size_t slash; (slash = repo.find('/')) != std::string::npos;) repo.replace(slash, 1, "__");
  return (std::filesystem::absolute(repos_dir) / repo).lexically_normal().string();
}

Result<Task> swebench_task(const SourceRecord& record, const std::string& repos_dir) {
  const nlohmann::json& json = record.json;
  std::map<std::string, std::string> field;
  for (const char* name : {"instance_id", "repo", "base_commit", "patch", "test_patch", "problem_statement"}) {
    auto value = required_string(json, name);
    R1B_RETURN_IF_ERROR(value);
    field[name] = *value;
  }
  auto fail_to_pass = test_list(json, "FAIL_TO_PASS");
  R1B_RETURN_IF_ERROR(fail_to_pass);
  auto pass_to_pass = test_list(json, "PASS_TO_PASS");
  R1B_RETURN_IF_ERROR(pass_to_pass);
  Task task;
  task.id = field["instance_id"];
  task.kind = TaskKind::kPatch;
  task.prompt = "Repository: " + field["repo"] + "\n\n" + field["problem_statement"];
  task.answer = field["patch"];
  task.tests = {{"repo", repo_folder(repos_dir, field["repo"])},
                {"base_commit", field["base_commit"]},
                {"test_patch", field["test_patch"]},
                {"test_command", test_command(field["test_patch"])},
                {"report", "pytest"},
                {"FAIL_TO_PASS", *fail_to_pass},
                {"PASS_TO_PASS", *pass_to_pass}};
  task.meta.source = "SWE-bench";
  task.meta.extra["repo"] = field["repo"];
  for (const char* name : {"version", "environment_setup_commit", "created_at", "hints_text"}) {
    auto value = optional_string(json, name);
    R1B_RETURN_IF_ERROR(value);
    if (!value->empty()) task.meta.extra[name] = *value;
  }
  static const RE2 kYear(R"(^(\d{4})-)");
  int year = 0;
  if (task.meta.extra.contains("created_at") &&
      RE2::PartialMatch(task.meta.extra["created_at"].get<std::string>(), kYear, &year)) {
    task.meta.year = year;
  }
  return task;
}

}  // namespace

Result<std::vector<Task>> swebench_tasks(const SourceRecords& records, const std::string& repos_dir) {
  if (repos_dir.empty()) {
    return Status::invalid_input(records.path + ": SWE-bench tasks need the repositories: set the pack's "
                                 "repos_dir to a folder holding one clone per repository, named owner__name "
                                 "(e.g. django__django)");
  }
  return tasks_from_source_records(
      records, [&](const SourceRecord& record) { return swebench_task(record, repos_dir); });
}

}  // namespace r1b::tasks
