#include "sandbox/code_problem.h"

#include <gtest/gtest.h>

namespace r1b::sandbox {
namespace {

using nlohmann::json;

TEST(CodeProblemTest, ParsesEveryField) {
  const json tests = json::parse(R"({"language": "python", "time_limit_ms": 2000, "memory_limit_mb": 64,
    "stop_on_first_failure": false, "checker": {"type": "float", "abs": 1e-4, "rel": 0},
    "cases": [{"input": "1 2\n", "output": "3\n"}]})");
  const Result<CodeProblem> problem = parse_code_problem(tests);
  ASSERT_TRUE(problem.is_ok()) << problem.status().message();
  EXPECT_EQ(problem->language, "python");
  EXPECT_EQ(problem->time_limit_ms, 2000);
  EXPECT_EQ(problem->memory_limit_mb, 64);
  EXPECT_FALSE(problem->stop_on_first_failure);
  EXPECT_EQ(problem->checker.type, CheckerType::kFloat);
  EXPECT_DOUBLE_EQ(problem->checker.abs_tolerance, 1e-4);
  EXPECT_DOUBLE_EQ(problem->checker.rel_tolerance, 0);
  ASSERT_EQ(problem->cases.size(), 1u);
  EXPECT_EQ(problem->cases[0].output, "3\n");
}

TEST(CodeProblemTest, DefaultsApplyWhenFieldsAreMissing) {
  const Result<CodeProblem> problem = parse_code_problem(json::parse(R"({"cases": [{"input": "", "output": ""}]})"));
  ASSERT_TRUE(problem.is_ok());
  EXPECT_EQ(problem->language, "cpp");
  EXPECT_TRUE(problem->stop_on_first_failure);
  EXPECT_EQ(problem->checker.type, CheckerType::kExact);
}

TEST(CodeProblemTest, ErrorsNameTheField) {
  auto error_of = [](const char* text) { return parse_code_problem(json::parse(text)).status().message(); };
  EXPECT_EQ(error_of(R"({"cases": [{"input": "1"}]})"), "tests.cases[0].output: expected a string");
  EXPECT_EQ(error_of(R"({"cases": []})").rfind("tests.cases:", 0), 0u);
  EXPECT_EQ(error_of(R"({"time_limit_ms": -5, "cases": [{"input": "", "output": ""}]})").rfind("tests.time_limit_ms:", 0), 0u);
  EXPECT_EQ(error_of(R"({"language": "cobol", "cases": [{"input": "", "output": ""}]})").rfind("tests.language:", 0), 0u);
  EXPECT_EQ(error_of(R"({"checker": {"type": "program"}, "cases": [{"input": "", "output": ""}]})"),
            "tests.checker.source: expected the checker's source code");
  EXPECT_EQ(error_of(R"({"checker": {"type": "regex"}, "cases": [{"input": "", "output": ""}]})").rfind("tests.checker.type:", 0), 0u);
  EXPECT_EQ(error_of("[1]"), "tests: expected an object");
}

}  // namespace
}  // namespace r1b::sandbox
