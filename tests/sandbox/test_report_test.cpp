#include "sandbox/test_report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace r1b::sandbox {
namespace {

namespace fs = std::filesystem;

// Real outputs of pytest 7.2 and ctest 3.25, produced as tests/sandbox/testdata/README.md says.
std::string fixture(const std::string& name) {
  std::ifstream in(fs::path(R1B_SOURCE_DIR) / "tests/sandbox/testdata" / name, std::ios::binary);
  EXPECT_TRUE(in) << "missing fixture " << name;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Expects `id` in `report` with `status`.
void expect_status(const TestReport& report, const std::string& id, TestStatus status) {
  auto found = report.find(id);
  ASSERT_TRUE(found.has_value()) << "no result for " << id;
  EXPECT_EQ(test_status_name(*found), test_status_name(status)) << id;
}

TEST(PytestReport, SummaryOfAMixedRunMapsEveryOutcome) {
  TestReport report = parse_pytest_report(fixture("pytest_mixed.txt"));
  EXPECT_EQ(report.tests.size(), 10u);
  EXPECT_EQ(report.note, "");
  expect_status(report, "test_sample.py::test_ok", TestStatus::kPassed);
  expect_status(report, "test_sample.py::test_fails", TestStatus::kFailed);
  expect_status(report, "test_sample.py::test_uses_broken_fixture", TestStatus::kError);
  expect_status(report, "test_sample.py:21", TestStatus::kSkipped);  // -rA prints the location only
  expect_status(report, "test_sample.py::test_expected_failure", TestStatus::kPassed);  // XFAIL
  expect_status(report, "test_sample.py::test_unexpected_pass", TestStatus::kPassed);   // XPASS
  expect_status(report, "test_sample.py::TestGroup::test_method", TestStatus::kPassed);
}

TEST(PytestReport, ParametrizedIdsKeepBracketsSpacesAndDashes) {
  TestReport report = parse_pytest_report(fixture("pytest_mixed.txt"));
  expect_status(report, "test_sample.py::test_params[a b-a-b]", TestStatus::kPassed);
  expect_status(report, "test_sample.py::test_params[x - y-x-y]", TestStatus::kFailed);
  expect_status(report, "test_sample.py::test_params[[z]-z]", TestStatus::kPassed);
}

TEST(PytestReport, CollectionErrorIsRecordedUnderTheFile) {
  TestReport report = parse_pytest_report(fixture("pytest_collection_error.txt"));
  EXPECT_EQ(report.tests.size(), 1u);
  expect_status(report, "test_broken.py", TestStatus::kError);
  EXPECT_FALSE(report.find("test_fine.py::test_fine").has_value());
}

TEST(PytestReport, OutputWithoutSummaryIsEmptyWithANote) {
  TestReport report = parse_pytest_report("test_x.py ..F\n1 failed, 2 passed in 0.01s\n");
  EXPECT_TRUE(report.tests.empty());
  EXPECT_NE(report.note.find("-rA"), std::string::npos) << report.note;
}

TEST(PytestReport, LinesOutsideTheSummaryAreIgnored) {
  const std::string output =
      "==================================== PASSES ====================================\n"
      "PASSED test_x.py::test_printed_by_the_code\n"
      "=========================== short test summary info ============================\n"
      "FAILED test_x.py::test_real - assert 1 == 2\n"
      "============================== 1 failed in 0.01s ===============================\n"
      "PASSED test_x.py::test_real\n";
  TestReport report = parse_pytest_report(output);
  EXPECT_EQ(report.tests.size(), 1u);
  expect_status(report, "test_x.py::test_real", TestStatus::kFailed);
}

TEST(PytestReport, WorstStatusWinsForARepeatedId) {
  const std::string output =
      "=========================== short test summary info ============================\n"
      "PASSED test_x.py::test_teardown_breaks\n"
      "ERROR test_x.py::test_teardown_breaks - RuntimeError: teardown\n"
      "FAILED test_x.py::test_faked - assert False\n"
      "PASSED test_x.py::test_faked\n";
  TestReport report = parse_pytest_report(output);
  expect_status(report, "test_x.py::test_teardown_breaks", TestStatus::kError);
  expect_status(report, "test_x.py::test_faked", TestStatus::kFailed);
}

TEST(PytestReport, ColouredCrlfOutputParses) {
  const std::string output =
      "\x1b[36m=========================== short test summary info ============================\x1b[0m\r\n"
      "\x1b[32mPASSED\x1b[0m test_x.py::test_a\r\n"
      "\x1b[31mFAILED\x1b[0m test_x.py::test_b - assert 0\r\n";
  TestReport report = parse_pytest_report(output);
  expect_status(report, "test_x.py::test_a", TestStatus::kPassed);
  expect_status(report, "test_x.py::test_b", TestStatus::kFailed);
}

TEST(JunitReport, PytestJunitIdsAreClassnameAndName) {
  auto report = parse_junit_report(fixture("pytest_junit.xml"));
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  EXPECT_EQ(report->tests.size(), 10u);
  expect_status(*report, "test_sample::test_ok", TestStatus::kPassed);
  expect_status(*report, "test_sample::test_fails", TestStatus::kFailed);
  expect_status(*report, "test_sample::test_uses_broken_fixture", TestStatus::kError);
  expect_status(*report, "test_sample::test_skipped", TestStatus::kSkipped);
  expect_status(*report, "test_sample::test_expected_failure", TestStatus::kPassed);  // pytest.xfail
  expect_status(*report, "test_sample::test_params[x - y-x-y]", TestStatus::kFailed);
  expect_status(*report, "test_sample.TestGroup::test_method", TestStatus::kPassed);
}

TEST(JunitReport, CtestJunitIdsAreTestNamesAndStatusAttributeCounts) {
  auto report = parse_junit_report(fixture("ctest_junit.xml"));
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  EXPECT_EQ(report->tests.size(), 7u);
  expect_status(*report, "passes", TestStatus::kPassed);
  expect_status(*report, "fails", TestStatus::kFailed);
  expect_status(*report, "crashes", TestStatus::kFailed);
  expect_status(*report, "hangs", TestStatus::kFailed);
  expect_status(*report, "no_binary", TestStatus::kSkipped);
  expect_status(*report, "disabled", TestStatus::kSkipped);  // status="disabled", no child element
  expect_status(*report, "skips", TestStatus::kSkipped);
}

TEST(JunitReport, NestedSuitesAreWalked) {
  auto report = parse_junit_report(
      "<testsuites><testsuite name='outer'><testsuite name='inner'>"
      "<testcase classname='pkg.Mod' name='t1'/><testcase name='t2'><failure/></testcase>"
      "</testsuite></testsuite></testsuites>");
  ASSERT_TRUE(report.is_ok()) << report.status().message();
  expect_status(*report, "pkg.Mod::t1", TestStatus::kPassed);
  expect_status(*report, "t2", TestStatus::kFailed);
}

TEST(JunitReport, MalformedXmlIsAnInvalidInput) {
  auto report = parse_junit_report("<testsuite><testcase name='a'>");
  ASSERT_FALSE(report.is_ok());
  EXPECT_EQ(report.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(report.status().message().find("malformed JUnit XML"), std::string::npos);
}

TEST(CtestReport, ProgressLinesAndFailedListMapEveryOutcome) {
  TestReport report = parse_ctest_report(fixture("ctest_mixed.txt"));
  EXPECT_EQ(report.tests.size(), 7u);
  expect_status(report, "passes", TestStatus::kPassed);
  expect_status(report, "fails", TestStatus::kFailed);
  expect_status(report, "crashes", TestStatus::kError);
  expect_status(report, "hangs", TestStatus::kFailed);
  expect_status(report, "no_binary", TestStatus::kError);
  expect_status(report, "disabled", TestStatus::kSkipped);
  expect_status(report, "skips", TestStatus::kSkipped);
}

TEST(CtestReport, FailedListAloneIsEnough) {
  TestReport report = parse_ctest_report("The following tests FAILED:\n\t  2 - parse_url (Failed)\n\t  3 - big (Timeout)\n");
  expect_status(report, "parse_url", TestStatus::kFailed);
  expect_status(report, "big", TestStatus::kFailed);
}

TEST(CtestReport, OutputWithoutResultsIsEmptyWithANote) {
  TestReport report = parse_ctest_report("CMake Error: the source directory does not exist\n");
  EXPECT_TRUE(report.tests.empty());
  EXPECT_NE(report.note, "");
}

TEST(ReportSpec, AcceptsThePublishedForms) {
  EXPECT_EQ(parse_report_spec("pytest")->format, ReportFormat::kPytest);
  EXPECT_EQ(parse_report_spec("ctest")->format, ReportFormat::kCtest);
  auto junit = parse_report_spec("junit:build/junit.xml");
  ASSERT_TRUE(junit.is_ok());
  EXPECT_EQ(junit->format, ReportFormat::kJunit);
  EXPECT_EQ(junit->junit_path, "build/junit.xml");
}

TEST(ReportSpec, RefusesUnknownFormsAndPathsOutsideTheRepo) {
  for (const char* text : {"tap", "junit:", "junit:/tmp/x.xml", "junit:../x.xml", "junit:build/../../x.xml"}) {
    auto spec = parse_report_spec(text);
    EXPECT_FALSE(spec.is_ok()) << text;
    EXPECT_EQ(spec.status().code(), StatusCode::kInvalidInput) << text;
  }
}

// A fresh folder per test (tests may run in parallel processes), removed afterwards.
class ReportFileTest : public testing::Test {
 protected:
  void SetUp() override {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(testing::TempDir()) / ("r1b_report_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "build");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ReportFileTest, JunitReportIsReadFromTheRepo) {
  std::ofstream(dir_ / "build/junit.xml") << fixture("ctest_junit.xml");
  TestReport report = parse_report(*parse_report_spec("junit:build/junit.xml"), "ignored output", dir_);
  EXPECT_EQ(report.tests.size(), 7u);
  EXPECT_EQ(report.note, "");
}

TEST_F(ReportFileTest, MissingJunitReportIsEmptyWithANote) {
  TestReport report = parse_report(*parse_report_spec("junit:build/junit.xml"), "ninja: build stopped", dir_);
  EXPECT_TRUE(report.tests.empty());
  EXPECT_NE(report.note.find("build/junit.xml was not written"), std::string::npos) << report.note;
}

TEST_F(ReportFileTest, TruncatedJunitReportIsEmptyWithANote) {
  std::ofstream(dir_ / "report.xml") << "<testsuite><testcase name='a'>";
  TestReport report = parse_report(*parse_report_spec("junit:report.xml"), "", dir_);
  EXPECT_TRUE(report.tests.empty());
  EXPECT_NE(report.note.find("malformed JUnit XML"), std::string::npos) << report.note;
}

TEST_F(ReportFileTest, TextFormatsParseTheCommandOutput) {
  TestReport report = parse_report(*parse_report_spec("ctest"), fixture("ctest_mixed.txt"), dir_);
  EXPECT_EQ(report.tests.size(), 7u);
}

}  // namespace
}  // namespace r1b::sandbox
