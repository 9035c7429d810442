#include "sandbox/test_report.h"

#include <re2/re2.h>
#include <tinyxml2.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace r1b::sandbox {

std::string_view test_status_name(TestStatus status) {
  switch (status) {
    case TestStatus::kPassed: return "passed";
    case TestStatus::kFailed: return "failed";
    case TestStatus::kSkipped: return "skipped";
    case TestStatus::kError: return "error";
  }
  return "error";
}

namespace {

// Badness order for "worst wins": passed < skipped < failed < error.
int severity(TestStatus status) {
  switch (status) {
    case TestStatus::kPassed: return 0;
    case TestStatus::kSkipped: return 1;
    case TestStatus::kFailed: return 2;
    case TestStatus::kError: return 3;
  }
  return 3;
}

// The lines of `text` without "\r" line ends and without ANSI colour sequences (pytest --color=yes).
std::vector<std::string> clean_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::string line;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n') {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back(std::move(line));
      line.clear();
    } else if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;  // to the final byte
    } else {
      line.push_back(text[i]);
    }
  }
  return lines;
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// The node id at the start of `rest`: up to the first space outside [...] parameter brackets.
std::string pytest_node_id(std::string_view rest) {
  int depth = 0;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '[') ++depth;
    if (rest[i] == ']' && depth > 0) --depth;
    if (rest[i] == ' ' && depth == 0) return std::string(rest.substr(0, i));
  }
  return std::string(rest);
}

// "SKIPPED [1] test_x.py:21: reason" -> "test_x.py:21".
std::string pytest_skip_location(std::string_view rest) {
  if (starts_with(rest, "[")) {
    size_t close = rest.find("] ");
    if (close != std::string_view::npos) rest.remove_prefix(close + 2);
  }
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return pytest_node_id(rest);
  size_t line_end = colon + 1;
  while (line_end < rest.size() && rest[line_end] >= '0' && rest[line_end] <= '9') ++line_end;
  return std::string(rest.substr(0, line_end));
}

struct PytestWord {
  std::string_view word;
  TestStatus status;
};
constexpr PytestWord kPytestWords[] = {
    {"PASSED ", TestStatus::kPassed}, {"FAILED ", TestStatus::kFailed},   {"ERROR ", TestStatus::kError},
    {"XFAIL ", TestStatus::kPassed},  {"XPASS ", TestStatus::kPassed},    {"SKIPPED ", TestStatus::kSkipped},
};

bool is_pytest_banner(std::string_view line) { return starts_with(line, "===") || starts_with(line, "!!!"); }

}  // namespace

void TestReport::add(const std::string& id, TestStatus status) {
  auto [it, inserted] = tests.emplace(id, status);
  if (!inserted && severity(status) > severity(it->second)) it->second = status;
}

std::optional<TestStatus> TestReport::find(const std::string& id) const {
  auto it = tests.find(id);
  if (it == tests.end()) return std::nullopt;
  return it->second;
}

Result<ReportSpec> parse_report_spec(std::string_view text) {
  ReportSpec spec;
  if (text == "pytest") return spec;
  if (text == "ctest") {
    spec.format = ReportFormat::kCtest;
    return spec;
  }
  constexpr std::string_view kJunit = "junit:";
  if (!starts_with(text, kJunit)) {
    return Status::invalid_input("\"" + std::string(text) + "\" is not one of pytest, ctest, junit:<path in repo>");
  }
  std::filesystem::path path(std::string(text.substr(kJunit.size())));
  if (path.empty() || path.is_absolute()) {
    return Status::invalid_input("junit report path must be relative to the repo root, got \"" + path.string() + "\"");
  }
  for (const auto& part : path) {
    if (part == "..") return Status::invalid_input("junit report path must stay inside the repo, got \"" + path.string() + "\"");
  }
  spec.format = ReportFormat::kJunit;
  spec.junit_path = path.generic_string();
  return spec;
}

TestReport parse_pytest_report(std::string_view output) {
  TestReport report;
  bool in_summary = false;
  bool saw_summary = false;
  for (const std::string& line : clean_lines(output)) {
    if (is_pytest_banner(line)) {
      in_summary = line.find(" short test summary info ") != std::string::npos;
      saw_summary = saw_summary || in_summary;
      continue;
    }
    if (!in_summary) continue;
    for (const PytestWord& entry : kPytestWords) {
      if (!starts_with(line, entry.word)) continue;
      std::string_view rest = std::string_view(line).substr(entry.word.size());
      std::string id = entry.status == TestStatus::kSkipped ? pytest_skip_location(rest) : pytest_node_id(rest);
      if (!id.empty()) report.add(id, entry.status);
      break;
    }
  }
  if (!saw_summary) report.note = "no pytest short test summary in the output (run pytest with -rA)";
  return report;
}

