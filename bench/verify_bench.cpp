// Verifier throughput: extract + compare per second on one core (issue 3: target >= 20,000/s over
// the MATH-500 answers; Math-Verify takes about 1 ms per MATH-500 answer).
//   BM_Math500Solutions: each MATH-500 reference solution graded against its own answer (the
//                        realistic case: extraction from a full solution, then comparison).
//   BM_Math500AnswerForms: each gold against a rewritten form of itself (\dfrac, spacing, $..$),
//                        so the comparison cannot stop at identical strings.
//   BM_AnswerPairs:      the answer-pair table (harder pairs: identities, intervals, equations).
// Skips (with a message) when ../shared/datasets is absent. Style measures are off: they are not
// part of extract+compare.
#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "tasks/verify/verify.h"

namespace {

using r1b::tasks::Task;

struct Case {
  Task task;
  std::string completion;
};

std::vector<Case> math500_cases(bool rewritten) {
  std::vector<Case> cases;
  std::ifstream in(std::string(R1B_SOURCE_DIR) + "/../shared/datasets/math500/test.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    Case c;
    c.task.id = j["unique_id"];
    c.task.kind = r1b::tasks::TaskKind::kMath;
    c.task.answer = j["answer"];
    if (rewritten) {
      std::string form = c.task.answer;
      for (size_t at = form.find("\\frac"); at != std::string::npos; at = form.find("\\frac", at + 6)) {
        form.replace(at, 5, "\\dfrac");
      }
      c.completion = "</think>\nThe final answer is $\\boxed{ " + form + " }$.";
    } else {
      c.completion = j["solution"];
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

std::vector<Case> pair_cases() {
  std::vector<Case> cases;
  std::ifstream in(std::string(R1B_SOURCE_DIR) + "/tests/tasks/verify/answer_pairs.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    if (t1 == std::string::npos || t2 == std::string::npos) continue;
    Case c;
    c.task.id = "pair";
    c.task.kind = r1b::tasks::TaskKind::kMath;
    c.task.answer = line.substr(0, t1);
    c.completion = "\\boxed{" + line.substr(t1 + 1, t2 - t1 - 1) + "}";
    cases.push_back(std::move(c));
  }
  return cases;
}

void run_cases(benchmark::State& state, const std::vector<Case>& cases) {
  if (cases.empty()) {
    state.SkipWithError("data not found (../shared/datasets or tests/tasks/verify/answer_pairs.tsv)");
    return;
  }
  r1b::tasks::VerifyOptions options;
  options.report_style = false;
  size_t k = 0;
  int64_t correct = 0;
  for (auto _ : state) {
    const Case& c = cases[k];
    auto r = r1b::tasks::verify(c.task, c.completion, options);
    correct += r.correct();
    benchmark::DoNotOptimize(r);
    if (++k == cases.size()) k = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["verifies_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Math500Solutions(benchmark::State& state) {
  static const auto cases = math500_cases(false);
  run_cases(state, cases);
}
BENCHMARK(BM_Math500Solutions);

void BM_Math500AnswerForms(benchmark::State& state) {
  static const auto cases = math500_cases(true);
  run_cases(state, cases);
}
BENCHMARK(BM_Math500AnswerForms);

void BM_AnswerPairs(benchmark::State& state) {
  static const auto cases = pair_cases();
  run_cases(state, cases);
}
BENCHMARK(BM_AnswerPairs);

}  // namespace

BENCHMARK_MAIN();
