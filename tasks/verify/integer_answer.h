// Integer answers (AIME, AMC): canonical integer form and the integer grader.
//
// Contract (private to tasks/verify/): pure, thread-safe, never throws. Integers of any length are
// compared as canonical decimal strings (no overflow). Forms read as integers: "025", "+25",
// "27.0", "1,000", "1{,}000", "10,\!080", "$25$", "\text{25}", "x = 25", "25^\circ", "25\%" is
// NOT an integer form. A form that is not an integer ("27.5", "\frac{1}{2}") is no integer.
// Answers and golds are read with integer_value: an exact integer value in any math form counts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tasks/verify/verify.h"

namespace r1b::tasks::verifier {

// "025" -> "25", "-0" -> "0", "1,000" -> "1000", "27.00" -> "27"; nullopt when not an integer.
std::optional<std::string> canonical_integer(std::string_view text);

// canonical_integer, else the exact value of the answer read as math when it is an integer
// ("2^{5}" -> "32", "\frac{50}{2}" -> "25", "25 \text{ minutes}" -> "25"); nullopt otherwise
// ("27.5", "\sqrt{2}", "25\%").
std::optional<std::string> integer_value(std::string_view text);

// Grades a kMath task with answer_format kInteger. A gold that is no integer is kJudgeError.
VerifyResult grade_integer(const Task& task, std::string_view completion, const VerifyOptions& options);

}  // namespace r1b::tasks::verifier
