#include "tasks/loaders/competitive.h"

#include <re2/re2.h>

#include <cstdint>

#include "tasks/loaders/jsonl_reader.h"

namespace r1b::tasks {

namespace {

struct Limits {
  int64_t time_limit_ms = kDefaultTimeLimitMs;
  int64_t memory_limit_mb = kDefaultMemoryLimitMb;
};

Limits parse_limits(const std::string& statement) {
  static const RE2 kTimeMs(R"(Time Limit:\s*(\d+)\s*ms)");
  static const RE2 kTimeProto(R"(Time Limit:\s*\{'seconds':\s*(\d+),\s*'nanos':\s*(\d+)\})");
  static const RE2 kMemoryMb(R"(Memory Limit:\s*(\d+)\s*MB)");
  static const RE2 kMemoryBytes(R"(Memory Limit:\s*(\d+)\s*Bytes)");
  Limits limits;
  int64_t seconds = 0;
  int64_t nanos = 0;
  int64_t value = 0;
  if (RE2::PartialMatch(statement, kTimeMs, &value) && value > 0) {
    limits.time_limit_ms = value;
  } else if (RE2::PartialMatch(statement, kTimeProto, &seconds, &nanos) && seconds * 1000 + nanos / 1000000 > 0) {
    limits.time_limit_ms = seconds * 1000 + nanos / 1000000;
  }
  if (RE2::PartialMatch(statement, kMemoryMb, &value) && value > 0) {
    limits.memory_limit_mb = value;
  } else if (RE2::PartialMatch(statement, kMemoryBytes, &value) && value > 0) {
    limits.memory_limit_mb = (value + 999999) / 1000000;
  }
  return limits;
}

// "Tags:\n['implementation', 'sortings']" -> "implementation, sortings"; "" without tags.
std::string parse_tags(const std::string& statement) {
  static const RE2 kTagList(R"(Tags:\s*\[([^\]]*)\])");
  static const RE2 kTag(R"('([^']*)')");
  std::string list;
  if (!RE2::PartialMatch(statement, kTagList, &list)) return "";
  re2::StringPiece rest(list);
  std::string tag;
  std::string subject;
  while (RE2::FindAndConsume(&rest, kTag, &tag)) subject += (subject.empty() ? "" : ", ") + tag;
  return subject;
}

Result<std::string> case_string(const nlohmann::json& value, const std::string& field) {
  if (!value.is_string()) return field_error(field, "must be a string");
  return value.get<std::string>();
}

nlohmann::json test_case(std::string input, std::string output) {
  return {{"input", std::move(input)}, {"output", std::move(output)}};
}

// Codeforces: "tests": [{"input": "...", "output": "..."}, ...]
Result<nlohmann::json> codeforces_cases(const nlohmann::json& tests) {
  if (!tests.is_array() || tests.empty()) {
    return field_error("tests", "must be a non-empty array of {\"input\", \"output\"} objects");
  }
  nlohmann::json cases = nlohmann::json::array();
  for (size_t i = 0; i < tests.size(); ++i) {
    const std::string at = "tests[" + std::to_string(i) + "]";
    if (!tests[i].is_object() || !tests[i].contains("input") || !tests[i].contains("output")) {
      return field_error(at, "must be an object with \"input\" and \"output\" strings");
    }
    auto input = case_string(tests[i]["input"], at + ".input");
    R1B_RETURN_IF_ERROR(input);
    auto output = case_string(tests[i]["output"], at + ".output");
    R1B_RETURN_IF_ERROR(output);
    cases.push_back(test_case(*input, *output));
  }
  return cases;
}

// CodeContests: "tests": {"inputs": [...], "outputs": [...]} of equal, non-zero length.
Result<nlohmann::json> code_contests_cases(const nlohmann::json& tests) {
  if (!tests.is_object()) return field_error("tests", "must be an object {\"inputs\": [...], \"outputs\": [...]}");
  for (const char* key : {"inputs", "outputs"}) {
    if (!tests.contains(key) || !tests[key].is_array()) {
      return field_error(std::string("tests.") + key, "must be an array of strings");
    }
  }
  const nlohmann::json& inputs = tests["inputs"];
  const nlohmann::json& outputs = tests["outputs"];
  if (inputs.empty()) return field_error("tests.inputs", "must not be empty");
  if (inputs.size() != outputs.size()) {
    return field_error("tests.outputs", "has " + std::to_string(outputs.size()) + " entries, tests.inputs has " +
                                            std::to_string(inputs.size()) + "; they must pair up");
  }
  nlohmann::json cases = nlohmann::json::array();
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto input = case_string(inputs[i], "tests.inputs[" + std::to_string(i) + "]");
    R1B_RETURN_IF_ERROR(input);
    auto output = case_string(outputs[i], "tests.outputs[" + std::to_string(i) + "]");
    R1B_RETURN_IF_ERROR(output);
    cases.push_back(test_case(*input, *output));
  }
  return cases;
}

}  // namespace

Result<std::vector<Task>> competitive_tasks(const SourceRecords& records, const std::string& pack_name,
                                            PackFormat format) {
  const bool is_codeforces = format == PackFormat::kCodeforces;
  return tasks_from_source_records(records, [&](const SourceRecord& record) -> Result<Task> {
    auto problem = required_string(record.json, "problem");
    R1B_RETURN_IF_ERROR(problem);
    auto tests = record.json.find("tests");
    if (tests == record.json.end() || tests->is_null()) return field_error("tests", "missing (required)");
    auto cases = is_codeforces ? codeforces_cases(*tests) : code_contests_cases(*tests);
    R1B_RETURN_IF_ERROR(cases);
    const Limits limits = parse_limits(*problem);
    Task task;
    task.id = pack_name + "-" + std::to_string(record.index);
    task.kind = TaskKind::kCode;
    task.prompt = *problem;
    task.tests = {{"language", "cpp"},
                  {"time_limit_ms", limits.time_limit_ms},
                  {"memory_limit_mb", limits.memory_limit_mb},
                  {"checker", {{"type", "tokens"}}},
                  {"cases", std::move(cases).value()}};
    task.meta.source = is_codeforces ? "Codeforces" : "CodeContests";
    task.meta.subject = parse_tags(*problem);
    return task;
  });
}

}  // namespace r1b::tasks
