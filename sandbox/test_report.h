// Test reports: what a test command's output says about each test, as {test id -> status}.
//
// Three formats, picked by a patch task's "report" field (sandbox/patch.h):
//   "pytest"        the short test summary that `pytest -rA` prints ("PASSED path::test",
//                   "FAILED path::test - msg", "ERROR path[::test]", "SKIPPED [n] path:line: why",
//                   "XFAIL path::test - why", "XPASS path::test why"). Ids are pytest node ids;
//                   parametrized ids keep their brackets, spaces and " - " inside the brackets.
//   "junit:<path>"  a JUnit XML file the test command writes (path relative to the repo root),
//                   read with tinyxml2. Each <testcase> is one test: id "classname::name", or just
//                   "name" when classname is empty or equal to name (ctest --output-junit writes
//                   both as the test name). pytest --junitxml ids are therefore
//                   "dotted.module.Class::test", not node ids: list F2P/P2P ids in that form.
//   "ctest"         ctest's progress lines ("1/3 Test #1: name ....   Passed    0.01 sec") and its
//                   closing "The following tests FAILED:" list ("  2 - name (Failed)").
//
// Status mapping (the same in every format; SWE-bench's for pytest):
//   passed  PASSED; XFAIL and XPASS (the run accepts both; JUnit <skipped type="pytest.xfail">
//           too); ctest Passed; a JUnit testcase with no failure/error/skipped child.
//   failed  FAILED; ctest Failed and Timeout; JUnit <failure> or status="fail".
//   skipped SKIPPED (recorded under its "path:line" location, as pytest -rA prints no node id);
//           ctest Skipped and Not Run (Disabled); JUnit <skipped> or status "notrun"/"disabled".
//   error   ERROR (setup/teardown/collection); ctest Exception (crash) and Not Run (no executable,
//           e.g. the build failed); JUnit <error>.
// When one id is reported more than once the worst status wins (error > failed > skipped >
// passed): a test that passed and then errored in teardown is an error, and a line the code under
// test prints to fake a pass cannot hide the runner's own failure line.
//
// All functions are pure (parse_report also reads the JUnit file), never throw on any input, and
// are thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace r1b::sandbox {

enum class TestStatus { kPassed, kFailed, kSkipped, kError };

std::string_view test_status_name(TestStatus status);

struct TestReport {
  std::map<std::string, TestStatus> tests;  // test id -> status
  // Why the report holds fewer results than expected, when the parser can tell ("no pytest short
  // test summary in the output", "JUnit report build/junit.xml was not written"); "" otherwise.
  std::string note;

  // Records `status` for `id`; an id seen before keeps the worse of the two (order above).
  void add(const std::string& id, TestStatus status);
  // The status of `id`, or nullopt when the report does not mention it.
  std::optional<TestStatus> find(const std::string& id) const;
};

enum class ReportFormat { kPytest, kJunit, kCtest };

struct ReportSpec {
  ReportFormat format = ReportFormat::kPytest;
  std::string junit_path;  // kJunit: relative to the repo root
};

// Parses a "report" field: "pytest" | "ctest" | "junit:<relative path>". Errors say what is
// accepted; a JUnit path that is absolute or climbs out with ".." is refused.
Result<ReportSpec> parse_report_spec(std::string_view text);

// pytest -rA short summary lines of `output` (every "short test summary info" section; lines
// outside those sections are ignored). No section: an empty report whose note says so.
TestReport parse_pytest_report(std::string_view output);

// Every <testcase> anywhere in the document. Malformed XML: kInvalidInput naming tinyxml2's error.
Result<TestReport> parse_junit_report(std::string_view xml);

// ctest progress lines and the closing failed / did-not-run lists of `output`.
TestReport parse_ctest_report(std::string_view output);

// The report of one test run: `test_output` is the test command's stdout+stderr; for kJunit the
// file `repo_dir`/junit_path is read instead. A missing or malformed JUnit file (the build failed,
// the run crashed) gives an empty report whose note says so: it is the code's fault, not the
// judge's.
TestReport parse_report(const ReportSpec& spec, std::string_view test_output, const std::filesystem::path& repo_dir);

}  // namespace r1b::sandbox