namespace {

std::string junit_id(const tinyxml2::XMLElement& testcase) {
  const char* name_attr = testcase.Attribute("name");
  const char* class_attr = testcase.Attribute("classname");
  std::string name = name_attr ? name_attr : "";
  std::string classname = class_attr ? class_attr : "";
  if (classname.empty() || classname == name) return name;
  return classname + "::" + name;
}

TestStatus junit_status(const tinyxml2::XMLElement& testcase) {
  if (testcase.FirstChildElement("error")) return TestStatus::kError;
  if (testcase.FirstChildElement("failure")) return TestStatus::kFailed;
  if (const auto* skipped = testcase.FirstChildElement("skipped")) {
    const char* type = skipped->Attribute("type");
    return type && std::string_view(type) == "pytest.xfail" ? TestStatus::kPassed : TestStatus::kSkipped;
  }
  const char* status = testcase.Attribute("status");  // ctest: run | fail | notrun | disabled
  std::string_view value = status ? status : "";
  if (value == "fail") return TestStatus::kFailed;
  if (value == "notrun" || value == "disabled") return TestStatus::kSkipped;
  return TestStatus::kPassed;
}

void collect_testcases(const tinyxml2::XMLNode& parent, TestReport& report) {
  for (const auto* child = parent.FirstChildElement(); child; child = child->NextSiblingElement()) {
    if (std::string_view(child->Name()) == "testcase") {
      std::string id = junit_id(*child);
      if (!id.empty()) report.add(id, junit_status(*child));
    } else {
      collect_testcases(*child, report);
    }
  }
}

}  // namespace

Result<TestReport> parse_junit_report(std::string_view xml) {
  tinyxml2::XMLDocument doc;
  if (doc.Parse(xml.data(), xml.size()) != tinyxml2::XML_SUCCESS) {
    return Status::invalid_input(std::string("malformed JUnit XML: ") + doc.ErrorStr());
  }
  TestReport report;
  collect_testcases(doc, report);
  return report;
}

namespace {

// ctest's progress line: "1/3 Test #1: name ....   Passed    0.01 sec" (status after the dots).
TestStatus ctest_progress_status(std::string_view status) {
  if (starts_with(status, "Passed")) return TestStatus::kPassed;
  if (status.find("Disabled") != std::string_view::npos || starts_with(status, "***Skipped")) return TestStatus::kSkipped;
  if (starts_with(status, "***Failed") || starts_with(status, "***Timeout")) return TestStatus::kFailed;
  return TestStatus::kError;  // ***Exception: SegFault, ***Not Run (no executable), anything new
}

// The closing lists: "  2 - name (Failed)" under "The following tests FAILED:" / "did not run:".
TestStatus ctest_list_status(std::string_view reason) {
  if (reason == "Disabled" || reason == "Skipped") return TestStatus::kSkipped;
  if (reason == "Failed" || reason == "Timeout") return TestStatus::kFailed;
  return TestStatus::kError;  // SEGFAULT, Not Run, Subprocess aborted, ...
}

}  // namespace

TestReport parse_ctest_report(std::string_view output) {
  static const RE2 kProgress(R"(^\s*\d+/\d+ +Test +#\d+: (.+?) \.+ *(\S.*?)\s+[0-9.]+ sec$)");
  static const RE2 kListed(R"(^\s+\d+ - (.+) \(([^()]+)\)$)");
  TestReport report;
  bool in_list = false;
  for (const std::string& line : clean_lines(output)) {
    std::string name, status;
    if (RE2::FullMatch(line, kProgress, &name, &status)) {
      report.add(name, ctest_progress_status(status));
      in_list = false;
    } else if (starts_with(line, "The following tests FAILED:") || starts_with(line, "The following tests did not run:")) {
      in_list = true;
    } else if (in_list && RE2::FullMatch(line, kListed, &name, &status)) {
      report.add(name, ctest_list_status(status));
    } else {
      in_list = false;
    }
  }
  if (report.tests.empty()) report.note = "no ctest result lines in the output";
  return report;
}

TestReport parse_report(const ReportSpec& spec, std::string_view test_output, const std::filesystem::path& repo_dir) {
  switch (spec.format) {
    case ReportFormat::kPytest: return parse_pytest_report(test_output);
    case ReportFormat::kCtest: return parse_ctest_report(test_output);
    case ReportFormat::kJunit: break;
  }
  TestReport empty;
  std::ifstream in(repo_dir / spec.junit_path, std::ios::binary);
  if (!in) {
    empty.note = "JUnit report " + spec.junit_path + " was not written (did the build or the test run fail?)";
    return empty;
  }
  std::ostringstream xml;
  xml << in.rdbuf();
  auto parsed = parse_junit_report(xml.str());
  if (!parsed.is_ok()) {
    empty.note = "JUnit report " + spec.junit_path + ": " + parsed.status().message();
    return empty;
  }
  return std::move(parsed).value();
}

}  // namespace r1b::sandbox
