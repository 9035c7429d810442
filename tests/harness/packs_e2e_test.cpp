// The bundled code and patch packs through `r1bench run` with the replay backend, as a user grades
// saved generations: every reference solution / gold patch is graded correct and every wrong one
// gets the verdict its file name promises (packs/cf/README.md, packs/swe/README.md). The replay
// file is built here from the solution files, so the pack holds each solution once.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "results/store.h"
#include "sandbox/sandbox.h"
#include "test_util.h"

namespace r1b::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kSource = R1B_SOURCE_DIR;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream all;
  all << in.rdbuf();
  return all.str();
}

// The verdict a solution file must get, from its stem: ok, wa, tle, re, mle.
std::string expected_verdict(const std::string& stem) {
  static const std::map<std::string, std::string> kByStem = {
      {"ok", "correct"}, {"wa", "wrong"}, {"tle", "timeout"}, {"re", "runtime_error"}, {"mle", "memory_limit"}};
  const auto it = kByStem.find(stem);
  return it == kByStem.end() ? "" : it->second;
}

struct Expected {
  std::vector<std::string> completions;
  std::vector<std::string> verdicts;
  std::vector<std::string> files;
};

// Runs the pack with the replay file and returns its samples, keyed by task id and sample index.
// `summary` receives the run's JSON summary.
std::map<std::string, std::vector<results::SampleRow>> run_pack(const r1b::testing::TempDir& dir,
                                                                const fs::path& pack,
                                                                const std::map<std::string, Expected>& expected,
                                                                json* summary = nullptr) {
  std::size_t n = 0;
  for (const auto& [id, e] : expected) n = std::max(n, e.completions.size());
  std::ofstream replay(dir.file("replay.jsonl"));
  for (const auto& [id, e] : expected) {
    std::vector<std::string> completions = e.completions;
    while (completions.size() < n) completions.push_back(e.completions.front());  // pad with the reference
    replay << json{{"task_id", id}, {"completions", completions}}.dump() << "\n";
  }
  replay.close();
  const auto result = r1b::testing::run_r1bench({"run", "--pack", pack.string(), "--replay", dir.file("replay.jsonl"),
                                                 "--n", std::to_string(n), "--db", dir.file("r.db"), "--no-report",
                                                 "--json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  if (summary != nullptr && result.exit_code == 0) *summary = json::parse(result.out)["summary"];
  std::map<std::string, std::vector<results::SampleRow>> by_task;
  auto store = results::Store::open(dir.file("r.db"));
  if (!store.is_ok()) return by_task;
  auto samples = (*store)->samples(json::parse(result.out)["run_id"].get<int64_t>());
  if (!samples.is_ok()) return by_task;
  for (results::SampleRow& row : *samples) by_task[row.task_id].push_back(std::move(row));
  for (auto& [id, rows] : by_task) {
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.sample_idx < b.sample_idx; });
  }
  return by_task;
}

TEST(PacksEndToEnd, CodeforcesPackGradesEverySolutionAsItsNameSays) {
  if (Status s = sandbox::check_sandbox_available(); !s.is_ok()) GTEST_SKIP() << s.message();
  std::map<std::string, Expected> expected;
  for (const auto& folder : fs::directory_iterator(kSource / "packs/cf/solutions")) {
    Expected& e = expected[folder.path().filename().string()];
    std::vector<fs::path> files;
    for (const auto& file : fs::directory_iterator(folder.path())) files.push_back(file.path());
    std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
      // References first (the padding repeats one), then the rest by name.
      const bool ok_a = a.stem() == "ok", ok_b = b.stem() == "ok";
      return ok_a != ok_b ? ok_a : a.filename() < b.filename();
    });
    for (const fs::path& file : files) {
      const std::string fence = file.extension() == ".py" ? "python" : "cpp";
      e.completions.push_back("<think>\nLet me solve it.\n</think>\n\n```" + fence + "\n" + read_file(file) + "```\n");
      e.verdicts.push_back(expected_verdict(file.stem().string()));
      e.files.push_back(file.filename().string());
    }
  }
  ASSERT_GE(expected.size(), 20u);
  r1b::testing::TempDir dir;
  json summary;
  const auto samples = run_pack(dir, kSource / "packs/cf/problems.jsonl", expected, &summary);
  // The pack's problems are rated: the run gets a Codeforces rating estimate with an interval.
  bool has_rating = false;
  for (const json& pack : summary["runs"][0]["packs"]) {
    if (pack["pack"] != "problems") continue;
    ASSERT_TRUE(pack["codeforces_rating"].is_object()) << pack.dump();
    const double rating = pack["codeforces_rating"]["value"];
    EXPECT_GT(rating, 0.0);
    EXPECT_LT(rating, 4000.0);
    EXPECT_LE(pack["codeforces_rating"]["ci_low"].get<double>(), rating);
    has_rating = true;
  }
  EXPECT_TRUE(has_rating) << summary.dump();
  int graded = 0;
  for (const auto& [id, e] : expected) {
    const auto it = samples.find(id);
    ASSERT_NE(it, samples.end()) << id << " has no samples";
    for (std::size_t i = 0; i < e.completions.size(); ++i) {
      ASSERT_LT(i, it->second.size());
      EXPECT_EQ(it->second[i].verdict, e.verdicts[i]) << id << "/" << e.files[i] << ": " << it->second[i].reason;
      ++graded;
    }
  }
  std::printf("[ codeforces pack ] %zu problems, %d solutions graded as named\n", expected.size(), graded);
}

TEST(PacksEndToEnd, SwePackGradesGoldPatchesCorrectAndWrongOnesWrong) {
  if (Status s = sandbox::check_sandbox_available(); !s.is_ok()) GTEST_SKIP() << s.message();
  std::map<std::string, Expected> expected;
  for (const auto& folder : fs::directory_iterator(kSource / "packs/swe/patches")) {
    Expected& e = expected[folder.path().filename().string()];
    for (const char* name : {"gold.diff", "wrong.diff", "bad.diff"}) {
      e.completions.push_back("<think>\nFound the bug.\n</think>\n\n```diff\n" + read_file(folder.path() / name) + "```\n");
      e.verdicts.push_back(std::string(name) == "gold.diff" ? "correct" : "wrong");
      e.files.push_back(name);
    }
  }
  ASSERT_GE(expected.size(), 5u);
  r1b::testing::TempDir dir;
  const auto samples = run_pack(dir, kSource / "packs/swe/tasks.jsonl", expected);
  for (const auto& [id, e] : expected) {
    const auto it = samples.find(id);
    ASSERT_NE(it, samples.end()) << id << " has no samples";
    ASSERT_EQ(it->second.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(it->second[i].verdict, e.verdicts[i]) << id << "/" << e.files[i] << ": " << it->second[i].reason;
    }
    EXPECT_EQ(it->second[2].extracted, "patch_not_applied") << id << ": " << it->second[2].reason;
  }
}

}  // namespace
}  // namespace r1b::harness
