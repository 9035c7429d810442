// Self-grading on the real public files in ../shared/datasets (skipped when absent): every MATH-500
// reference solution grades correct against its own answer, and every AIME 2024/2025 and AMC 2023
// answer grades correct against itself in its published forms and wrong against another answer.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tasks/verify/verify.h"

namespace r1b::tasks {
namespace {

std::string dataset_path(const std::string& relative) {
  return std::string(R1B_SOURCE_DIR) + "/../shared/datasets/" + relative;
}

std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

TEST(VerifyDatasets, Math500ReferenceSolutionsGradeCorrectAgainstTheirOwnAnswers) {
  std::string path = dataset_path("math500/test.jsonl");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
  auto rows = read_jsonl(path);
  ASSERT_EQ(rows.size(), 500u);
  int correct = 0;
  for (const auto& row : rows) {
    Task task;
    task.id = row["unique_id"];
    task.kind = TaskKind::kMath;
    task.answer = row["answer"];
    task.answer_format = AnswerFormat::kExpression;
    VerifyResult r = verify(task, row["solution"].get<std::string>());
    if (r.correct()) ++correct;
    EXPECT_TRUE(r.correct()) << task.id << ": gold \"" << task.answer << "\", extracted \"" << r.extracted
                             << "\": " << verdict_name(r.verdict) << " (" << r.reason << ")";
  }
  std::printf("MATH-500 self-grade: %d/500 correct\n", correct);
}

// Integer answers as published: "025", 27.0, -1.0, "70".
std::string published(const nlohmann::json& answer) {
  if (answer.is_string()) return answer.get<std::string>();
  if (answer.is_number_float()) {
    std::string s = std::to_string(answer.get<double>());  // "27.000000"
    return s;
  }
  return answer.dump();
}

long long as_integer(const nlohmann::json& answer) {
  return answer.is_string() ? std::stoll(answer.get<std::string>()) : static_cast<long long>(answer.get<double>());
}

void check_integer_pack(const std::string& relative) {
  std::string path = dataset_path(relative);
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found";
  auto rows = read_jsonl(path);
  ASSERT_FALSE(rows.empty());
  for (const auto& row : rows) {
    std::string gold = published(row["answer"]);
    long long value = as_integer(row["answer"]);
    for (AnswerFormat format : {AnswerFormat::kInteger, AnswerFormat::kExpression}) {
      Task task;
      task.id = relative + "#" + row["id"].dump();
      task.kind = TaskKind::kMath;
      task.answer = gold;
      task.answer_format = format;
      for (const std::string& form : {gold, std::to_string(value), row["answer"].dump()}) {
        std::string unquoted = form.size() >= 2 && form.front() == '"' ? form.substr(1, form.size() - 2) : form;
        VerifyResult r = verify(task, "</think>The answer is $\\boxed{" + unquoted + "}$.");
        EXPECT_TRUE(r.correct()) << task.id << " gold " << gold << " form " << unquoted << ": " << r.reason;
      }
      for (long long other : {value + 1, value - 1, value * 10}) {
        VerifyResult r = verify(task, "</think>The answer is $\\boxed{" + std::to_string(other) + "}$.");
        EXPECT_EQ(r.verdict, Verdict::kWrong) << task.id << " gold " << gold << " answer " << other;
      }
    }
  }
}

TEST(VerifyDatasets, Aime2024AnswersGradeAgainstThemselves) { check_integer_pack("aime24/test.jsonl"); }
TEST(VerifyDatasets, Aime2025AnswersGradeAgainstThemselves) { check_integer_pack("aime25/aime25.json"); }
TEST(VerifyDatasets, Amc2023AnswersGradeAgainstThemselves) { check_integer_pack("amc23/test.jsonl"); }

}  // namespace
}  // namespace r1b::tasks
