#include "sandbox/patch.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace r1b::sandbox {
namespace {

namespace fs = std::filesystem;

const fs::path kSwePack = fs::path(R1B_SOURCE_DIR) / "packs/swe";

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---- extract_diff ------------------------------------------------------------------------------

const char* kDiff =
    "diff --git a/slug.py b/slug.py\n"
    "--- a/slug.py\n"
    "+++ b/slug.py\n"
    "@@ -1,2 +1,2 @@\n"
    " import re\n"
    "-x = 1\n"
    "+x = 2\n";

TEST(ExtractDiff, FencedDiffAfterThinkIsTaken) {
  std::string completion = std::string("<think>maybe\n```diff\n--- a/draft\n+++ b/draft\n```\n</think>\nThe fix:\n```diff\n") +
                           kDiff + "```\nThis keeps the API.";
  auto diff = extract_diff(completion);
  ASSERT_TRUE(diff.is_ok()) << diff.status().message();
  EXPECT_EQ(*diff, kDiff);
}

TEST(ExtractDiff, LastDiffOrPatchBlockWins) {
  std::string completion = std::string("```diff\n--- a/old\n+++ b/old\n```\n```python\nprint(1)\n```\n```patch\n") + kDiff +
                           "```\n```python\nprint(2)\n```\n";
  EXPECT_EQ(*extract_diff(completion), kDiff);
}

TEST(ExtractDiff, CrlfAndMissingFinalNewlineAreNormalised) {
  std::string crlf;
  for (char c : std::string(kDiff)) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  crlf.pop_back();
  crlf.pop_back();  // no final line end
  EXPECT_EQ(*extract_diff("```diff\r\n" + crlf), kDiff);  // unclosed last fence runs to the end
  EXPECT_EQ(*extract_diff("Here it is:\r\n" + crlf), kDiff);
}

TEST(ExtractDiff, UnfencedDiffLeavesProseOut) {
  std::string completion = std::string("I changed x.\n\n") + kDiff + "\nThat should fix it. -- me\n";
  EXPECT_EQ(*extract_diff(completion), kDiff);
}

TEST(ExtractDiff, UnfencedHunkKeepsAStrippedBlankContextLine) {
  std::string diff = "--- a/f.py\n+++ b/f.py\n@@ -1,3 +1,3 @@\n-a\n+b\n \n\n";  // last context line lost its space
  std::string completion = diff + "Done.\n";
  EXPECT_EQ(*extract_diff(completion), "--- a/f.py\n+++ b/f.py\n@@ -1,3 +1,3 @@\n-a\n+b\n \n\n");
}

TEST(ExtractDiff, UnfencedFilesSeparatedByBlankLinesAreOneDiff) {
  std::string second = "diff --git a/b.py b/b.py\n--- a/b.py\n+++ b/b.py\n@@ -1 +1 @@\n-y\n+z\n";
  std::string completion = std::string("Fix:\n") + kDiff + "\n\n" + second + "\nok\n";
  EXPECT_EQ(*extract_diff(completion), std::string(kDiff) + "\n\n" + second);
}

TEST(ExtractDiff, DiffInAnUntaggedFenceIsFound) {
  EXPECT_EQ(*extract_diff(std::string("```\n") + kDiff + "```\n"), kDiff);
}

TEST(ExtractDiff, NoDiffIsAnInvalidInputWithAReason) {
  for (const char* completion : {"", "I would change x to 2.", "</think>```python\nprint(1)\n```", "```diff\n\n```\n",
                                 "--- not a header\nprose\n"}) {
    auto diff = extract_diff(completion);
    ASSERT_FALSE(diff.is_ok()) << completion;
    EXPECT_EQ(diff.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(diff.status().message().find("no diff found"), std::string::npos);
  }
}

TEST(ExtractDiff, DiffOnlyInsideThinkIsNotTaken) {
  auto diff = extract_diff(std::string("<think>\n```diff\n") + kDiff + "```\n</think>\nI am not sure.");
  ASSERT_FALSE(diff.is_ok());
  EXPECT_NE(diff.status().message().find("after </think>"), std::string::npos);
}

// ---- parse_patch_problem -----------------------------------------------------------------------

nlohmann::json demo_tests() {
  return {{"repo", "repos/slugify"},
          {"setup_command", ""},
          {"test_command", "python3 -m pytest -rA"},
          {"FAIL_TO_PASS", {"test_slug.py::test_collapses_dashes"}},
          {"PASS_TO_PASS", {"test_slug.py::test_lowercase"}}};
}

// The error message of parsing `tests`; fails the test when it parses.
std::string error_of(const nlohmann::json& tests) {
  auto problem = parse_patch_problem(tests);
  EXPECT_FALSE(problem.is_ok()) << tests.dump();
  return problem.status().message();
}

TEST(ParsePatchProblem, DemoTaskTakesTheDefaults) {
  auto problem = parse_patch_problem(demo_tests());
  ASSERT_TRUE(problem.is_ok()) << problem.status().message();
  EXPECT_EQ(problem->repo, "repos/slugify");
  EXPECT_EQ(problem->base_commit, "");
  EXPECT_EQ(problem->report.format, ReportFormat::kPytest);
  EXPECT_EQ(problem->time_limit_ms, kDefaultPatchTimeLimitMs);
  EXPECT_EQ(problem->fail_to_pass, std::vector<std::string>{"test_slug.py::test_collapses_dashes"});
  EXPECT_EQ(problem->pass_to_pass, std::vector<std::string>{"test_slug.py::test_lowercase"});
}

TEST(ParsePatchProblem, EveryBundledSweTaskParses) {
  std::ifstream pack(kSwePack / "tasks.jsonl");
  int count = 0;
  for (std::string line; std::getline(pack, line); ++count) {
    auto task = nlohmann::json::parse(line);
    auto problem = parse_patch_problem(task["tests"]);
    EXPECT_TRUE(problem.is_ok()) << task["id"] << ": " << problem.status().message();
  }
  EXPECT_GE(count, 5);
}

TEST(ParsePatchProblem, ErrorsNameTheField) {
  auto without = [](const char* field) {
    auto tests = demo_tests();
    tests.erase(field);
    return tests;
  };
  auto with = [](const char* field, nlohmann::json value) {
    auto tests = demo_tests();
    tests[field] = std::move(value);
    return tests;
  };
  EXPECT_EQ(error_of(without("repo")), "field \"repo\": missing (required)");
  EXPECT_EQ(error_of(without("test_command")), "field \"test_command\": missing (required)");
  EXPECT_EQ(error_of(without("FAIL_TO_PASS")), "field \"FAIL_TO_PASS\": missing (required)");
  EXPECT_EQ(error_of(with("FAIL_TO_PASS", nlohmann::json::array())), "field \"FAIL_TO_PASS\": must list at least one test id");
  EXPECT_EQ(error_of(with("PASS_TO_PASS", {"ok", 3})), "field \"PASS_TO_PASS\": every test id must be a non-empty string");
  EXPECT_EQ(error_of(with("time_limit_ms", "60s")), "field \"time_limit_ms\": must be a positive integer (milliseconds)");
  EXPECT_EQ(error_of(with("base_commit", 123)), "field \"base_commit\": must be a string");
  EXPECT_NE(error_of(with("report", "tap")).find("field \"report\": \"tap\" is not one of"), std::string::npos);
  EXPECT_NE(error_of(with("FAIL_TO_PAS", {"x"})).find("field \"tests.FAIL_TO_PAS\": unknown field"), std::string::npos);
  EXPECT_EQ(error_of(nlohmann::json::array()), "field \"tests\": must be an object");
  EXPECT_EQ(error_of(with("test_command", nullptr)), "field \"test_command\": missing (required)");
}

TEST(ParsePatchProblem, NullOptionalFieldsCountAsAbsent) {
  auto tests = demo_tests();
  tests["base_commit"] = nullptr;
  tests["test_patch"] = nullptr;
  tests["time_limit_ms"] = nullptr;
  tests["PASS_TO_PASS"] = nullptr;
  auto problem = parse_patch_problem(tests);
  ASSERT_TRUE(problem.is_ok()) << problem.status().message();
  EXPECT_EQ(problem->base_commit, "");
  EXPECT_EQ(problem->time_limit_ms, kDefaultPatchTimeLimitMs);
  EXPECT_TRUE(problem->pass_to_pass.empty());
}

TEST(ParsePatchProblem, RepoPathIsRelativeToThePackFile) {
  PatchProblem problem;
  problem.repo = "repos/slugify";
  EXPECT_EQ(resolve_repo_path(problem, "/packs/demo/patch.jsonl"), fs::path("/packs/demo/repos/slugify"));
  problem.repo = "/srv/repo.tar.gz";
  EXPECT_EQ(resolve_repo_path(problem, "/packs/demo/patch.jsonl"), fs::path("/srv/repo.tar.gz"));
}

// ---- PatchWorkspace ----------------------------------------------------------------------------

// A fresh folder per test (tests may run in parallel processes), removed afterwards. Skips the
// test when git is not installed.
class WorkspaceTest : public testing::Test {
 protected:
  void SetUp() override {
    if (boost::process::search_path("git").empty()) GTEST_SKIP() << "git is not installed";
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(testing::TempDir()) / ("r1b_patch_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    options_.parent_dir = dir_;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<PatchWorkspace> create(const fs::path& repo, std::string_view base_commit = "") {
    auto workspace = PatchWorkspace::create(repo, base_commit, options_);
    EXPECT_TRUE(workspace.is_ok()) << workspace.status().message();
    return workspace.is_ok() ? std::move(workspace).value() : nullptr;
  }
  static std::string task_diff(const std::string& task, const std::string& kind) {
    return read_text(kSwePack / "patches" / task / (kind + ".diff"));
  }
  // Runs git in `cwd` (test set-up only).
  static void git(const fs::path& cwd, const std::vector<std::string>& args) {
    auto all = std::vector<std::string>{"-c", "user.name=t", "-c", "user.email=t@t"};
    all.insert(all.end(), args.begin(), args.end());
    int rc = boost::process::system(boost::process::search_path("git"), boost::process::args(all),
                                    boost::process::start_dir(cwd.string()), boost::process::std_out > boost::process::null);
    ASSERT_EQ(rc, 0);
  }

  fs::path dir_;
  WorkspaceOptions options_;
};

const fs::path kSemver = kSwePack / "repos/semver_lite";

TEST_F(WorkspaceTest, GoldAndWrongDiffsApplyToACopyOfTheBundledRepo) {
  for (const char* kind : {"gold", "wrong"}) {
    auto workspace = create(kSemver);
    ASSERT_TRUE(workspace);
    auto outcome = workspace->apply_model_diff(task_diff("semver-prerelease-precedence", kind));
    ASSERT_TRUE(outcome.is_ok()) << outcome.status().message();
    EXPECT_TRUE(outcome->applied) << kind << ": " << outcome->message;
    EXPECT_NE(read_text(workspace->repo_dir() / "semver_lite.py"), read_text(kSemver / "semver_lite.py"));
  }
  EXPECT_FALSE(fs::exists(kSemver / ".git")) << "the bundled repo must stay untouched";
}

TEST_F(WorkspaceTest, EveryBundledBadDiffIsNotAppliedWithGitsMessage) {
  std::ifstream pack(kSwePack / "tasks.jsonl");
  for (std::string line; std::getline(pack, line);) {
    auto task = nlohmann::json::parse(line);
    std::string id = task["id"];
    auto workspace = create(kSwePack / task["tests"]["repo"].get<std::string>());
    ASSERT_TRUE(workspace);
    auto outcome = workspace->apply_model_diff(task_diff(id, "bad"));
    ASSERT_TRUE(outcome.is_ok()) << outcome.status().message();
    EXPECT_FALSE(outcome->applied) << id;
    EXPECT_NE(outcome->message.find("error:"), std::string::npos) << id << ": " << outcome->message;
  }
}

TEST_F(WorkspaceTest, DiffReachingOutsideTheRepoIsRefused) {
  auto workspace = create(kSemver);
  ASSERT_TRUE(workspace);
  auto outcome = workspace->apply_model_diff(
      "diff --git a/../evil.txt b/../evil.txt\nnew file mode 100644\n--- /dev/null\n+++ b/../evil.txt\n@@ -0,0 +1 @@\n+pwned\n");
  ASSERT_TRUE(outcome.is_ok()) << outcome.status().message();
  EXPECT_FALSE(outcome->applied);
  EXPECT_NE(outcome->message.find("invalid path '../evil.txt'"), std::string::npos) << outcome->message;
  EXPECT_FALSE(fs::exists(workspace->repo_dir().parent_path() / "evil.txt"));
}

TEST_F(WorkspaceTest, EachRefusalCarriesOnlyItsOwnMessage) {
  auto workspace = create(kSemver);
  ASSERT_TRUE(workspace);
  auto first = workspace->apply_model_diff(task_diff("semver-prerelease-precedence", "bad"));
  ASSERT_TRUE(first.is_ok());
  EXPECT_NE(first->message.find("patch does not apply"), std::string::npos) << first->message;
  auto second = workspace->apply_model_diff("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n");
  ASSERT_TRUE(second.is_ok());
  EXPECT_EQ(second->message, "error: x: No such file or directory");
}

TEST_F(WorkspaceTest, DiffIntoTheGitFolderIsRefused) {
  auto workspace = create(kSemver);
  ASSERT_TRUE(workspace);
  auto outcome = workspace->apply_model_diff("--- /dev/null\n+++ b/.git/hooks/pre-commit\n@@ -0,0 +1 @@\n+pwned\n");
  ASSERT_TRUE(outcome.is_ok());
  EXPECT_FALSE(outcome->applied);
  EXPECT_FALSE(fs::exists(workspace->repo_dir() / ".git/hooks/pre-commit"));
}

TEST_F(WorkspaceTest, DiffThroughASymlinkOutOfTheRepoIsRefused) {
  fs::create_directories(dir_ / "outside");
  fs::create_directories(dir_ / "repo");
  std::ofstream(dir_ / "repo/a.txt") << "a\n";
  fs::create_directory_symlink(dir_ / "outside", dir_ / "repo/link");
  auto workspace = create(dir_ / "repo");
  ASSERT_TRUE(workspace);
  auto outcome = workspace->apply_model_diff("--- /dev/null\n+++ b/link/evil.txt\n@@ -0,0 +1 @@\n+pwned\n");
  ASSERT_TRUE(outcome.is_ok());
  EXPECT_FALSE(outcome->applied);
  EXPECT_NE(outcome->message.find("beyond a symbolic link"), std::string::npos) << outcome->message;
  EXPECT_FALSE(fs::exists(dir_ / "outside/evil.txt"));
}

TEST_F(WorkspaceTest, FolderIsRemovedWhenTheWorkspaceDiesUnlessKept) {
  fs::path removed;
  fs::path kept;
  {
    auto workspace = create(kSemver);
    ASSERT_TRUE(workspace);
    removed = workspace->repo_dir();
    EXPECT_TRUE(fs::exists(removed / "semver_lite.py"));
  }
  {
    auto workspace = create(kSemver);
    ASSERT_TRUE(workspace);
    kept = workspace->repo_dir();
    workspace->keep();
  }
  EXPECT_FALSE(fs::exists(removed.parent_path()));
  EXPECT_TRUE(fs::exists(kept / "semver_lite.py"));
}

TEST_F(WorkspaceTest, TarGzRepoIsRootedAtItsTopFolder) {
  fs::copy(kSemver, dir_ / "semver_lite-1.0", fs::copy_options::recursive);
  int rc = boost::process::system(boost::process::search_path("tar"), "-czf", (dir_ / "semver.tar.gz").string(), "-C",
                                  dir_.string(), "semver_lite-1.0");
  ASSERT_EQ(rc, 0);
  auto workspace = create(dir_ / "semver.tar.gz");
  ASSERT_TRUE(workspace);
  EXPECT_TRUE(fs::exists(workspace->repo_dir() / "semver_lite.py"));
  auto outcome = workspace->apply_model_diff(task_diff("semver-prerelease-precedence", "gold"));
  ASSERT_TRUE(outcome.is_ok());
  EXPECT_TRUE(outcome->applied) << outcome->message;
}

TEST_F(WorkspaceTest, GitRepoIsCheckedOutAtTheBaseCommit) {
  fs::create_directories(dir_ / "repo");
  std::ofstream(dir_ / "repo/v.txt") << "one\n";
  git(dir_ / "repo", {"init", "-q"});
  git(dir_ / "repo", {"add", "."});
  git(dir_ / "repo", {"commit", "-q", "-m", "one"});
  git(dir_ / "repo", {"tag", "v1"});
  std::ofstream(dir_ / "repo/v.txt") << "two\n";
  git(dir_ / "repo", {"commit", "-q", "-am", "two"});
  std::ofstream(dir_ / "repo/untracked.txt") << "junk\n";

  auto workspace = create(dir_ / "repo", "v1");
  ASSERT_TRUE(workspace);
  EXPECT_EQ(read_text(workspace->repo_dir() / "v.txt"), "one\n");
  EXPECT_FALSE(fs::exists(workspace->repo_dir() / "untracked.txt"));
  auto outcome = workspace->apply_model_diff("--- a/v.txt\n+++ b/v.txt\n@@ -1 +1 @@\n-one\n+uno\n");
  ASSERT_TRUE(outcome.is_ok());
  EXPECT_TRUE(outcome->applied) << outcome->message;

  auto missing = PatchWorkspace::create(dir_ / "repo", "no-such-commit", options_);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("git checkout no-such-commit failed"), std::string::npos);
}

TEST_F(WorkspaceTest, TestPatchReplacesTheModelsEditsToTestFiles) {
  auto workspace = create(kSwePack / "repos/lru_cache");
  ASSERT_TRUE(workspace);
  // The model "fixes" the failing test by deleting its assertion.
  auto outcome = workspace->apply_model_diff(
      "--- a/test_lru_cache.py\n+++ b/test_lru_cache.py\n@@ -1,3 +1,3 @@\n-import pytest\n+import pytest  # noqa\n \n "
      "from lru_cache import LRUCache\n");
  ASSERT_TRUE(outcome.is_ok());
  ASSERT_TRUE(outcome->applied) << outcome->message;
  const std::string test_patch =
      "--- a/test_lru_cache.py\n+++ b/test_lru_cache.py\n@@ -1,3 +1,4 @@\n import pytest\n+import collections\n \n "
      "from lru_cache import LRUCache\n"
      "--- /dev/null\n+++ b/test_new.py\n@@ -0,0 +1 @@\n+def test_new(): pass\n";
  std::ofstream(workspace->repo_dir() / "test_new.py") << "def test_new(): assert False\n";  // the model made it too
  Status status = workspace->apply_test_patch(test_patch);
  ASSERT_TRUE(status.is_ok()) << status.message();
  std::string tests = read_text(workspace->repo_dir() / "test_lru_cache.py");
  EXPECT_EQ(tests.substr(0, 33), "import pytest\nimport collections\n");
  EXPECT_EQ(read_text(workspace->repo_dir() / "test_new.py"), "def test_new(): pass\n");
}

TEST_F(WorkspaceTest, TestPatchThatDoesNotApplyIsAnInvalidTask) {
  auto workspace = create(kSemver);
  ASSERT_TRUE(workspace);
  Status status = workspace->apply_test_patch("--- a/nope.py\n+++ b/nope.py\n@@ -1 +1 @@\n-a\n+b\n");
  EXPECT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("nope.py"), std::string::npos) << status.message();
}

TEST_F(WorkspaceTest, RepoWithAGitFileIsRefused) {
  fs::create_directories(dir_ / "worktree");
  std::ofstream(dir_ / "worktree/.git") << "gitdir: /elsewhere/.git/worktrees/x\n";
  auto workspace = PatchWorkspace::create(dir_ / "worktree", "", options_);
  ASSERT_FALSE(workspace.is_ok());
  EXPECT_EQ(workspace.status().code(), StatusCode::kInvalidInput);
}

TEST_F(WorkspaceTest, OtherUsersCanReachTheRepoButNotListTheFolder) {
  auto workspace = create(kSemver);
  ASSERT_TRUE(workspace);
  fs::perms perms = fs::status(workspace->repo_dir().parent_path()).permissions();
  EXPECT_EQ(perms & fs::perms::others_exec, fs::perms::others_exec);
  EXPECT_EQ(perms & fs::perms::others_read, fs::perms::none);
}

TEST_F(WorkspaceTest, MissingRepoIsNotFound) {
  auto workspace = PatchWorkspace::create(dir_ / "nope", "", options_);
  ASSERT_FALSE(workspace.is_ok());
  EXPECT_EQ(workspace.status().code(), StatusCode::kNotFound);
}

TEST_F(WorkspaceTest, DemoCompletionIsExtractedAndApplied) {
  auto workspace = create(fs::path(R1B_SOURCE_DIR) / "packs/demo/repos/slugify");
  ASSERT_TRUE(workspace);
  const std::string completion =
      "<think>\nThe regex replaces each character separately.\n</think>\nUse `+` so runs collapse:\r\n\r\n```diff\r\n"
      "diff --git a/slug.py b/slug.py\r\n--- a/slug.py\r\n+++ b/slug.py\r\n@@ -3,4 +3,4 @@ import re\r\n \r\n def slugify(title):\r\n"
      "     \"\"\"Lowercase `title` and join its words with single dashes.\"\"\"\r\n"
      "-    return re.sub(r\"[^a-z0-9]\", \"-\", title.lower()).strip(\"-\")\r\n"
      "+    return re.sub(r\"[^a-z0-9]+\", \"-\", title.lower()).strip(\"-\")\r\n```";
  auto diff = extract_diff(completion);
  ASSERT_TRUE(diff.is_ok()) << diff.status().message();
  auto outcome = workspace->apply_model_diff(*diff);
  ASSERT_TRUE(outcome.is_ok());
  EXPECT_TRUE(outcome->applied) << outcome->message;
  EXPECT_NE(read_text(workspace->repo_dir() / "slug.py").find("[^a-z0-9]+"), std::string::npos);
}

// ---- decide ------------------------------------------------------------------------------------

TestReport report_of(std::initializer_list<std::pair<const char*, TestStatus>> results) {
  TestReport report;
  for (const auto& [id, status] : results) report.add(id, status);
  return report;
}

const std::vector<std::string> kF2P = {"t::fixed_a", "t::fixed_b"};
const std::vector<std::string> kP2P = {"t::kept"};

TEST(Decide, EveryListedTestPassingIsResolved) {
  auto report = report_of({{"t::fixed_a", TestStatus::kPassed}, {"t::fixed_b", TestStatus::kPassed},
                           {"t::kept", TestStatus::kPassed}, {"t::other", TestStatus::kFailed}});
  Decision decision = decide(report, kF2P, kP2P);
  EXPECT_TRUE(decision.resolved);
  EXPECT_EQ(decision.reason, "resolved: all 2 FAIL_TO_PASS and 1 PASS_TO_PASS tests pass");
}

TEST(Decide, TruthTable) {
  struct Row {
    TestStatus fixed_b;
    TestStatus kept;
    bool resolved;
  };
  const Row rows[] = {
      {TestStatus::kPassed, TestStatus::kPassed, true},   {TestStatus::kFailed, TestStatus::kPassed, false},
      {TestStatus::kError, TestStatus::kPassed, false},   {TestStatus::kSkipped, TestStatus::kPassed, false},
      {TestStatus::kPassed, TestStatus::kFailed, false},  {TestStatus::kPassed, TestStatus::kSkipped, false},
      {TestStatus::kFailed, TestStatus::kError, false},
  };
  for (const Row& row : rows) {
    TestReport report;
    report.add("t::fixed_a", TestStatus::kPassed);
    report.add("t::fixed_b", row.fixed_b);
    report.add("t::kept", row.kept);
    EXPECT_EQ(decide(report, kF2P, kP2P).resolved, row.resolved)
        << test_status_name(row.fixed_b) << " / " << test_status_name(row.kept);
  }
}

TEST(Decide, ReasonNamesTheFirstFailingOrMissingTestOfEachGroup) {
  auto report = report_of({{"t::fixed_a", TestStatus::kPassed}, {"t::kept", TestStatus::kFailed}});
  Decision decision = decide(report, kF2P, kP2P);
  EXPECT_FALSE(decision.resolved);
  EXPECT_EQ(decision.reason,
            "FAIL_TO_PASS t::fixed_b missing from the test report (1 of 2 not passing); "
            "PASS_TO_PASS t::kept failed (1 of 1 not passing)");
}

TEST(Decide, ReportNoteIsAppended) {
  TestReport report;
  report.note = "JUnit report build/junit.xml was not written (did the build or the test run fail?)";
  Decision decision = decide(report, kF2P, {});
  EXPECT_FALSE(decision.resolved);
  EXPECT_EQ(decision.reason, "FAIL_TO_PASS t::fixed_a missing from the test report (2 of 2 not passing); " + report.note);
}

}  // namespace
}  // namespace r1b::sandbox
