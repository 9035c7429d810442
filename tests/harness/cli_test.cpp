// The r1bench command line end to end, as a user runs it: the bundled demo suite, regrade, the
// gate's exit codes, and one clear error with a non-zero exit for bad input.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "results/store.h"
#include "test_util.h"

namespace r1b::harness {
namespace {

using r1b::testing::run_r1bench;
using r1b::testing::TempDir;
using r1b::testing::write_file;

const std::string kDemo = std::string(R1B_SOURCE_DIR) + "/packs/demo";

double pass_at_1(const std::string& db, int64_t run_id, const std::string& pack) {
  auto store = results::Store::open(db);
  auto metrics = (*store)->metrics(run_id);
  for (const auto& m : *metrics) {
    if (m.pack == pack && m.slice.empty() && m.metric == "pass@k" && m.k == 1) return m.value;
  }
  return -1;
}

TEST(Cli, DemoSuiteRunsWithNoSuiteArguments) {
  TempDir dir;
  auto r = run_r1bench({"run", "--db", dir.file("r.db"), "--report", dir.file("report.html")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("demo-math"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("demo-choice"), std::string::npos);
  EXPECT_NE(r.err.find("88/88 samples"), std::string::npos) << r.err;  // progress line
  EXPECT_TRUE(std::filesystem::exists(dir.file("report.html")));
  auto store = results::Store::open(dir.file("r.db"));
  ASSERT_TRUE(store.is_ok());
  EXPECT_EQ(*(*store)->num_samples(1), 88);
  auto run = (*store)->run(1);
  EXPECT_EQ(run->status, "complete");
  EXPECT_EQ(run->template_name, "r1");
  EXPECT_FALSE(run->verifier_version.empty());
  EXPECT_FALSE(run->hardware.empty());
  EXPECT_GT(pass_at_1(dir.file("r.db"), 1, "demo-math"), 0.0);
}

TEST(Cli, JsonOutputIsMachineReadable) {
  TempDir dir;
  auto r = run_r1bench({"run", "--db", dir.file("r.db"), "--no-report", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["status"], "complete");
  EXPECT_EQ(j["samples_total"], 88);
}

TEST(Cli, RegradeMakesANewRunWithTheSameScores) {
  TempDir dir;
  ASSERT_EQ(run_r1bench({"run", "--db", dir.file("r.db"), "--no-report"}).exit_code, 0);
  auto r = run_r1bench({"regrade", "1", "--db", dir.file("r.db"), "--no-report"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto store = results::Store::open(dir.file("r.db"));
  auto regraded = (*store)->run(2);
  ASSERT_TRUE(regraded.is_ok());
  EXPECT_EQ(regraded->parent_run_id, 1);
  EXPECT_EQ(*(*store)->num_samples(2), 88);
  EXPECT_DOUBLE_EQ(pass_at_1(dir.file("r.db"), 2, "demo-math"), pass_at_1(dir.file("r.db"), 1, "demo-math"));
}

// Saved generations where every completion of the first `broken` math tasks answers 0.
std::string degraded_generations(const TempDir& dir, int broken) {
  std::ifstream in(kDemo + "/generations.jsonl");
  std::ofstream out(dir.file("degraded.jsonl"));
  std::string line;
  int math_seen = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    if (j.value("pack", "") == "demo-math" && math_seen++ < broken) {
      for (auto& c : j["completions"]) c = "</think>\nThe answer is $\\boxed{0}$.";
    }
    out << j.dump() << "\n";
  }
  return dir.file("degraded.jsonl");
}

TEST(Cli, GateExitCodesPassRegressionAndDataError) {
  TempDir dir;
  const std::string db = dir.file("r.db");
  const std::string suite = std::string(R1B_SOURCE_DIR) + "/suites/demo.json";
  ASSERT_EQ(run_r1bench({"run", "--suite", suite, "--db", db, "--no-report"}).exit_code, 0);  // run 1
  ASSERT_EQ(run_r1bench({"run", "--suite", suite, "--db", db, "--no-report"}).exit_code, 0);  // run 2: identical
  const std::string degraded = degraded_generations(dir, 8);
  ASSERT_EQ(run_r1bench({"run", "--suite", suite, "--replay", degraded, "--db", db, "--no-report"}).exit_code, 0);

  auto same = run_r1bench({"gate", "--baseline", "1", "--candidate", "2", "--db", db});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_NE(same.out.find("gate: pass"), std::string::npos);

  auto worse = run_r1bench({"gate", "--baseline", "1", "--candidate", "3", "--db", db});
  EXPECT_EQ(worse.exit_code, 1) << worse.out << worse.err;
  EXPECT_NE(worse.out.find("demo-math"), std::string::npos);
  EXPECT_NE(worse.out.find("regression"), std::string::npos);

  // The same drop passes when the pack may drop that far.
  auto allowed = run_r1bench({"gate", "--baseline", "1", "--candidate", "3", "--db", db, "--pack-drop", "demo-math=0.9"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.out;

  auto missing = run_r1bench({"gate", "--baseline", "1", "--candidate", "99", "--db", db});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("99"), std::string::npos);
  EXPECT_EQ(run_r1bench({"gate", "--baseline", "1", "--db", db}).exit_code, 2);  // usage
}

TEST(Cli, BadInputGetsOneClearErrorAndExitTwo) {
  TempDir dir;
  const std::string db = dir.file("r.db");
  auto bad_flag = run_r1bench({"run", "--frobnicate"});
  EXPECT_EQ(bad_flag.exit_code, 2);

  auto no_suite = run_r1bench({"run", "--suite", dir.file("absent.json"), "--db", db});
  EXPECT_EQ(no_suite.exit_code, 2);
  EXPECT_NE(no_suite.err.find("absent.json"), std::string::npos) << no_suite.err;

  write_file(dir.file("pack.jsonl"), "{\"id\": \"a\", \"kind\": \"math\", \"prompt\": \"p\", \"answer\": \"1\"}\n"
                                     "{\"id\": \"b\", \"kind\": \"math\", \"prompt\": \"p\"}\n");
  auto bad_pack = run_r1bench({"run", "--pack", dir.file("pack.jsonl"), "--replay", kDemo + "/generations.jsonl",
                               "--db", db});
  EXPECT_EQ(bad_pack.exit_code, 2);
  EXPECT_NE(bad_pack.err.find("pack.jsonl:2"), std::string::npos) << bad_pack.err;
  EXPECT_NE(bad_pack.err.find("answer"), std::string::npos) << bad_pack.err;

  auto bad_resume = run_r1bench({"run", "--resume", "7", "--db", db});
  EXPECT_EQ(bad_resume.exit_code, 2);
  EXPECT_NE(bad_resume.err.find("run 7"), std::string::npos) << bad_resume.err;

  write_file(dir.file("not.db"), "this is not a database, just text that is long enough to have a header");
  auto bad_db = run_r1bench({"report", "--db", dir.file("not.db")});
  EXPECT_EQ(bad_db.exit_code, 2);
  EXPECT_NE(bad_db.err.find("not.db"), std::string::npos) << bad_db.err;
}

TEST(Cli, ReplayMissingATaskLeavesTheRunIncompleteAndResumable) {
  TempDir dir;
  const std::string db = dir.file("r.db");
  write_file(dir.file("partial.jsonl"), "{\"task_id\": \"gcd-84-126\", \"completions\": "
                                        "[\"\\\\boxed{42}\"]}\n");
  auto r = run_r1bench({"run", "--pack", kDemo + "/math.jsonl", "--replay", dir.file("partial.jsonl"), "--db", db,
                        "--no-report"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("--resume 1"), std::string::npos) << r.err;
  auto store = results::Store::open(db);
  EXPECT_EQ((*store)->run(1)->status, "incomplete");
  EXPECT_EQ(*(*store)->num_samples(1), 1);  // the one sample it could grade is kept
}

TEST(Cli, ResumeRefusesARunGradedByAnotherVerifierVersion) {
  TempDir dir;
  const std::string db = dir.file("r.db");
  ASSERT_EQ(run_r1bench({"run", "--db", db, "--no-report"}).exit_code, 0);
  {
    SQLite::Database raw(db, SQLite::OPEN_READWRITE);
    raw.exec("UPDATE runs SET verifier_version = 'r1b-verify-0', status = 'incomplete' WHERE run_id = 1");
  }
  auto r = run_r1bench({"run", "--resume", "1", "--db", db, "--no-report"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("r1b-verify-0"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace r1b::harness
