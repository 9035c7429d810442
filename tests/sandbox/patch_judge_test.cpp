// judge_patch() over the bundled SWE-style pack (packs/swe): for every task the gold patch
// resolves it, the plausible wrong patch does not, the broken one does not apply, and a completion
// without a diff is its own outcome — all through the real sandbox, git and the repos' test runners.
#include "sandbox/patch_judge.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "sandbox_test_util.h"

namespace r1b::sandbox {
namespace {

namespace fs = std::filesystem;

const fs::path kPackDir = fs::path(R1B_SOURCE_DIR) / "packs" / "swe";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream all;
  all << in.rdbuf();
  return all.str();
}

struct PackTask {
  std::string id;
  PatchProblem problem;
};

std::vector<PackTask> pack_tasks() {
  std::vector<PackTask> out;
  std::ifstream in(kPackDir / "tasks.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const nlohmann::json task = nlohmann::json::parse(line);
    auto problem = parse_patch_problem(task["tests"]);
    EXPECT_TRUE(problem.is_ok()) << task["id"] << ": " << problem.status().message();
    if (!problem.is_ok()) continue;
    problem->repo = (kPackDir / problem->repo).string();
    out.push_back({task["id"].get<std::string>(), std::move(*problem)});
  }
  return out;
}

// How a model would answer: some reasoning, then the diff in a fence.
std::string completion_with(const std::string& diff) {
  return "<think>\nThe bug is in the comparison.\n</think>\n\nHere is the fix:\n\n```diff\n" + diff + "```\n";
}

class PackPatchTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PackPatchTest, GoldResolvesWrongDoesNotBadDoesNotApply) {
  R1B_SKIP_WITHOUT_SANDBOX();
  for (const PackTask& task : pack_tasks()) {
    if (task.id != GetParam()) continue;
    const fs::path patches = kPackDir / "patches" / task.id;
    const PatchJudgeResult gold = judge_patch(task.problem, completion_with(read_file(patches / "gold.diff")));
    EXPECT_EQ(patch_outcome_name(gold.outcome), "resolved") << gold.reason;
    const PatchJudgeResult wrong = judge_patch(task.problem, completion_with(read_file(patches / "wrong.diff")));
    EXPECT_EQ(patch_outcome_name(wrong.outcome), "not_resolved") << wrong.reason;
    EXPECT_FALSE(wrong.report.tests.empty()) << "the tests ran and were parsed";
    const PatchJudgeResult bad = judge_patch(task.problem, completion_with(read_file(patches / "bad.diff")));
    EXPECT_EQ(patch_outcome_name(bad.outcome), "patch_not_applied") << bad.reason;
    const PatchJudgeResult none = judge_patch(task.problem, "<think>hmm</think> I would change the comparison.");
    EXPECT_EQ(patch_outcome_name(none.outcome), "no_diff") << none.reason;
    return;
  }
  FAIL() << "task " << GetParam() << " is not in packs/swe/tasks.jsonl";
}

INSTANTIATE_TEST_SUITE_P(SwePack, PackPatchTest,
                         ::testing::Values("semver-prerelease-precedence", "lru-get-recency",
                                           "iniconf-delimiter-in-value", "ringbuf-index-after-wraparound",
                                           "strutil-split-empty-fields"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

TEST(PatchJudgeTest, MissingRepositoryIsAJudgeErrorNotTheModelsFault) {
  R1B_SKIP_WITHOUT_SANDBOX();
  PatchProblem problem;
  problem.repo = "/nonexistent/repo";
  problem.test_command = "true";
  problem.fail_to_pass = {"t"};
  const PatchJudgeResult result =
      judge_patch(problem, "```diff\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n```\n");
  EXPECT_EQ(patch_outcome_name(result.outcome), "judge_error") << result.reason;
}

TEST(PatchJudgeTest, TestsThatRunPastTheLimitAreATimeLimit) {
  R1B_SKIP_WITHOUT_SANDBOX();
  TempDir repo;
  std::ofstream(repo.path() / "a.txt") << "a\n";
  PatchProblem problem;
  problem.repo = repo.path().string();
  problem.test_command = "sleep 30";
  problem.time_limit_ms = 1000;
  problem.fail_to_pass = {"t"};
  const PatchJudgeResult result =
      judge_patch(problem, "```diff\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+b\n```\n");
  EXPECT_EQ(patch_outcome_name(result.outcome), "time_limit") << result.reason;
}

}  // namespace
}  // namespace r1b::sandbox
