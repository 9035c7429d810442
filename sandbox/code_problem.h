// CodeProblem: a Codeforces-style problem read from a code task's "tests" object
// (schema in sandbox/README.md). Plain values; copyable; thread-compatible.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace r1b::sandbox {

enum class CheckerType { kExact, kTokens, kFloat, kProgram };

struct CheckerSpec {
  CheckerType type = CheckerType::kExact;
  double abs_tolerance = 1e-6;  // kFloat
  double rel_tolerance = 1e-6;  // kFloat
  std::string language;         // kProgram: a language name from language.h
  std::string source;           // kProgram: testlib-style checker source
};

struct TestCase {
  std::string input;
  std::string output;  // the jury's answer
};

struct CodeProblem {
  std::string language = "cpp";    // used when the submission's fence has no tag
  int64_t time_limit_ms = 1000;    // CPU time per test; wall limit = 2 x + 1 s
  int64_t memory_limit_mb = 256;
  bool stop_on_first_failure = true;
  CheckerSpec checker;
  std::vector<TestCase> cases;
};

// Reads a "tests" object. Errors are kInvalidInput naming the field ("tests.cases[2].output:
// expected a string"). Unknown fields are ignored. Thread-safe.
Result<CodeProblem> parse_code_problem(const nlohmann::json& tests);

}  // namespace r1b::sandbox
