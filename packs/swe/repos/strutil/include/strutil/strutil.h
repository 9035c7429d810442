// strutil: small string helpers for parsing delimited text (CSV-ish records, PATH lists).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strutil {

// `text` without leading and trailing ASCII whitespace.
std::string_view trim(std::string_view text);

// The fields of `text` between occurrences of `delim`, in order. Every delimiter separates two
// fields, so "a,,b" has three fields ("a", "", "b") and "a," has two ("a", ""); "" has one
// empty field. join(split(s, d), d) == s for every s.
std::vector<std::string> split(std::string_view text, char delim);

// `parts` with `delim` between each pair.
std::string join(const std::vector<std::string>& parts, char delim);

bool starts_with(std::string_view text, std::string_view prefix);
bool ends_with(std::string_view text, std::string_view suffix);

}  // namespace strutil
