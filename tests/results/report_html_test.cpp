#include "results/report_html.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "results/summary.h"

namespace r1b::results {
namespace {

namespace fs = std::filesystem;

constexpr int kSamplesPerProblem = 10;  // more than the page shows (8)
constexpr const char* kScriptInjection = "</script><script>document.title='pwned';alert(1)</script>";
constexpr const char* kMarkupInjection = "<b>bold</b><img src=x onerror=\"document.body.dataset.pwned='1'\">";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Two runs x two packs. Run r gets problem p of pack P right on (r + p + pack) samples of 10; the
// stored pass@1 is the mean of those rates and its interval is +-10 points.
class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "r1b_report_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto store = Store::open((dir_ / "results.db").string());
    ASSERT_TRUE(store.is_ok()) << store.status().message();
    store_ = std::move(store).value();
    for (const char* name : {"baseline", "candidate"}) add_run(name);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void add_run(const std::string& name) {
    RunInfo info;
    info.name = name;
    info.model = name == "baseline" ? "r1-distill-qwen-1.5b" : "r1-distill-qwen-7b";
    info.backend = "replay";
    info.started_at = "2024-05-01T10:00:00Z";
    int64_t run_id = *store_->create_run(info);
    run_ids_.push_back(run_id);
    std::vector<TaskRow> tasks;
    std::vector<SampleRow> samples;
    std::vector<MetricRow> metrics;
    const std::map<std::string, int> packs = {{"aime24", 3}, {"math500", 2}};
    for (const auto& [pack, num_problems] : packs) {
      double rate_sum = 0;
      for (int p = 0; p < num_problems; ++p) {
        std::string task_id = pack + "-" + std::to_string(p);
        nlohmann::json task = {{"id", task_id}, {"kind", "math"}, {"answer", "<i>" + std::to_string(p) + "</i>"},
                               {"prompt", "Compute <b>x</b> for problem " + task_id}, {"meta", nlohmann::json::object()}};
        tasks.push_back({pack, task_id, task.dump()});
        int num_correct = (static_cast<int>(run_id) + p + (pack == "aime24" ? 0 : 3)) % (kSamplesPerProblem + 1);
        rate_sum += static_cast<double>(num_correct) / kSamplesPerProblem;
        for (int i = 0; i < kSamplesPerProblem; ++i) {
          SampleRow s;
          s.run_id = run_id;
          s.pack = pack;
          s.task_id = task_id;
          s.sample_idx = i;
          s.correct = i < num_correct;
          s.verdict = s.correct ? "correct" : (i == kSamplesPerProblem - 1 ? "judge_error" : "wrong");
          s.extracted = kMarkupInjection;
          s.reason = s.correct ? "" : "expected " + std::to_string(p);
          s.completion = i == 0 ? std::string(kScriptInjection) + " " + kMarkupInjection
                                : "<think>" + std::string(i == 1 ? 10000 : 100 * i, 'z') + "</think> \\boxed{1}";
          if (pack == "aime24") s.completion_tokens = 50 * (i + 1);  // math500: token counts unknown
          samples.push_back(std::move(s));
        }
      }
      double pass1 = rate_sum / num_problems;
      for (int k = 1; k <= kSamplesPerProblem; ++k) {
        double value = std::min(1.0, pass1 + 0.05 * (k - 1));
        metrics.push_back({run_id, pack, "", "pass@k", k, value, value - 0.1, value + 0.1, num_problems});
      }
      metrics.push_back({run_id, pack, "", "cons@k", kSamplesPerProblem, 0.5, 0.2, 0.8, num_problems});
      metrics.push_back({run_id, pack, "", "judge_errors", 0, 1.0 * num_problems, std::nullopt, std::nullopt, num_problems});
      metrics.push_back({run_id, pack, "", "mean_completion_tokens", 0, 250.0, std::nullopt, std::nullopt, num_problems});
      metrics.push_back({run_id, pack, "level=3", "pass@k", 1, 0.99, std::nullopt, std::nullopt, 1});  // a slice: not shown
      expected_pass1_[{run_id, pack}] = pass1;
    }
    metrics.push_back({run_id, "*", "", "pass@k", 1, 0.42, 0.4, 0.44, 5});
    expected_pass1_[{run_id, "*"}] = 0.42;
    ASSERT_TRUE(store_->add_tasks(run_id, tasks).is_ok());
    ASSERT_TRUE(store_->add_samples(samples).is_ok());
    ASSERT_TRUE(store_->put_metrics(run_id, metrics).is_ok());
  }

  std::string write_report() {
    std::string path = (dir_ / "report.html").string();
    Status st = write_report_html(*store_, {}, path);
    EXPECT_TRUE(st.is_ok()) << st.message();
    return path;
  }

