// A run killed with SIGKILL and resumed ends with exactly the samples and metrics of a run that
// was not interrupted, and nothing graded is generated twice.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <regex>

#include "results/store.h"
#include "test_util.h"

namespace r1b::harness {
namespace {

using r1b::testing::LoopbackServer;
using r1b::testing::TempDir;

constexpr int kTasks = 40;
constexpr int kSamples = 4;

// The server solves "What is A + B?" right for 2 seeds in 3 and off by one otherwise.
std::string answer(const std::string& prompt, uint64_t seed) {
  std::smatch m;
  static const std::regex kSum(R"(What is (\d+) \+ (\d+)\?)");
  if (!std::regex_search(prompt, m, kSum)) return "no idea";
  long value = std::stol(m[1]) + std::stol(m[2]) + (seed % 3 == 0 ? 1 : 0);
  return "Adding the numbers.\n</think>\n\nThe answer is $\\boxed{" + std::to_string(value) + "}$.";
}

std::string write_suite(const TempDir& dir, const std::string& base_url) {
  std::ofstream pack(dir.file("sums.jsonl"));
  for (int i = 0; i < kTasks; ++i) {
    nlohmann::json t = {{"id", "sum-" + std::to_string(i)}, {"kind", "math"},
                        {"prompt", "What is " + std::to_string(i * 7) + " + " + std::to_string(i * 3 + 1) + "?"},
                        {"answer", std::to_string(i * 10 + 1)}, {"answer_format", "integer"}};
    pack << t.dump() << "\n";
  }
  pack.close();
  nlohmann::json suite = {{"name", "resume-test"},
                          {"packs", {{{"path", dir.file("sums.jsonl")}}}},
                          {"n", kSamples},
                          {"seed", 11},
                          {"backend", {{"type", "openai"}, {"base_url", base_url}, {"model", "m"},
                                       {"concurrency", 2}, {"max_retries", 0}}}};
  std::ofstream(dir.file("suite.json")) << suite.dump();
  return dir.file("suite.json");
}

struct RunData {
  std::vector<results::SampleRow> samples;
  std::vector<results::MetricRow> metrics;
  std::string status;
};

RunData read_run(const std::string& db, int64_t run_id) {
  auto store = results::Store::open(db);
  EXPECT_TRUE(store.is_ok()) << store.status().message();
  RunData data;
  data.samples = *(*store)->samples(run_id);
  data.metrics = *(*store)->metrics(run_id);
  data.status = (*store)->run(run_id)->status;
  return data;
}

int64_t count_samples(const std::string& db) {
  auto store = results::Store::open(db);
  if (!store.is_ok()) return 0;
  auto n = (*store)->num_samples(1);
  return n.is_ok() ? *n : 0;
}

TEST(RunResume, SigkilledRunResumesToTheSameMetricsWithoutRegrading) {
  TempDir dir;
  LoopbackServer server(answer, /*delay_ms=*/15);
  const std::string suite = write_suite(dir, server.base_url());

  // Reference: the same suite, never interrupted.
  auto ref = r1b::testing::run_r1bench({"run", "--suite", suite, "--db", dir.file("ref.db"), "--no-report", "--json"});
  ASSERT_EQ(ref.exit_code, 0) << ref.err;
  const int reference_requests = server.requests();
  ASSERT_EQ(reference_requests, kTasks * kSamples);

  // Interrupted: SIGKILL once part of the samples are committed.
  const std::string db = dir.file("killed.db");
  int pid = r1b::testing::spawn_r1bench({"run", "--suite", suite, "--db", db, "--no-report"});
  ASSERT_GT(pid, 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (count_samples(db) < kTasks * kSamples / 4 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed";
  const int64_t graded_before = count_samples(db);
  ASSERT_GT(graded_before, 0);
  ASSERT_LT(graded_before, kTasks * kSamples);
  EXPECT_EQ(read_run(db, 1).status, "running");

  const int requests_before_resume = server.requests();
  auto resumed = r1b::testing::run_r1bench({"run", "--resume", "1", "--db", db, "--no-report", "--json"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  // Only the samples without a row were asked for again.
  EXPECT_EQ(server.requests() - requests_before_resume, kTasks * kSamples - graded_before);

  RunData a = read_run(dir.file("ref.db"), 1);
  RunData b = read_run(db, 1);
  EXPECT_EQ(b.status, "complete");
  ASSERT_EQ(a.samples.size(), b.samples.size());
  for (size_t i = 0; i < a.samples.size(); ++i) {
    EXPECT_EQ(a.samples[i].task_id, b.samples[i].task_id);
    EXPECT_EQ(a.samples[i].sample_idx, b.samples[i].sample_idx);
    EXPECT_EQ(a.samples[i].completion, b.samples[i].completion);
    EXPECT_EQ(a.samples[i].verdict, b.samples[i].verdict);
  }
  ASSERT_EQ(a.metrics.size(), b.metrics.size());
  ASSERT_FALSE(a.metrics.empty());
  for (size_t i = 0; i < a.metrics.size(); ++i) {
    EXPECT_EQ(a.metrics[i].metric, b.metrics[i].metric);
    EXPECT_EQ(a.metrics[i].slice, b.metrics[i].slice);
    EXPECT_DOUBLE_EQ(a.metrics[i].value, b.metrics[i].value) << a.metrics[i].metric;
    EXPECT_EQ(a.metrics[i].ci_low, b.metrics[i].ci_low);
  }
}

TEST(RunResume, ResumingACompleteRunGeneratesNothing) {
  TempDir dir;
  LoopbackServer server(answer, 0);
  const std::string suite = write_suite(dir, server.base_url());
  auto first = r1b::testing::run_r1bench({"run", "--suite", suite, "--db", dir.file("r.db"), "--no-report"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const int requests = server.requests();
  auto again = r1b::testing::run_r1bench({"run", "--resume", "1", "--db", dir.file("r.db"), "--no-report"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(server.requests(), requests);
}

}  // namespace
}  // namespace r1b::harness
