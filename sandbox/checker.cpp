#include "sandbox/checker.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <vector>

namespace r1b::sandbox {
namespace {

constexpr size_t kQuoteChars = 40;

std::string quote(std::string_view text) {
  if (text.size() > kQuoteChars) return "'" + std::string(text.substr(0, kQuoteChars)) + "...'";
  return "'" + std::string(text) + "'";
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find('\n', start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

std::vector<std::string_view> split_tokens(std::string_view text) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) tokens.push_back(text.substr(start, i - start));
  }
  return tokens;
}

// The token as a number when all of it parses (from_chars: no leading '+', accepts inf/nan).
std::optional<double> parse_number(std::string_view token) {
  if (!token.empty() && token.front() == '+') token.remove_prefix(1);
  double value = 0;
  const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (error != std::errc() || end != token.data() + token.size()) return std::nullopt;
  return value;
}

bool numbers_match(double expected, double actual, double abs_tolerance, double rel_tolerance) {
  if (std::isnan(expected) || std::isnan(actual)) return std::isnan(expected) && std::isnan(actual);
  if (std::isinf(expected) || std::isinf(actual)) return expected == actual;
  const double difference = std::fabs(expected - actual);
  return difference <= abs_tolerance || difference <= rel_tolerance * std::fabs(expected);
}

// Compares token lists with `same` deciding each pair.
template <typename Same>
CheckResult compare_tokens(std::string_view expected, std::string_view actual, Same same) {
  const std::vector<std::string_view> want = split_tokens(expected);
  const std::vector<std::string_view> got = split_tokens(actual);
  for (size_t i = 0; i < want.size() && i < got.size(); ++i) {
    if (!same(want[i], got[i])) {
      return {false, "token " + std::to_string(i + 1) + ": expected " + quote(want[i]) + ", got " + quote(got[i])};
    }
  }
  if (want.size() != got.size()) {
    return {false, "expected " + std::to_string(want.size()) + " tokens, got " + std::to_string(got.size())};
  }
  return {true, ""};
}

}  // namespace

CheckResult check_exact(std::string_view expected, std::string_view actual) {
  const std::vector<std::string_view> want = split_lines(expected);
  const std::vector<std::string_view> got = split_lines(actual);
  for (size_t i = 0; i < want.size() && i < got.size(); ++i) {
    if (want[i] != got[i]) {
      return {false, "line " + std::to_string(i + 1) + ": expected " + quote(want[i]) + ", got " + quote(got[i])};
    }
  }
  if (want.size() != got.size()) {
    return {false, "expected " + std::to_string(want.size()) + " lines, got " + std::to_string(got.size())};
  }
  return {true, ""};
}

CheckResult check_tokens(std::string_view expected, std::string_view actual) {
  return compare_tokens(expected, actual, [](std::string_view a, std::string_view b) { return a == b; });
}

CheckResult check_float(std::string_view expected, std::string_view actual, double abs_tolerance,
                        double rel_tolerance) {
  return compare_tokens(expected, actual, [&](std::string_view want, std::string_view got) {
    const std::optional<double> want_number = parse_number(want);
    if (!want_number) return want == got;
    const std::optional<double> got_number = parse_number(got);
    return got_number && numbers_match(*want_number, *got_number, abs_tolerance, rel_tolerance);
  });
}

}  // namespace r1b::sandbox
