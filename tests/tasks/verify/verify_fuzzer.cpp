// libFuzzer target over extraction + parsing + comparison (issue 3 "Done when"): the input's first
// byte picks the task kind and format, the rest is split at the first NUL into a gold answer and a
// completion; verify() and same_answer() must never crash, hang (libFuzzer -timeout=1) or grow
// memory without bound (-rss_limit_mb).
//
// Build (clang from Debian; the project's GCC build does not need it):
//   clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -I. \
//     tests/tasks/verify/verify_fuzzer.cpp tasks/verify/*.cpp tasks/task.cpp \
//     $(pkg-config --cflags --libs re2 ginac gmpxx icu-uc) -o verify_fuzzer
//   ./verify_fuzzer -max_total_time=60 -timeout=1 -rss_limit_mb=2048 -max_len=4096 \
//     tests/tasks/verify/fuzz_corpus
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tasks/verify/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using namespace r1b::tasks;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t split = input.find('\0');
  std::string gold(input.substr(0, split));
  std::string completion(split == std::string_view::npos ? std::string_view() : input.substr(split + 1));
  Task task;
  task.id = "fuzz";
  switch (data[0] % 4) {
    case 0: task.kind = TaskKind::kMath; task.answer_format = AnswerFormat::kExpression; break;
    case 1: task.kind = TaskKind::kMath; task.answer_format = AnswerFormat::kInteger; break;
    case 2: task.kind = TaskKind::kChoice; task.choices = {"alpha", "beta", "gamma", "delta"}; break;
    default: task.kind = TaskKind::kMath; break;
  }
  task.answer = task.kind == TaskKind::kChoice ? std::string(1, static_cast<char>('A' + data[0] % 4)) : gold;
  VerifyOptions options;
  options.answer_after_think = (data[0] & 0x10) == 0;
  options.last_number_fallback = (data[0] & 0x20) == 0;
  options.report_style = (data[0] & 0x40) != 0;
  VerifyResult r = verify(task, completion, options);
  (void)r;
  (void)same_answer(task, gold, completion);
  return 0;
}
