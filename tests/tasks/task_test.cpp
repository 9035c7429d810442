#include "tasks/task.h"

#include <gtest/gtest.h>

namespace r1b::tasks {
namespace {

using nlohmann::json;

Task math_task() {
  Task task;
  task.id = "aime24-01";
  task.kind = TaskKind::kMath;
  task.prompt = "Find the remainder.";
  task.answer = "25";
  task.answer_format = AnswerFormat::kInteger;
  task.split = "train";
  task.meta.source = "AIME";
  task.meta.year = 2024;
  task.meta.subject = "Number Theory";
  task.meta.level = 3;
  task.meta.rating = 1500;
  task.meta.extra = {{"url", "https://example.org/p1"}, {"permutation", {2, 0, 1, 3}}};
  return task;
}

// Checks every field, so a field the JSON forgets shows up by name.
void expect_same_task(const Task& a, const Task& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.prompt, b.prompt);
  EXPECT_EQ(a.choices, b.choices);
  EXPECT_EQ(a.answer, b.answer);
  EXPECT_EQ(a.answer_format, b.answer_format);
  EXPECT_EQ(a.tests, b.tests);
  EXPECT_EQ(a.split, b.split);
  EXPECT_EQ(a.meta.source, b.meta.source);
  EXPECT_EQ(a.meta.year, b.meta.year);
  EXPECT_EQ(a.meta.subject, b.meta.subject);
  EXPECT_EQ(a.meta.level, b.meta.level);
  EXPECT_EQ(a.meta.rating, b.meta.rating);
  EXPECT_EQ(a.meta.extra, b.meta.extra);
}

std::string error_of(const json& j) {
  auto task = task_from_json(j);
  EXPECT_FALSE(task.is_ok()) << j.dump();
  return task.status().message();
}

TEST(TaskJson, MathTaskRoundTripsExactly) {
  const Task task = math_task();
  auto back = task_from_json(task_to_json(task));
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  expect_same_task(task, *back);
  EXPECT_EQ(task_to_json(*back), task_to_json(task));
}

TEST(TaskJson, ChoiceTaskRoundTripsExactly) {
  Task task;
  task.id = "gpqa-7";
  task.kind = TaskKind::kChoice;
  task.prompt = "Which one?";
  task.choices = {"alpha", "beta", "gamma", "delta"};
  task.answer = "C";
  task.meta.source = "GPQA";
  auto back = task_from_json(task_to_json(task));
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  expect_same_task(task, *back);
}

TEST(TaskJson, CodeTaskKeepsItsTests) {
  Task task;
  task.id = "cf-1A";
  task.kind = TaskKind::kCode;
  task.prompt = "Theatre square.";
  task.tests = {{"cases", json::array({json{{"input", "6 6 4\n"}, {"output", "4\n"}}})}};
  task.meta.rating = 1000;
  auto back = task_from_json(task_to_json(task));
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  expect_same_task(task, *back);
}

TEST(TaskJson, DefaultsApplyWhenOptionalFieldsAreAbsent) {
  auto task = task_from_json({{"id", "x"}, {"kind", "math"}, {"prompt", "p"}, {"answer", "1/2"}});
  ASSERT_TRUE(task.is_ok()) << task.status().message();
  EXPECT_EQ(task->answer_format, AnswerFormat::kExpression);
  EXPECT_EQ(task->split, "test");
  EXPECT_FALSE(task->meta.year.has_value());
  EXPECT_TRUE(task->meta.extra.is_object());
}

TEST(TaskJson, MissingIdNamesTheField) {
  EXPECT_EQ(error_of({{"kind", "math"}, {"prompt", "p"}, {"answer", "1"}}), "field \"id\": missing (required)");
}

TEST(TaskJson, AnswerOfWrongTypeNamesTheField) {
  EXPECT_EQ(error_of({{"id", "x"}, {"kind", "math"}, {"prompt", "p"}, {"answer", 25}}),
            "field \"answer\": must be a string");
}

TEST(TaskJson, UnknownFieldIsRejectedSoTyposAreCaught) {
  EXPECT_NE(error_of({{"id", "x"}, {"kind", "math"}, {"prompt", "p"}, {"answer", "1"}, {"anwser", "1"}})
                .find("field \"anwser\": unknown field"),
            std::string::npos);
}

TEST(TaskJson, UnknownKindIsRejected) {
  EXPECT_NE(error_of({{"id", "x"}, {"kind", "essay"}, {"prompt", "p"}}).find("field \"kind\""), std::string::npos);
}

TEST(TaskJson, ChoiceAnswerOutsideTheChoicesIsRejected) {
  EXPECT_NE(error_of({{"id", "x"}, {"kind", "choice"}, {"prompt", "p"}, {"choices", {"a", "b"}}, {"answer", "C"}})
                .find("field \"answer\": must be one letter among the choices (A-B)"),
            std::string::npos);
}

TEST(TaskJson, AnswerFormatOfWrongTypeIsAnErrorNotAnException) {
  EXPECT_EQ(error_of({{"id", "x"}, {"kind", "math"}, {"prompt", "p"}, {"answer", "1"}, {"answer_format", 5}}),
            "field \"answer_format\": must be \"integer\" or \"expression\"");
}

TEST(TaskJson, MetaYearBeyondIntRangeIsRejectedNotWrapped) {
  EXPECT_EQ(error_of({{"id", "x"}, {"kind", "math"}, {"prompt", "p"}, {"answer", "1"},
                      {"meta", {{"year", 4294967296ULL + 2024}}}}),
            "field \"meta.year\": is out of range");
}

TEST(TaskJson, CodeTaskWithoutTestsIsRejected) {
  EXPECT_NE(error_of({{"id", "x"}, {"kind", "code"}, {"prompt", "p"}}).find("field \"tests\""), std::string::npos);
}

TEST(TaskKindNames, RoundTripAndRejectUnknown) {
  for (TaskKind kind : {TaskKind::kMath, TaskKind::kChoice, TaskKind::kCode, TaskKind::kPatch}) {
    EXPECT_EQ(parse_kind(kind_name(kind)), kind);
  }
  EXPECT_FALSE(parse_kind("Math").has_value());
}

}  // namespace
}  // namespace r1b::tasks
