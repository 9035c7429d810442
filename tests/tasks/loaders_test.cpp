// Loaders on the real published files (skipped when ../shared/datasets is absent) and on small
// broken files written here. The GPQA questions are extracted to a temp folder only for the test
// run and removed afterwards: they must never be written to a committed file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "tasks/pack.h"

namespace r1b::tasks {
namespace {

namespace fs = std::filesystem;

std::string dataset(const std::string& relative) {
  return std::string(R1B_SOURCE_DIR) + "/../shared/datasets/" + relative;
}

fs::path fresh_temp_dir(const std::string& name) {
  const fs::path dir = fs::path(testing::TempDir()) / ("r1b_loaders_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// A spec for `path` with every other field at its default.
PackSpec spec_of(std::string path, PackFormat format = PackFormat::kAuto) {
  PackSpec spec;
  spec.path = std::move(path);
  spec.format = format;
  return spec;
}

Pack load_ok(const PackSpec& spec) {
  auto pack = load_pack(spec);
  EXPECT_TRUE(pack.is_ok()) << pack.status().message();
  return pack.is_ok() ? std::move(pack).value() : Pack{};
}

#define SKIP_IF_ABSENT(path) \
  if (!fs::exists(path)) GTEST_SKIP() << (path) << " is absent"

// ---------------------------------------------------------------- real files

TEST(RealDatasets, Math500HasFiveHundredTasksSevenSubjectsLevelsOneToFive) {
  const std::string file = dataset("math500/test.jsonl");
  SKIP_IF_ABSENT(file);
  const Pack pack = load_ok(spec_of(file));
  EXPECT_EQ(pack.format, PackFormat::kMath500);
  ASSERT_EQ(pack.tasks.size(), 500u);
  std::set<std::string> subjects;
  std::set<int> levels;
  for (const Task& task : pack.tasks) {
    subjects.insert(task.meta.subject);
    ASSERT_TRUE(task.meta.level.has_value()) << task.id;
    levels.insert(*task.meta.level);
    EXPECT_EQ(task.kind, TaskKind::kMath);
    EXPECT_EQ(task.answer_format, AnswerFormat::kExpression);
    EXPECT_EQ(task.meta.source, "MATH-500");
    EXPECT_TRUE(task.meta.extra.contains("solution")) << task.id;
  }
  EXPECT_EQ(subjects.size(), 7u);
  EXPECT_EQ(levels, (std::set<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(pack.tasks[0].id, "test/precalculus/807.json");
  EXPECT_EQ(pack.tasks[0].answer, "\\left( 3, \\frac{\\pi}{2} \\right)");
}

TEST(RealDatasets, Aime24AnswersWithLeadingZerosBecomeIntegers) {
  const std::string file = dataset("aime24/test.jsonl");
  SKIP_IF_ABSENT(file);
  const Pack pack = load_ok(spec_of(file));
  EXPECT_EQ(pack.format, PackFormat::kAime);
  ASSERT_EQ(pack.tasks.size(), 30u);
  std::map<std::string, std::string> answer_of_id;
  for (const Task& task : pack.tasks) {
    answer_of_id[task.id] = task.answer;
    EXPECT_EQ(task.answer_format, AnswerFormat::kInteger);
    EXPECT_EQ(task.meta.source, "AIME");
    EXPECT_EQ(task.meta.year, 2024);
    EXPECT_TRUE(task.meta.extra.contains("url"));
  }
  EXPECT_EQ(answer_of_id.at("60"), "204");
  EXPECT_EQ(answer_of_id.at("67"), "25");  // "025" in the file
  EXPECT_EQ(answer_of_id.at("75"), "73");  // "073"
}

TEST(RealDatasets, Aime25IsJsonlDespiteItsJsonName) {
  const std::string file = dataset("aime25/aime25.json");
  SKIP_IF_ABSENT(file);
  PackSpec spec = spec_of(file);
  spec.year = 2025;
  const Pack pack = load_ok(spec);
  EXPECT_EQ(pack.format, PackFormat::kAime);
  ASSERT_EQ(pack.tasks.size(), 30u);
  EXPECT_EQ(pack.tasks.front().id, "I-1");
  EXPECT_EQ(pack.tasks.front().answer, "70");
  EXPECT_EQ(pack.tasks.back().id, "II-15");
  for (const Task& task : pack.tasks) {
    EXPECT_EQ(task.meta.year, 2025);  // no url in the file: the spec's year
    EXPECT_FALSE(task.meta.extra.contains("url"));
  }
}

TEST(RealDatasets, Amc23FloatAnswersBecomeIntegersOneNegative) {
  const std::string file = dataset("amc23/test.jsonl");
  SKIP_IF_ABSENT(file);
  const Pack pack = load_ok(spec_of(file));
  ASSERT_EQ(pack.tasks.size(), 40u);
  EXPECT_EQ(pack.tasks[0].answer, "27");
  int negatives = 0;
  for (const Task& task : pack.tasks) {
    EXPECT_EQ(task.answer.find('.'), std::string::npos) << task.id;
    negatives += task.answer.starts_with('-');
    EXPECT_EQ(task.meta.source, "AMC");
    EXPECT_EQ(task.meta.year, 2023);
  }
  EXPECT_EQ(negatives, 1);
}

// ---------------------------------------------------------------- GPQA (real files)

class GpqaFiles : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string zip = dataset("gpqa/gpqa_dataset.zip");
    if (!fs::exists(zip) || std::system("command -v unzip >/dev/null 2>&1") != 0) return;
    dir_ = fresh_temp_dir("gpqa");
    const std::string command = "unzip -P deserted-untie-orchid -o -q '" + zip +
                                "' dataset/gpqa_main.csv dataset/gpqa_diamond.csv -d '" + dir_.string() + "'";
    if (std::system(command.c_str()) != 0) dir_.clear();
  }
  static void TearDownTestSuite() {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  void SetUp() override {
    if (dir_.empty()) GTEST_SKIP() << "gpqa_dataset.zip or unzip is absent";
  }
  static PackSpec spec(const std::string& name, uint64_t seed) {
    PackSpec spec = spec_of((dir_ / "dataset" / ("gpqa_" + name + ".csv")).string());
    spec.shuffle_seed = seed;
    return spec;
  }
  static size_t gold_index(const Task& task) { return static_cast<size_t>(task.answer.at(0) - 'A'); }

  static inline fs::path dir_;
};

TEST_F(GpqaFiles, MainAndDiamondLoadEveryRecord) {
  const Pack main = load_ok(spec("main", 0));
  const Pack diamond = load_ok(spec("diamond", 0));
  EXPECT_EQ(main.tasks.size(), 448u);
  EXPECT_EQ(diamond.tasks.size(), 198u);
  for (const Task& task : diamond.tasks) {
    EXPECT_EQ(task.kind, TaskKind::kChoice);
    EXPECT_EQ(task.choices.size(), 4u);
    EXPECT_TRUE(task.id.starts_with("rec")) << task.id;
    EXPECT_EQ(task.meta.source, "GPQA");
    EXPECT_FALSE(task.meta.subject.empty());
    EXPECT_TRUE((std::set<std::string>{"Biology", "Chemistry", "Physics"}).count(task.meta.extra.at("domain")));
  }
}

TEST_F(GpqaFiles, GoldLetterPointsAtTheCorrectAnswerWhateverTheSeed) {
  const Pack a = load_ok(spec("main", 0));
  const Pack b = load_ok(spec("main", 12345));
  ASSERT_EQ(a.tasks.size(), b.tasks.size());
  for (size_t i = 0; i < a.tasks.size(); ++i) {
    const Task& task = a.tasks[i];
    const auto perm = task.meta.extra.at("permutation").get<std::vector<int>>();
    EXPECT_EQ(perm.at(gold_index(task)), 0) << task.id;  // original index 0 is Correct Answer
    EXPECT_EQ(task.meta.extra.at("shuffle_seed"), 0u);
    // The correct text is the same under another shuffle: the letter follows the answer.
    EXPECT_EQ(task.choices.at(gold_index(task)), b.tasks[i].choices.at(gold_index(b.tasks[i]))) << task.id;
    EXPECT_EQ(std::multiset<std::string>(task.choices.begin(), task.choices.end()),
              std::multiset<std::string>(b.tasks[i].choices.begin(), b.tasks[i].choices.end()));
  }
}

TEST_F(GpqaFiles, ShuffleIsDeterministicForASeedAndDiffersForAnother) {
  const Pack first = load_ok(spec("diamond", 7));
  const Pack again = load_ok(spec("diamond", 7));
  const Pack other = load_ok(spec("diamond", 8));
  size_t differing = 0;
  for (size_t i = 0; i < first.tasks.size(); ++i) {
    EXPECT_EQ(first.tasks[i].choices, again.tasks[i].choices);
    EXPECT_EQ(first.tasks[i].answer, again.tasks[i].answer);
    differing += first.tasks[i].meta.extra["permutation"] != other.tasks[i].meta.extra["permutation"];
  }
  // Two independent permutations of 4 agree with probability 1/24; 90% differing is a loose floor.
  EXPECT_GT(differing, first.tasks.size() * 9 / 10);
}

TEST_F(GpqaFiles, GoldLetterIsUniformOverABCD) {
  std::array<int, 4> counts = {};
  int total = 0;
  for (const char* name : {"main", "diamond"}) {
    for (const Task& task : load_ok(spec(name, 0)).tasks) {
      ++counts.at(gold_index(task));
      ++total;
    }
  }
  double chi_square = 0;
  for (int count : counts) {
    const double expected = total / 4.0;
    chi_square += (count - expected) * (count - expected) / expected;
    EXPECT_GT(count, 0.15 * total);
    EXPECT_LT(count, 0.35 * total);
  }
  // 16.27 is the chi-square critical value for p = 0.001 with 3 degrees of freedom.
  EXPECT_LT(chi_square, 16.27) << counts[0] << " " << counts[1] << " " << counts[2] << " " << counts[3];
}

// ---------------------------------------------------------------- small and broken files

class LoaderFileTest : public testing::Test {
 protected:
  void SetUp() override { dir_ = fresh_temp_dir(testing::UnitTest::GetInstance()->current_test_info()->name()); }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  // The error of loading `text` as `format`; fails the test when it loads.
  std::string error_of(const std::string& name, const std::string& text, PackFormat format) {
    auto pack = load_pack(spec_of(write(name, text), format));
    EXPECT_FALSE(pack.is_ok()) << name << " loaded";
    return pack.status().message();
  }
  std::string at(const std::string& name, int line) const {
    return (dir_ / name).string() + ":" + std::to_string(line) + ": ";
  }

  fs::path dir_;
};

const char* kGpqaHeader =
    "Record ID,Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3,Subdomain\n";

TEST_F(LoaderFileTest, MissingFieldNamesFileLineAndField) {
  const std::string text =
      R"({"problem":"p","answer":"1","unique_id":"a"})" "\n" R"({"problem":"p","unique_id":"b"})" "\n";
  EXPECT_EQ(error_of("m.jsonl", text, PackFormat::kMath500), at("m.jsonl", 2) + "field \"answer\": missing (required)");
}

TEST_F(LoaderFileTest, WrongTypeNamesFileLineAndField) {
  EXPECT_EQ(error_of("m.jsonl", R"({"problem":"p","answer":5,"unique_id":"a"})" "\n", PackFormat::kMath500),
            at("m.jsonl", 1) + "field \"answer\": must be a string");
  EXPECT_EQ(error_of("n.jsonl", R"({"id":"x","kind":"math","prompt":"p","answer":["1"]})" "\n", PackFormat::kNative),
            at("n.jsonl", 1) + "field \"answer\": must be a string");
}

TEST_F(LoaderFileTest, AimeNonIntegerAnswerNamesFileLineAndField) {
  for (const char* answer : {"27.5", "\"abc\"", "\"\"", "true"}) {
    const std::string error = error_of("a.jsonl", std::string(R"({"problem":"p","answer":)") + answer + "}\n",
                                       PackFormat::kAime);
    EXPECT_TRUE(error.starts_with(at("a.jsonl", 1) + "field \"answer\": " + answer + " is not an integer")) << error;
  }
}

TEST_F(LoaderFileTest, AimeAnswerWithLeadingZerosIsTheInteger) {
  const std::map<std::string, std::string> canonical = {
      {"\"025\"", "25"}, {"27.0", "27"}, {"27", "27"}, {"\"27.0\"", "27"}, {"-3", "-3"},
      {"\" -007 \"", "-7"}, {"\"000\"", "0"}, {"\"-0\"", "0"}, {"-1.0", "-1"}, {"\"+12\"", "12"}};
  for (const auto& [answer, expected] : canonical) {
    const Pack pack = load_ok(spec_of(write("a.jsonl", R"({"problem":"p","answer":)" + answer + "}\n"),
                                      PackFormat::kAime));
    ASSERT_EQ(pack.tasks.size(), 1u);
    EXPECT_EQ(pack.tasks[0].answer, expected) << answer;
  }
}

TEST_F(LoaderFileTest, AimeIdIsTheLineNumberWhenAbsentAndQuestionStandsInForProblem) {
  const Pack pack = load_ok(spec_of(write("a.jsonl", "\n" R"({"question":"q","answer":"5"})" "\n"),
                                    PackFormat::kAime));
  ASSERT_EQ(pack.tasks.size(), 1u);
  EXPECT_EQ(pack.tasks[0].id, "2");
  EXPECT_EQ(pack.tasks[0].prompt, "q");
  EXPECT_EQ(error_of("b.jsonl", R"({"answer":"5"})" "\n", PackFormat::kAime),
            at("b.jsonl", 1) + "field \"problem\": missing (required; \"question\" is accepted too)");
}

TEST_F(LoaderFileTest, Math500LevelMayBeALevelString) {
  const Pack pack = load_ok(spec_of(write("m.jsonl",
      R"({"problem":"p","answer":"1","unique_id":"a","level":"Level 3"})" "\n"
      R"({"problem":"p","answer":"1","unique_id":"b","level":"Level ?"})" "\n"), PackFormat::kMath500));
  ASSERT_EQ(pack.tasks.size(), 2u);
  EXPECT_EQ(pack.tasks[0].meta.level, 3);
  EXPECT_FALSE(pack.tasks[1].meta.level.has_value());
  EXPECT_TRUE(error_of("b.jsonl", R"({"problem":"p","answer":"1","unique_id":"a","level":"Level 9"})" "\n",
                       PackFormat::kMath500)
                  .starts_with(at("b.jsonl", 1) + "field \"level\": \"Level 9\" is not a level"));
}

TEST_F(LoaderFileTest, MissingCsvFileIsNotFoundNamingThePath) {
  auto pack = load_pack(spec_of((dir_ / "gone.csv").string()));
  ASSERT_FALSE(pack.is_ok());
  EXPECT_EQ(pack.status().code(), StatusCode::kNotFound);
  EXPECT_NE(pack.status().message().find((dir_ / "gone.csv").string()), std::string::npos);
}

TEST_F(LoaderFileTest, CsvQuotedFieldsKeepCommasQuotesAndNewlines) {
  const std::string csv = std::string(kGpqaHeader) +
                          "r1,\"Two lines,\nwith a comma\",\"  say \"\"hi\"\" \",b,c,d,Optics\r\n"
                          "r2,q2,right,w1,w2,w3,\n";
  const Pack pack = load_ok(spec_of(write("g.csv", csv)));
  ASSERT_EQ(pack.tasks.size(), 2u);
  const Task& task = pack.tasks[0];
  EXPECT_EQ(task.id, "r1");
  EXPECT_EQ(task.prompt, "Two lines,\nwith a comma");
  EXPECT_EQ(task.choices.at(task.answer.at(0) - 'A'), "say \"hi\"");  // stripped, quotes undoubled
  EXPECT_EQ(task.meta.subject, "Optics");
  EXPECT_EQ(pack.tasks[1].choices.at(pack.tasks[1].answer.at(0) - 'A'), "right");
}

TEST_F(LoaderFileTest, GpqaOptionsLoseUnicodeWhiteSpaceAroundThem) {
  const std::string csv = "Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3\n"
                          "\u00A0q\u3000,\"right\u2028\n\",\t w1,w2 ,\u00A0 w\u00A03\u2009\n";
  const Pack pack = load_ok(spec_of(write("g.csv", csv)));
  ASSERT_EQ(pack.tasks.size(), 1u);
  const Task& task = pack.tasks[0];
  EXPECT_EQ(task.prompt, "q");
  EXPECT_EQ(std::set<std::string>(task.choices.begin(), task.choices.end()),
            (std::set<std::string>{"right", "w1", "w2", "w\u00A03"}));
  EXPECT_EQ(task.choices.at(task.answer.at(0) - 'A'), "right");
}

TEST_F(LoaderFileTest, CsvErrorsNameTheLineWhereTheRecordStarts) {
  const std::string rows = std::string(kGpqaHeader) + "r1,\"multi\nline\",a,b,c,d,s\n";
  EXPECT_EQ(error_of("q.csv", rows + "r2,\"never closed,a,b,c,d,s\n", PackFormat::kGpqa),
            at("q.csv", 4) + "unterminated quoted field (the quote opened on line 4 never closes); "
                             "close it, and write a quote inside a field as \"\"");
  EXPECT_EQ(error_of("n.csv", rows + "r2,q,a,b,c\n", PackFormat::kGpqa),
            at("n.csv", 4) + "record has 5 fields, the header has 7; quote fields that hold commas");
  EXPECT_EQ(error_of("e.csv", rows + "r2,q,a,b,   ,d,s\n", PackFormat::kGpqa),
            at("e.csv", 4) + "column \"Incorrect Answer 2\": must not be empty");
  EXPECT_TRUE(error_of("t.csv", rows + "r2,\"q\"x,a,b,c,d,s\n", PackFormat::kGpqa)
                  .starts_with(at("t.csv", 4) + "unexpected text after the closing quote of field 2"));
  EXPECT_TRUE(error_of("d.csv", rows + "r1,q,a,b,c,d,s\n", PackFormat::kGpqa)
                  .starts_with(at("d.csv", 4) + "duplicate id \"r1\" (first used on line 2)"));
}

TEST_F(LoaderFileTest, CsvMissingARequiredColumnNamesIt) {
  EXPECT_EQ(error_of("c.csv", "Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 3\nq,a,b,c\n",
                     PackFormat::kGpqa),
            at("c.csv", 1) + "missing required column \"Incorrect Answer 2\"; "
                             "a GPQA CSV needs Question, Correct Answer and Incorrect Answer 1-3");
}

TEST_F(LoaderFileTest, GpqaWithoutRecordIdUsesTheRowNumberAndStoresItsShuffle) {
  const std::string csv = "Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3\n"
                          "q1,right,w1,w2,w3\n\nq2,right,w1,w2,w3\n";
  PackSpec spec = spec_of(write("g.csv", csv));
  spec.shuffle_seed = 99;
  const Pack pack = load_ok(spec);
  ASSERT_EQ(pack.tasks.size(), 2u);
  EXPECT_EQ(pack.tasks[0].id, "1");
  EXPECT_EQ(pack.tasks[1].id, "2");
  for (const Task& task : pack.tasks) {
    const auto perm = task.meta.extra.at("permutation").get<std::vector<int>>();
    EXPECT_EQ(std::set<int>(perm.begin(), perm.end()), (std::set<int>{0, 1, 2, 3}));
    const std::array<std::string, 4> original = {"right", "w1", "w2", "w3"};
    for (size_t shown = 0; shown < 4; ++shown) EXPECT_EQ(task.choices[shown], original.at(perm[shown]));
    EXPECT_EQ(task.choices.at(task.answer.at(0) - 'A'), "right");
    EXPECT_EQ(task.meta.extra.at("shuffle_seed"), 99u);
  }
}


// ---------------------------------------------------------------- competitive programming and SWE-bench

size_t count_cases(const Pack& pack) {
  size_t cases = 0;
  for (const Task& task : pack.tasks) cases += task.tests.at("cases").size();
  return cases;
}

TEST(RealDatasets, CodeforcesLoadsEveryRecordWithLimitsAndTags) {
  const std::string file = dataset("competitive_programming/codeforces.json");
  SKIP_IF_ABSENT(file);
  const Pack pack = load_ok(spec_of(file));
  EXPECT_EQ(pack.format, PackFormat::kCodeforces);
  ASSERT_EQ(pack.tasks.size(), 408u);
  EXPECT_EQ(count_cases(pack), 468u);
  const Task& first = pack.tasks[0];
  EXPECT_EQ(first.id, "codeforces-0");
  EXPECT_EQ(first.kind, TaskKind::kCode);
  EXPECT_EQ(first.meta.source, "Codeforces");
  EXPECT_EQ(first.meta.subject, "implementation, sortings");
  EXPECT_EQ(first.tests.at("time_limit_ms"), 1000);
  EXPECT_EQ(first.tests.at("memory_limit_mb"), 256);
  EXPECT_EQ(first.tests.at("checker").at("type"), "tokens");
  EXPECT_EQ(first.tests.at("language"), "cpp");
  EXPECT_EQ(pack.tasks[407].id, "codeforces-407");
  std::set<int> time_limits;
  for (const Task& task : pack.tasks) {
    time_limits.insert(task.tests.at("time_limit_ms").get<int>());
    EXPECT_FALSE(task.meta.subject.empty()) << task.id;
  }
  EXPECT_TRUE(time_limits.count(5000)) << "limits other than the first must be parsed too";
}

TEST(RealDatasets, CodeContestsLimitsComeFromSecondsNanosAndBytes) {
  const std::string file = dataset("competitive_programming/code_contests.json");
  SKIP_IF_ABSENT(file);
  const Pack pack = load_ok(spec_of(file));
  EXPECT_EQ(pack.format, PackFormat::kCodeContests);
  ASSERT_EQ(pack.tasks.size(), 165u);
  EXPECT_EQ(count_cases(pack), 1837u);
  EXPECT_EQ(pack.tasks[0].id, "code_contests-0");
  EXPECT_EQ(pack.tasks[0].meta.source, "CodeContests");
  EXPECT_EQ(pack.tasks[0].tests.at("time_limit_ms"), 2000);    // {'seconds': 2, 'nanos': 0}
  EXPECT_EQ(pack.tasks[0].tests.at("memory_limit_mb"), 512);   // 512000000 Bytes
  std::set<int> time_limits;
  for (const Task& task : pack.tasks) time_limits.insert(task.tests.at("time_limit_ms").get<int>());
  EXPECT_TRUE(std::any_of(time_limits.begin(), time_limits.end(), [](int ms) { return ms % 1000 == 500; }))
      << "'nanos': 500000000 must add half a second";
}

TEST(RealDatasets, SwebenchLiteNeedsReposDirThenGivesPatchTasks) {
  const std::string file = dataset("swebench_lite/swe-bench-lite.json");
  SKIP_IF_ABSENT(file);
  auto without = load_pack(spec_of(file));
  ASSERT_FALSE(without.is_ok());
  EXPECT_EQ(without.status().message(),
            file + ": SWE-bench tasks need the repositories: set the pack's repos_dir to a folder holding one "
                   "clone per repository, named owner__name (e.g. django__django)");
  PackSpec spec = spec_of(file);
  spec.repos_dir = "/data/repos";
  const Pack pack = load_ok(spec);
  EXPECT_EQ(pack.format, PackFormat::kSwebench);
  ASSERT_EQ(pack.tasks.size(), 300u);
  std::map<std::string, int> per_repo;
  for (const Task& task : pack.tasks) {
    EXPECT_EQ(task.kind, TaskKind::kPatch);
    EXPECT_TRUE(task.answer.starts_with("diff --git")) << task.id;
    EXPECT_TRUE(task.tests.at("FAIL_TO_PASS").is_array()) << task.id;
    EXPECT_FALSE(task.tests.at("FAIL_TO_PASS").empty()) << task.id;
    EXPECT_TRUE(task.tests.at("PASS_TO_PASS").is_array()) << task.id;
    EXPECT_EQ(task.tests.at("report"), "pytest");
    EXPECT_TRUE(task.tests.at("test_command").get<std::string>().starts_with("python -m pytest -rA "));
    ++per_repo[task.tests.at("repo").get<std::string>()];
  }
  EXPECT_EQ(per_repo["/data/repos/django__django"], 114);
  EXPECT_EQ(per_repo["/data/repos/sympy__sympy"], 77);
  const Task& django = *std::find_if(pack.tasks.begin(), pack.tasks.end(),
                                     [](const Task& task) { return task.id == "django__django-15202"; });
  EXPECT_EQ(django.tests.at("base_commit"), "4fd3044ca0135da903a70dfb66992293f529ecf1");
  EXPECT_EQ(django.tests.at("test_command"),
            "python -m pytest -rA tests/forms_tests/field_tests/test_urlfield.py");
  EXPECT_EQ(django.tests.at("FAIL_TO_PASS").at(0),
            "test_urlfield_clean_invalid (forms_tests.field_tests.test_urlfield.URLFieldTest)");
  EXPECT_TRUE(django.prompt.starts_with("Repository: django/django\n\nURLField throws ValueError"));
  EXPECT_EQ(django.meta.year, 2021);
  EXPECT_EQ(django.meta.extra.at("version"), "4.1");
}

TEST_F(LoaderFileTest, CodeforcesLimitsDefaultWhenTheStatementHasNone) {
  const Pack pack = load_ok(spec_of(write("cf.json", R"([{"problem":"Print 1.","tests":[{"input":"","output":"1"}]}])")));
  ASSERT_EQ(pack.tasks.size(), 1u);
  EXPECT_EQ(pack.tasks[0].id, "cf-0");
  EXPECT_EQ(pack.tasks[0].tests.at("time_limit_ms"), 2000);
  EXPECT_EQ(pack.tasks[0].tests.at("memory_limit_mb"), 256);
  EXPECT_EQ(pack.tasks[0].meta.subject, "");
}

TEST_F(LoaderFileTest, CompetitiveErrorsNameFileRecordAndField) {
  const std::string ok = R"({"problem":"p","tests":[{"input":"1","output":"1"}]})";
  EXPECT_EQ(error_of("a.json", "[" + ok + R"(, {"problem":"p"}])", PackFormat::kCodeforces),
            (dir_ / "a.json").string() + ": record 1: field \"tests\": missing (required)");
  EXPECT_EQ(error_of("b.json", "[" + ok + "," + ok + R"(, {"problem":"p","tests":[{"input":"1","output":2}]}])",
                     PackFormat::kCodeforces),
            (dir_ / "b.json").string() + ": record 2: field \"tests[0].output\": must be a string");
  EXPECT_EQ(error_of("c.json", R"([{"problem":"p","tests":{"inputs":["1","2"],"outputs":["1"]}}])",
                     PackFormat::kCodeContests),
            (dir_ / "c.json").string() +
                ": record 0: field \"tests.outputs\": has 1 entries, tests.inputs has 2; they must pair up");
  EXPECT_EQ(error_of("d.json", "[" + ok + ", 7]", PackFormat::kCodeforces),
            (dir_ / "d.json").string() + ": record 1: expected a JSON object, got number; every array element must be one task");
  EXPECT_TRUE(error_of("e.json", "[" + ok + ",", PackFormat::kAuto)
                  .starts_with((dir_ / "e.json").string() + ": invalid JSON at byte"));
  // The same format as JSONL names the line.
  EXPECT_EQ(error_of("f.jsonl", ok + "\n\n" + R"({"problem":"p","tests":[]})" "\n", PackFormat::kCodeforces),
            at("f.jsonl", 3) + "field \"tests\": must be a non-empty array of {\"input\", \"output\"} objects");
}

TEST_F(LoaderFileTest, SwebenchErrorsNameFileRecordAndField) {
  const std::string fields = R"("repo":"o/r","base_commit":"c","patch":"p","test_patch":"t","problem_statement":"s")";
  PackSpec spec = spec_of(write("s.json", R"([{"instance_id":"a",)" + fields +
                                              R"(,"FAIL_TO_PASS":"[\"t1\"]","PASS_TO_PASS":"not json"}])"));
  spec.repos_dir = "repos";
  auto pack = load_pack(spec);
  ASSERT_FALSE(pack.is_ok());
  EXPECT_EQ(pack.status().message(),
            spec.path + ": record 0: field \"PASS_TO_PASS\": is a string but not a JSON list of test names "
                        "(e.g. \"[\\\"test_a\\\"]\")");
  spec = spec_of(write("d.jsonl", R"({"instance_id":"a",)" + fields + R"(,"FAIL_TO_PASS":[],"PASS_TO_PASS":"[]"})" "\n" +
                                      R"({"instance_id":"a",)" + fields + R"(,"FAIL_TO_PASS":[],"PASS_TO_PASS":[]})" "\n"));
  spec.repos_dir = "repos";
  pack = load_pack(spec);
  ASSERT_FALSE(pack.is_ok());
  EXPECT_EQ(pack.status().message(),
            at("d.jsonl", 2) + "duplicate id \"a\" (first used by line 1); ids must be unique within a pack");
}

TEST_F(LoaderFileTest, SwebenchRepoFolderIsAbsoluteAndTestCommandNamesChangedPythonFiles) {
  PackSpec spec = spec_of(write("s.json", R"([{"instance_id":"o__r-1","repo":"owner/name","base_commit":"c",)"
                                          R"("patch":"p","test_patch":"--- a/t/x.py\n+++ b/t/x.py\n--- a/t/d.json\n+++ b/t/d.json\n)"
                                          R"(--- a/t/old.py\n+++ /dev/null\n--- a/t/x.py\n+++ b/t/x.py\n--- /dev/null\n+++ b/t/y.py\n",)"
                                          R"("problem_statement":"s","FAIL_TO_PASS":"[\"t/x.py::a\"]","PASS_TO_PASS":"[]"}])"));
  spec.repos_dir = (dir_ / "repos" / "..").string() + "/repos";
  const Pack pack = load_ok(spec);
  ASSERT_EQ(pack.tasks.size(), 1u);
  const Task& task = pack.tasks[0];
  EXPECT_EQ(task.tests.at("repo"), (dir_ / "repos" / "owner__name").string());
  EXPECT_EQ(task.tests.at("test_command"), "python -m pytest -rA t/x.py t/y.py");  // Python files, once each
  EXPECT_EQ(task.tests.at("FAIL_TO_PASS"), nlohmann::json::array({"t/x.py::a"}));
  EXPECT_EQ(task.answer, "p");
}

TEST_F(LoaderFileTest, NativePatchRepoIsResolvedAgainstThePackFolder) {
  fs::create_directories(dir_ / "sub");
  const std::string line = R"({"id":"p","kind":"patch","prompt":"fix","tests":{"repo":"repos/slugify","test_command":"t"}})";
  const std::string absolute = R"({"id":"q","kind":"patch","prompt":"fix","tests":{"repo":"/abs/repo","test_command":"t"}})";
  const Pack pack = load_ok(spec_of(write("sub/patch.jsonl", line + "\n" + absolute + "\n")));
  ASSERT_EQ(pack.tasks.size(), 2u);
  EXPECT_EQ(pack.tasks[0].tests.at("repo"), (fs::absolute(dir_) / "sub" / "repos" / "slugify").string());
  EXPECT_EQ(pack.tasks[1].tests.at("repo"), "/abs/repo");
}

TEST_F(LoaderFileTest, JsonlFormatsDetectedInAJsonArrayAreRefused) {
  EXPECT_EQ(error_of("a.json", R"([{"problem":"p","answer":"1"}])", PackFormat::kAuto),
            (dir_ / "a.json").string() + ": is one JSON array, but aime packs are JSON Lines (one object per line); "
                                         "convert the file or set the pack's format to codeforces, code_contests or swebench");
}

// ---------------------------------------------------------------- bundled Codeforces-style pack

TEST(BundledCfPack, LoadsTwentyRatedProblemsEachWithAPassingAndAFailingSolution) {
  const fs::path root = fs::path(R1B_SOURCE_DIR) / "packs" / "cf";
  const Pack pack = load_ok(spec_of((root / "problems.jsonl").string()));
  EXPECT_EQ(pack.format, PackFormat::kNative);
  ASSERT_GE(pack.tasks.size(), 20u);
  std::map<std::string, int> checkers;
  for (const Task& task : pack.tasks) {
    EXPECT_EQ(task.kind, TaskKind::kCode) << task.id;
    EXPECT_EQ(task.meta.source, "r1bench-cf") << task.id;
    ASSERT_TRUE(task.meta.rating.has_value()) << task.id;
    EXPECT_GE(*task.meta.rating, 800) << task.id;
    EXPECT_LE(*task.meta.rating, 2400) << task.id;
    EXPECT_FALSE(task.meta.subject.empty()) << task.id;
    const size_t num_cases = task.tests.at("cases").size();
    EXPECT_GE(num_cases, 4u) << task.id;
    EXPECT_LE(num_cases, 10u) << task.id;
    ++checkers[task.tests.at("checker").at("type").get<std::string>()];
    const fs::path solutions = root / "solutions" / task.id;
    EXPECT_TRUE(fs::exists(solutions / "ok.cpp") || fs::exists(solutions / "ok.py")) << task.id;
    bool has_failing = false;
    for (const char* name : {"wa.cpp", "wa.py", "tle.cpp", "tle.py", "re.cpp", "mle.cpp"}) {
      has_failing = has_failing || fs::exists(solutions / name);
    }
    EXPECT_TRUE(has_failing) << task.id << " has no failing solution";
  }
  EXPECT_GE(checkers["program"], 3);
  EXPECT_GE(checkers["float"], 1);
}

}  // namespace
}  // namespace r1b::tasks
