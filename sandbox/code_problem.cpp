#include "sandbox/code_problem.h"

#include "sandbox/language.h"

namespace r1b::sandbox {
namespace {

using nlohmann::json;

Status field_error(const std::string& field, const std::string& what) {
  return Status::invalid_input("tests." + field + ": " + what);
}

// Reads an optional positive integer field into `out`.
Status read_positive(const json& tests, const char* field, int64_t& out) {
  if (!tests.contains(field)) return Status::ok();
  const json& value = tests[field];
  if (!value.is_number_integer() || value.get<int64_t>() <= 0) return field_error(field, "expected a positive integer");
  out = value.get<int64_t>();
  return Status::ok();
}

Status read_language(const json& object, const std::string& field, std::string& out) {
  const json& value = object[field.substr(field.rfind('.') + 1)];
  if (!value.is_string() || find_language(value.get<std::string>()) == nullptr) {
    return field_error(field, "expected one of " + language_names());
  }
  out = find_language(value.get<std::string>())->name;
  return Status::ok();
}

Status read_tolerance(const json& checker, const char* field, double& out) {
  if (!checker.contains(field)) return Status::ok();
  const json& value = checker[field];
  if (!value.is_number() || value.get<double>() < 0) {
    return field_error(std::string("checker.") + field, "expected a number >= 0");
  }
  out = value.get<double>();
  return Status::ok();
}

Result<CheckerSpec> parse_checker(const json& checker) {
  if (!checker.is_object() || !checker.contains("type") || !checker["type"].is_string()) {
    return field_error("checker.type", "expected \"exact\", \"tokens\", \"float\" or \"program\"");
  }
  CheckerSpec spec;
  const std::string type = checker["type"].get<std::string>();
  if (type == "exact") {
    spec.type = CheckerType::kExact;
  } else if (type == "tokens") {
    spec.type = CheckerType::kTokens;
  } else if (type == "float") {
    spec.type = CheckerType::kFloat;
    R1B_RETURN_IF_ERROR(read_tolerance(checker, "abs", spec.abs_tolerance));
    R1B_RETURN_IF_ERROR(read_tolerance(checker, "rel", spec.rel_tolerance));
  } else if (type == "program") {
    spec.type = CheckerType::kProgram;
    spec.language = "cpp";
    if (checker.contains("language")) R1B_RETURN_IF_ERROR(read_language(checker, "checker.language", spec.language));
    if (!checker.contains("source") || !checker["source"].is_string() || checker["source"].get<std::string>().empty()) {
      return field_error("checker.source", "expected the checker's source code");
    }
    spec.source = checker["source"].get<std::string>();
  } else {
    return field_error("checker.type", "unknown checker \"" + type + "\" (exact, tokens, float, program)");
  }
  return spec;
}

}  // namespace

Result<CodeProblem> parse_code_problem(const json& tests) {
  if (!tests.is_object()) return Status::invalid_input("tests: expected an object");
  CodeProblem problem;
  if (tests.contains("language")) R1B_RETURN_IF_ERROR(read_language(tests, "language", problem.language));
  R1B_RETURN_IF_ERROR(read_positive(tests, "time_limit_ms", problem.time_limit_ms));
  R1B_RETURN_IF_ERROR(read_positive(tests, "memory_limit_mb", problem.memory_limit_mb));
  if (tests.contains("stop_on_first_failure")) {
    if (!tests["stop_on_first_failure"].is_boolean()) return field_error("stop_on_first_failure", "expected true or false");
    problem.stop_on_first_failure = tests["stop_on_first_failure"].get<bool>();
  }
  if (tests.contains("checker")) {
    Result<CheckerSpec> checker = parse_checker(tests["checker"]);
    if (!checker.is_ok()) return checker.status();
    problem.checker = std::move(checker).value();
  }
  if (!tests.contains("cases") || !tests["cases"].is_array() || tests["cases"].empty()) {
    return field_error("cases", "expected a non-empty array of {\"input\", \"output\"}");
  }
  const json& cases = tests["cases"];
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string where = "cases[" + std::to_string(i) + "]";
    if (!cases[i].is_object()) return field_error(where, "expected an object");
    for (const char* field : {"input", "output"}) {
      if (!cases[i].contains(field) || !cases[i][field].is_string()) {
        return field_error(where + "." + field, "expected a string");
      }
    }
    problem.cases.push_back({cases[i]["input"].get<std::string>(), cases[i]["output"].get<std::string>()});
  }
  return problem;
}

}  // namespace r1b::sandbox
