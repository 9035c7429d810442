// One test of a judged submission: run the program, check its output (private to sandbox/).
#pragma once

#include <filesystem>

#include "sandbox/code_problem.h"
#include "sandbox/judge.h"
#include "sandbox/language.h"

namespace r1b::sandbox {

// What every test of one submission shares. Borrowed: must outlive the run_test calls.
struct TestContext {
  const ProgramRunner& run;                // runs the program and the checker
  const CodeProblem& problem;
  const Language& language;
  std::filesystem::path artifact;          // the compiled program (or source) in the cache
  const Language* checker_language;        // non-null for CheckerType::kProgram
  std::filesystem::path checker_artifact;  // the compiled checker
};

// Runs test `index` in a fresh box and checks it. A failing checker program gives
// kSandboxError. Thread-safe (context is only read).
TestResult run_test(const TestContext& context, int index);

}  // namespace r1b::sandbox
