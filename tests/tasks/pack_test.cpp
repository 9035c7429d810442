#include "tasks/pack.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace r1b::tasks {
namespace {

namespace fs = std::filesystem;

// A spec for `path` with every other field at its default.
PackSpec spec_of(std::string path, PackFormat format = PackFormat::kAuto) {
  PackSpec spec;
  spec.path = std::move(path);
  spec.format = format;
  return spec;
}

// A fresh folder per test (tests may run in parallel processes), removed afterwards.
class PackFileTest : public testing::Test {
 protected:
  void SetUp() override {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(testing::TempDir()) /
           ("r1b_pack_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string at(const std::string& name, int line) const { return path(name) + ":" + std::to_string(line) + ": "; }
  // The error of loading `text` as `format`; fails the test when it loads.
  std::string error_of(const std::string& name, const std::string& text, PackFormat format) {
    auto pack = load_pack(spec_of(write(name, text), format));
    EXPECT_FALSE(pack.is_ok()) << name << " loaded";
    return pack.status().message();
  }

  fs::path dir_;
};

const char* kNativeLine = R"({"id":"n1","kind":"math","prompt":"1+1?","answer":"2"})";
const char* kMath500Line =
    R"({"problem":"p","solution":"s","answer":"\\frac12","subject":"Algebra","level":2,"unique_id":"t/a/1.json"})";
const char* kAimeLine = R"({"id":3,"problem":"p","answer":"007"})";

TEST(PackFormatNames, RoundTripAndRejectUnknown) {
  for (PackFormat format :
       {PackFormat::kAuto, PackFormat::kNative, PackFormat::kMath500, PackFormat::kAime, PackFormat::kGpqa}) {
    EXPECT_EQ(parse_format(format_name(format)), format);
  }
  EXPECT_FALSE(parse_format("jsonl").has_value());
}

TEST_F(PackFileTest, WrittenNativePackLoadsBackIdentically) {
  Pack pack;
  pack.name = "mixed";
  Task math;
  math.id = "m1";
  math.prompt = "Compute 1/2 + 1/2.\nShow \"work\".";
  math.answer = "1";
  math.answer_format = AnswerFormat::kInteger;
  math.meta.year = 2024;
  math.meta.extra = {{"permutation", {1, 0}}};
  Task choice;
  choice.id = "c1";
  choice.kind = TaskKind::kChoice;
  choice.prompt = "Pick — one ✓";
  choice.choices = {"x", "y", "z"};
  choice.answer = "B";
  pack.tasks = {math, choice};
  ASSERT_TRUE(write_native_pack(pack, path("out.jsonl")).is_ok());

  auto back = load_pack(spec_of(path("out.jsonl")));
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(back->format, PackFormat::kNative);
  ASSERT_EQ(back->tasks.size(), 2u);
  for (size_t i = 0; i < 2; ++i) EXPECT_EQ(task_to_json(back->tasks[i]), task_to_json(pack.tasks[i]));
}

TEST_F(PackFileTest, AutoDetectsTheFormatFromTheFirstRecord) {
  const std::pair<const char*, PackFormat> cases[] = {
      {kNativeLine, PackFormat::kNative}, {kMath500Line, PackFormat::kMath500}, {kAimeLine, PackFormat::kAime}};
  for (const auto& [line, format] : cases) {
    auto pack = load_pack(spec_of(write("p.jsonl", std::string(line) + "\n")));
    ASSERT_TRUE(pack.is_ok()) << pack.status().message();
    EXPECT_EQ(pack->format, format) << line;
  }
}

TEST_F(PackFileTest, AutoTreatsCsvAsGpqa) {
  const std::string csv = "Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3\n"
                          "q,right,w1,w2,w3\n";
  auto pack = load_pack(spec_of(write("p.CSV", csv)));
  ASSERT_TRUE(pack.is_ok()) << pack.status().message();
  EXPECT_EQ(pack->format, PackFormat::kGpqa);
  EXPECT_EQ(pack->tasks.at(0).kind, TaskKind::kChoice);
}

TEST_F(PackFileTest, ExplicitFormatWinsOverDetection) {
  // A record with "kind" would be detected as native; read as aime it needs an integer answer.
  const std::string file = write("p.jsonl", R"({"kind":"x","problem":"p","answer":"12"})" "\n");
  auto pack = load_pack(spec_of(file, PackFormat::kAime));
  ASSERT_TRUE(pack.is_ok()) << pack.status().message();
  EXPECT_EQ(pack->format, PackFormat::kAime);
  EXPECT_EQ(pack->tasks.at(0).answer, "12");
}

TEST_F(PackFileTest, UndetectableFormatNamesFileLineAndAsksForTheFormat) {
  const std::string file = write("p.jsonl", "\n{\"text\":\"hello\"}\n");
  auto pack = load_pack(spec_of(file));
  ASSERT_FALSE(pack.is_ok());
  EXPECT_EQ(pack.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(pack.status().message().find(file + ":2: cannot tell the pack format"), std::string::npos)
      << pack.status().message();
  EXPECT_NE(pack.status().message().find("set the pack's format"), std::string::npos);
}

TEST_F(PackFileTest, NameDefaultsToTheFileStem) {
  auto pack = load_pack(spec_of(write("aime-2030.jsonl", std::string(kAimeLine) + "\n")));
  ASSERT_TRUE(pack.is_ok()) << pack.status().message();
  EXPECT_EQ(pack->name, "aime-2030");
  PackSpec spec = spec_of(path("aime-2030.jsonl"));
  spec.name = "mine";
  auto named = load_pack(spec);
  ASSERT_TRUE(named.is_ok());
  EXPECT_EQ(named->name, "mine");
}

TEST_F(PackFileTest, SpecSourceOverridesAndSpecYearOnlyFillsAMissingYear) {
  const std::string file = write("p.jsonl",
                                 R"({"id":1,"problem":"p","answer":"1","url":"https://x/2021_AIME_I_Problems/1"})" "\n"
                                 R"({"id":2,"problem":"p","answer":"2"})" "\n");
  PackSpec spec = spec_of(file);
  spec.source = "HMMT";
  spec.year = 2030;
  auto pack = load_pack(spec);
  ASSERT_TRUE(pack.is_ok()) << pack.status().message();
  EXPECT_EQ(pack->tasks[0].meta.source, "HMMT");
  EXPECT_EQ(pack->tasks[0].meta.year, 2021);
  EXPECT_EQ(pack->tasks[1].meta.source, "HMMT");
  EXPECT_EQ(pack->tasks[1].meta.year, 2030);
}

TEST_F(PackFileTest, BlankLinesCrlfAndByteOrderMarkAreAccepted) {
  const std::string file = write("p.jsonl", "\xEF\xBB\xBF" + std::string(kAimeLine) + "\r\n  \r\n\r\n" +
                                                R"({"id":4,"problem":"q","answer":8})" "\r\n");
  auto pack = load_pack(spec_of(file));
  ASSERT_TRUE(pack.is_ok()) << pack.status().message();
  ASSERT_EQ(pack->tasks.size(), 2u);
  EXPECT_EQ(pack->tasks[1].id, "4");
}

TEST_F(PackFileTest, MissingFileIsNotFoundNamingThePath) {
  auto pack = load_pack(spec_of(path("nope.jsonl")));
  ASSERT_FALSE(pack.is_ok());
  EXPECT_EQ(pack.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(pack.status().message(), path("nope.jsonl") + ": no such file; check the pack path");
}

TEST_F(PackFileTest, FolderInsteadOfFileIsRejected) {
  auto pack = load_pack(spec_of(dir_.string()));
  ASSERT_FALSE(pack.is_ok());
  EXPECT_NE(pack.status().message().find("is a folder"), std::string::npos);
}

TEST(PackSpecs, EmptyPathIsRejectedNamingThePack) {
  PackSpec spec;
  spec.name = "demo-math";
  auto pack = load_pack(spec);
  ASSERT_FALSE(pack.is_ok());
  EXPECT_EQ(pack.status().message(), "pack \"demo-math\": no path; set the pack's path to its file");
}

TEST_F(PackFileTest, WritingIntoAMissingFolderIsAnIOError) {
  const Status status = write_native_pack(Pack{}, path("no/such/folder/out.jsonl"));
  EXPECT_EQ(status.code(), StatusCode::kIOError);
  EXPECT_NE(status.message().find("check that the folder exists"), std::string::npos);
}

TEST_F(PackFileTest, WritingInvalidUtf8IsAnErrorNamingTheTask) {
  Pack pack;
  pack.name = "bad";
  pack.tasks.resize(1);
  pack.tasks[0].id = "t9";
  pack.tasks[0].prompt = "\xFF\xFE";
  const Status status = write_native_pack(pack, path("out.jsonl"));
  EXPECT_EQ(status.code(), StatusCode::kInvalidInput);
  EXPECT_NE(status.message().find("task \"t9\""), std::string::npos) << status.message();
}

TEST_F(PackFileTest, BadJsonNamesFileAndLine) {
  const std::string error = error_of("bad.jsonl",
                                     R"({"id":1,"problem":"p","answer":"1"})" "\n\n" R"({"id":2,"problem":"p",)" "\n",
                                     PackFormat::kAime);
  EXPECT_TRUE(error.starts_with(at("bad.jsonl", 3) + "invalid JSON at column")) << error;
  EXPECT_NE(error.find("each non-blank line must be one JSON object"), std::string::npos);
}

TEST_F(PackFileTest, LineThatIsNotAnObjectNamesFileAndLine) {
  EXPECT_EQ(error_of("arr.jsonl", "[1, 2]\n", PackFormat::kNative),
            at("arr.jsonl", 1) + "expected a JSON object, got array; each non-blank line must be one JSON object");
}

TEST_F(PackFileTest, DuplicateIdNamesBothLines) {
  const std::string text = R"({"id":7,"problem":"p","answer":"1"})" "\n" R"({"id":8,"problem":"p","answer":"1"})" "\n"
                           "\n" R"({"id":"7","problem":"p","answer":"1"})" "\n";
  EXPECT_EQ(error_of("d.jsonl", text, PackFormat::kAime),
            at("d.jsonl", 4) + "duplicate id \"7\" (first used on line 1); ids must be unique within a pack");
}

TEST_F(PackFileTest, EmptyOrBlankFileIsAnError) {
  const std::string empty = error_of("e.jsonl", "", PackFormat::kAuto);
  EXPECT_TRUE(empty.starts_with(path("e.jsonl") + ": no tasks")) << empty;
  EXPECT_TRUE(error_of("b.jsonl", "\n  \n", PackFormat::kNative).find(": no tasks") != std::string::npos);
  EXPECT_TRUE(error_of("h.csv", "Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3\n",
                       PackFormat::kGpqa)
                  .find(": no tasks") != std::string::npos);
}

TEST(Pack, BundledDemoPacksOfEveryKindLoad) {
  const std::string demo = std::string(R1B_SOURCE_DIR) + "/packs/demo/";
  const std::vector<std::pair<std::string, TaskKind>> packs = {
      {"math.jsonl", TaskKind::kMath}, {"choice.jsonl", TaskKind::kChoice},
      {"code.jsonl", TaskKind::kCode}, {"patch.jsonl", TaskKind::kPatch}};
  for (const auto& [file, kind] : packs) {
    PackSpec spec;
    spec.path = demo + file;
    auto pack = load_pack(spec);
    ASSERT_TRUE(pack.is_ok()) << pack.status().message();
    EXPECT_EQ(pack->format, PackFormat::kNative);
    ASSERT_FALSE(pack->tasks.empty()) << file;
    for (const Task& t : pack->tasks) EXPECT_EQ(t.kind, kind) << file << " " << t.id;
  }
}

}  // namespace
}  // namespace r1b::tasks
