// verify() is deterministic and thread-safe: grading the same 1,000 cases from 8 threads at once
// gives exactly the verdicts (and reasons and extracted answers) of grading them one by one.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tasks/verify/verify.h"

namespace r1b::tasks {
namespace {

struct Case {
  Task task;
  std::string completion;
};

std::vector<Case> build_cases() {
  std::vector<Case> cases;
  std::ifstream in(std::string(R1B_SOURCE_DIR) + "/tests/tasks/verify/answer_pairs.tsv");
  std::string line;
  const char* templates[] = {"</think>So $\\boxed{%s}$.", "<think>x</think>\nFinal answer: $%s$",
                             "The answer is \\(%s\\)."};
  int k = 0;
  while (std::getline(in, line) && cases.size() < 1000) {
    if (line.empty() || line[0] == '#') continue;
    size_t t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
    if (t1 == std::string::npos || t2 == std::string::npos) continue;
    for (int variant = 0; variant < 2; ++variant) {
      Case c;
      c.task.id = "case";
      c.task.kind = TaskKind::kMath;
      c.task.answer = line.substr(0, t1);
      std::string answer = line.substr(t1 + 1, t2 - t1 - 1);
      std::string tpl = templates[(k++) % 3];
      size_t at = tpl.find("%s");
      c.completion = tpl.substr(0, at) + answer + tpl.substr(at + 2);
      if (variant == 1) c.completion = "<think>reasoning " + std::to_string(k) + "</think>" + c.completion;
      cases.push_back(std::move(c));
    }
  }
  // Multiple choice and integer cases fill the rest.
  const char* letters = "ABCD";
  while (cases.size() < 1000) {
    size_t i = cases.size();
    Case c;
    c.task.id = "mix";
    if (i % 2 == 0) {
      c.task.kind = TaskKind::kChoice;
      c.task.choices = {"one", "two", "three", "four"};
      c.task.answer = std::string(1, letters[i % 4]);
      c.completion = "Answer: " + std::string(1, letters[(i / 2) % 4]);
    } else {
      c.task.kind = TaskKind::kMath;
      c.task.answer_format = AnswerFormat::kInteger;
      c.task.answer = std::to_string(i % 7);
      c.completion = "\\boxed{" + std::to_string(i % 5) + "}";
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

std::string signature(const VerifyResult& r) {
  return std::string(verdict_name(r.verdict)) + "|" + r.extracted + "|" + r.reason;
}

TEST(VerifyConcurrency, EightThreadsGiveTheSequentialVerdicts) {
  std::vector<Case> cases = build_cases();
  ASSERT_EQ(cases.size(), 1000u);
  std::vector<std::string> expected;
  for (const auto& c : cases) expected.push_back(signature(verify(c.task, c.completion)));

  constexpr int kThreads = 8;
  std::vector<std::vector<std::string>> got(kThreads, std::vector<std::string>(cases.size()));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread walks the cases from a different offset so the same case is graded
      // concurrently by different threads at different times.
      for (size_t k = 0; k < cases.size(); ++k) {
        size_t i = (k + static_cast<size_t>(t) * 125) % cases.size();
        got[t][i] = signature(verify(cases[i].task, cases[i].completion));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    for (size_t i = 0; i < cases.size(); ++i) {
      ASSERT_EQ(got[t][i], expected[i]) << "thread " << t << " case " << i << ": " << cases[i].completion;
    }
  }
}

}  // namespace
}  // namespace r1b::tasks
