// `r1bench verify` (harness/cli_verify.cpp): one JSON verdict line, exit 0 when graded (correct or
// wrong), 2 with one stderr line on usage and data errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

CliRun run(const std::string& args) {
  CliRun r;
  std::string cmd = std::string(R1B_BINARY) + " verify " + args + " 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string write_temp(const std::string& name, const std::string& content) {
  auto path = std::filesystem::temp_directory_path() / ("r1b_cli_verify_" + std::to_string(getpid()) + "_" + name);
  std::ofstream(path) << content;
  return path.string();
}

TEST(VerifyCli, GoldAndCompletionPrintsOneJsonVerdict) {
  CliRun r = run("--gold " + quote("\\frac{1}{2}") + " --completion " + quote("</think>So \\boxed{0.5}."));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["verdict"], "correct");
  EXPECT_EQ(j["correct"], true);
  EXPECT_EQ(j["reward"], 1.0);
  EXPECT_EQ(j["extracted"], "0.5");
  EXPECT_TRUE(j.contains("reason"));
}

TEST(VerifyCli, WrongAnswerStillExitsZero) {
  CliRun r = run("--gold 25 --format integer --completion " + quote("\\boxed{24}"));
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(r.out)["verdict"], "wrong");
}

TEST(VerifyCli, TaskFileOfAnyKindIsGraded) {
  std::string task = write_temp("task.json",
                                 R"({"id":"g1","kind":"choice","prompt":"Q?","choices":["a","b","c","d"],"answer":"C"})");
  std::string completion = write_temp("completion.txt", "Thinking...\nAnswer: (c)\n");
  CliRun r = run("--task-file " + quote(task) + " --completion-file " + quote(completion));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["verdict"], "correct");
}

TEST(VerifyCli, UsageAndDataErrorsExitTwo) {
  EXPECT_EQ(run("").exit_code, 2);
  EXPECT_EQ(run("--gold 5").exit_code, 2);
  EXPECT_EQ(run("--task-file /nonexistent/task.json --completion-file /nonexistent/c.txt").exit_code, 2);
  std::string bad = write_temp("bad.json", R"({"id":"x","kind":"choice"})");
  std::string completion = write_temp("c.txt", "Answer: A");
  EXPECT_EQ(run("--task-file " + quote(bad) + " --completion-file " + quote(completion)).exit_code, 2);
  std::string not_json = write_temp("not.json", "{oops");
  EXPECT_EQ(run("--task-file " + quote(not_json) + " --completion-file " + quote(completion)).exit_code, 2);
  EXPECT_EQ(run("--gold 5 --completion x --task-file " + quote(bad)).exit_code, 2);
}

TEST(VerifyCli, UnreadableGoldIsAJudgeErrorWithExitTwo) {
  CliRun r = run("--gold " + quote("\\frac{") + " --completion " + quote("\\boxed{1}"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(nlohmann::json::parse(r.out)["verdict"], "judge_error");
}

}  // namespace
