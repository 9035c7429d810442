#include "harness/replay_backend.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace r1b::harness {
namespace {

using r1b::testing::TempDir;
using r1b::testing::write_file;

Result<std::unique_ptr<Backend>> open(const std::string& path) {
  return make_replay_backend({{"type", "replay"}, {"path", path}}, "test");
}

GenerationRequest request_for(const tasks::Task& task, std::vector<int> indices, const std::string& pack = "p") {
  GenerationRequest r;
  r.pack = pack;
  r.task = &task;
  r.sample_indices = std::move(indices);
  return r;
}

TEST(ReplayBackend, ReturnsSavedCompletionsInSampleOrder) {
  TempDir dir;
  write_file(dir.file("g.jsonl"),
             R"({"task_id": "t1", "completions": ["a", "b"], "completion_tokens": [3, 4], "prompt_tokens": 9})"
             "\n\n"
             R"({"task_id": "t1", "completion": "c"})"
             "\n");
  auto backend = open(dir.file("g.jsonl"));
  ASSERT_TRUE(backend.is_ok()) << backend.status().message();
  tasks::Task task;
  task.id = "t1";
  auto out = (*backend)->generate(request_for(task, {2, 0}));
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].text, "c");
  EXPECT_EQ((*out)[0].sample_idx, 2);
  EXPECT_FALSE((*out)[0].completion_tokens.has_value());
  EXPECT_EQ((*out)[1].text, "a");
  EXPECT_EQ((*out)[1].completion_tokens, 3);
  EXPECT_EQ((*out)[1].prompt_tokens, 9);
}

TEST(ReplayBackend, PackQualifiedLinesWinOverBareTaskIds) {
  TempDir dir;
  write_file(dir.file("g.jsonl"), R"({"task_id": "t", "completion": "bare"})"
                                  "\n"
                                  R"({"task_id": "t", "pack": "q", "completion": "for q"})"
                                  "\n");
  auto backend = open(dir.file("g.jsonl"));
  ASSERT_TRUE(backend.is_ok());
  tasks::Task task;
  task.id = "t";
  EXPECT_EQ((*(*backend)->generate(request_for(task, {0}, "q")))[0].text, "for q");
  EXPECT_EQ((*(*backend)->generate(request_for(task, {0}, "other")))[0].text, "bare");
}

TEST(ReplayBackend, AskingBeyondTheSavedSamplesNamesTheTask) {
  TempDir dir;
  write_file(dir.file("g.jsonl"), R"({"task_id": "t9", "completions": ["x"]})");
  auto backend = open(dir.file("g.jsonl"));
  ASSERT_TRUE(backend.is_ok());
  tasks::Task task;
  task.id = "t9";
  auto out = (*backend)->generate(request_for(task, {0, 1}));
  ASSERT_FALSE(out.is_ok());
  EXPECT_NE(out.status().message().find("t9"), std::string::npos);
  task.id = "missing";
  EXPECT_FALSE((*backend)->generate(request_for(task, {0})).is_ok());
}

TEST(ReplayBackend, BrokenLinesNameFileLineAndField) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"task_id\": \"a\", \"completion\": \"x\"}\n{not json\n", ":2: not valid JSON"},
      {"{\"completion\": \"x\"}\n", ":1: field \"task_id\""},
      {"{\"task_id\": \"a\", \"completions\": [1]}\n", ":1: field \"completions\""},
      {"{\"task_id\": \"a\", \"completions\": [\"x\"], \"completion_tokens\": [1, 2]}\n", "completion_tokens"},
      {"\n\n", "no saved generations"},
  };
  for (const auto& [text, expected] : cases) {
    write_file(dir.file("bad.jsonl"), text);
    auto backend = open(dir.file("bad.jsonl"));
    ASSERT_FALSE(backend.is_ok()) << text;
    EXPECT_NE(backend.status().message().find(expected), std::string::npos) << backend.status().message();
    EXPECT_NE(backend.status().message().find("bad.jsonl"), std::string::npos);
  }
  EXPECT_EQ(open(dir.file("absent.jsonl")).status().code(), StatusCode::kNotFound);
}

TEST(ReplayBackend, UnknownConfigKeyIsRejected) {
  auto backend = make_replay_backend({{"type", "replay"}, {"path", "x"}, {"speed", 2}}, "suite.json backend");
  ASSERT_FALSE(backend.is_ok());
  EXPECT_NE(backend.status().message().find("speed"), std::string::npos);
}

}  // namespace
}  // namespace r1b::harness