  // The DOM after the page script ran, or "" when Chromium failed.
  std::string dump_dom(const std::string& path, const std::string& fragment) {
    std::string cmd = fmt::format(
        "timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
        "--disable-background-networking --disable-component-update --disable-sync --user-data-dir={} "
        "--dump-dom 'file://{}{}' 2>/dev/null",
        (dir_ / "chromium-profile").string(), path, fragment);
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe) return "";
    std::string dom;
    char buf[65536];
    for (std::size_t got; (got = fread(buf, 1, sizeof buf, pipe)) > 0;) dom.append(buf, got);
    pclose(pipe);
    return dom;
  }

  fs::path dir_;
  std::unique_ptr<Store> store_;
  std::vector<int64_t> run_ids_;
  std::map<std::pair<int64_t, std::string>, double> expected_pass1_;
};

TEST_F(ReportTest, PageIsSelfContainedAndCarriesModelOutputOnlyEscaped) {
  std::string page = read_file(write_report());
  std::regex remote(R"((src|href)\s*=\s*["']?\s*(https?:)?//)", std::regex::icase);
  EXPECT_FALSE(std::regex_search(page, remote));
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find("<script src"), std::string::npos);
  EXPECT_EQ(page.find("sourceMappingURL"), std::string::npos);
  EXPECT_NE(page.find("Chart.js v"), std::string::npos);  // the chart library is inline
  EXPECT_EQ(page.find("<script>document.title"), std::string::npos);
  EXPECT_EQ(page.find("<b>bold"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_NE(page.find("&lt;i&gt;0&lt;/i&gt;"), std::string::npos);  // the gold answer, escaped in markup
  // "</" never occurs inside a script block: the HTML parser cannot be made to leave it.
  for (std::size_t open = page.find("<script"); open != std::string::npos; open = page.find("<script", open + 1)) {
    std::size_t close = page.find("</script>", open);
    ASSERT_NE(close, std::string::npos);
    std::size_t inner = page.find('>', open) + 1;
    EXPECT_EQ(page.substr(inner, close - inner).find("</"), std::string::npos);
  }
}

TEST_F(ReportTest, EachProblemShowsAtMostEightSamplesAndCutsLongTranscripts) {
  std::string page = read_file(write_report());
  const std::string open = "class=\"pack-data\" data-pack-index=\"0\">";
  std::size_t begin = page.find(open);
  ASSERT_NE(begin, std::string::npos);
  begin += open.size();
  auto data = nlohmann::json::parse(page.substr(begin, page.find("</script>", begin) - begin));
  ASSERT_EQ(data["problems"].size(), 3u);  // aime24
  const auto& cell = data["problems"][0]["runs"][0];
  EXPECT_EQ(cell["n"], kSamplesPerProblem);
  ASSERT_EQ(cell["samples"].size(), 8u);
  EXPECT_EQ(cell["samples"][0]["completion"].get<std::string>().substr(0, 9), "</script>");  // exact text, as data
  EXPECT_TRUE(cell["samples"][1]["truncated"].get<bool>());
  EXPECT_LE(cell["samples"][1]["completion"].get<std::string>().size(), 4000u);
  EXPECT_FALSE(cell["samples"][2]["truncated"].get<bool>());
  EXPECT_EQ(cell["samples"][2]["tokens"], 150);
}

TEST_F(ReportTest, LeaderboardReadsBackInHeadlessChromiumAndInjectedScriptsStayInert) {
  if (!fs::exists("/usr/bin/chromium")) GTEST_SKIP() << "/usr/bin/chromium is not installed";
  std::string dom = dump_dom(write_report(), "#expand-all");
  ASSERT_NE(dom.find("id=\"leaderboard\""), std::string::npos) << "chromium printed no page (a live alert() from the page blocks it):\n" << dom.substr(0, 500);

  EXPECT_NE(dom.find("data-rendered=\"ok\""), std::string::npos);  // the page script ran to the end
  EXPECT_NE(dom.find("<title>r1bench leaderboard</title>"), std::string::npos);
  EXPECT_EQ(dom.find("<title>pwned"), std::string::npos);
  EXPECT_EQ(dom.find("data-pwned"), std::string::npos);
  EXPECT_EQ(dom.find("<img"), std::string::npos);
  EXPECT_EQ(dom.find("<script>alert(1)"), std::string::npos);
  EXPECT_EQ(dom.find("<b>bold"), std::string::npos);
  // The transcripts were rendered, as text.
  EXPECT_NE(dom.find("&lt;/script&gt;&lt;script&gt;document.title="), std::string::npos);
  EXPECT_NE(dom.find("&lt;b&gt;bold&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(dom.find("(truncated)"), std::string::npos);
  EXPECT_NE(dom.find("(8 of 10 samples shown)"), std::string::npos);
  int num_canvases = 0;
  for (std::size_t at = dom.find("<canvas"); at != std::string::npos; at = dom.find("<canvas", at + 1)) ++num_canvases;
  EXPECT_EQ(num_canvases, 4);  // pass@k and response length, for each of the two packs

  std::regex cell_re(
      R"re(<td class="pass1" data-run="(\d+)" data-pack="([^"]*)" data-value="([^"]*)"[^>]*>([\d.]+) <small>\[([\d.]+), ([\d.]+)\]</small></td>)re");
  std::map<std::pair<int64_t, std::string>, double> seen;
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), cell_re); it != std::sregex_iterator(); ++it) {
    const std::smatch& c = *it;
    std::pair<int64_t, std::string> key{std::stoll(c[1].str()), c[2].str()};
    ASSERT_TRUE(expected_pass1_.count(key)) << c[0].str();
    double expected = expected_pass1_[key];
    seen[key] = std::stod(c[3].str());
    EXPECT_NEAR(std::stod(c[3].str()), expected, 1e-12) << c[0].str();
    EXPECT_EQ(c[4].str(), fmt::format("{:.1f}", 100 * expected)) << c[0].str();
    EXPECT_EQ(c[5].str(), fmt::format("{:.1f}", 100 * (expected - (key.second == "*" ? 0.02 : 0.1))));
  }
  EXPECT_EQ(seen.size(), expected_pass1_.size());  // 2 runs x (2 packs + whole run)
}

TEST_F(ReportTest, UnknownRunIsNotFoundAndLeavesNoPage) {
  std::string path = (dir_ / "missing.html").string();
  std::vector<int64_t> ids = {run_ids_[0], 999};
  Status st = write_report_html(*store_, ids, path);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST_F(ReportTest, MissingFolderIsCreated) {
  std::string path = (dir_ / "no-such-folder" / "deeper" / "report.html").string();
  Status st = write_report_html(*store_, {}, path);
  ASSERT_TRUE(st.is_ok()) << st.message();
  EXPECT_TRUE(fs::exists(path));
}

TEST_F(ReportTest, UnwritablePathIsAnIoErrorNamingIt) {
  std::ofstream(dir_ / "a-file") << "not a folder";
  std::string path = (dir_ / "a-file" / "report.html").string();
  Status st = write_report_html(*store_, {}, path);
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
}

TEST_F(ReportTest, SummaryMarkdownHasOneRowPerRunAndPack) {
  std::vector<int64_t> ids = {run_ids_[1]};
  auto md = summary_markdown(*store_, ids);
  ASSERT_TRUE(md.is_ok()) << md.status().message();
  double pass1 = expected_pass1_[{run_ids_[1], "aime24"}];
  std::string row = fmt::format("| {} | candidate | r1-distill-qwen-7b | aime24 | 3 | 10 | {:.1f} | [{:.1f}, {:.1f}] | 50.0 | {:.1f} | 3 | 250 |",
                                run_ids_[1], 100 * pass1, 100 * (pass1 - 0.1), 100 * (pass1 + 0.1),
                                100 * std::min(1.0, pass1 + 0.45));
  EXPECT_NE(md->find(row), std::string::npos) << *md;
  EXPECT_NE(md->find("| (all) | 5 | 1 | 42.0 | [40.0, 44.0] | – | 42.0 | – | – |"), std::string::npos) << *md;
  EXPECT_EQ(std::count(md->begin(), md->end(), '\n'), 2 + 3);  // header, rule, (all) + 2 packs
}

TEST_F(ReportTest, SummaryJsonCoversEveryRunWhenNoneAreNamed) {
  auto json = summary_json(*store_, {});
  ASSERT_TRUE(json.is_ok()) << json.status().message();
  const auto& runs = (*json)["runs"];
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0]["run_id"], run_ids_[0]);
  EXPECT_EQ(runs[0]["name"], "baseline");
  const auto& packs = runs[0]["packs"];
  ASSERT_EQ(packs.size(), 3u);
  EXPECT_EQ(packs[0]["pack"], "*");
  EXPECT_TRUE(packs[0]["cons@n"].is_null());
  const auto& math = packs[2];
  EXPECT_EQ(math["pack"], "math500");
  EXPECT_EQ(math["n"], 10);
  EXPECT_EQ(math["num_problems"], 2);
  double pass1 = expected_pass1_[{run_ids_[0], "math500"}];
  EXPECT_DOUBLE_EQ(math["pass@1"]["value"].get<double>(), pass1);
  EXPECT_DOUBLE_EQ(math["pass@1"]["ci_low"].get<double>(), pass1 - 0.1);
  EXPECT_DOUBLE_EQ(math["cons@n"]["value"].get<double>(), 0.5);
  EXPECT_EQ(math["cons@n"]["k"], 10);
  EXPECT_DOUBLE_EQ(math["judge_errors"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(math["mean_completion_tokens"].get<double>(), 250.0);
}

TEST_F(ReportTest, SummaryOfUnknownRunIsNotFound) {
  std::vector<int64_t> ids = {12345};
  EXPECT_EQ(summary_markdown(*store_, ids).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(summary_json(*store_, ids).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace r1b::results
