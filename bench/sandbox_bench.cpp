// Sandbox benchmarks (cache in a temp folder, removed at exit).
//
//   BM_SandboxOverhead   the same compiled binary (reads "a b" from stdin, prints a + b) run
//                        bare (Boost.Process, stdin/stdout pipes, no isolation) and through
//                        run_sandboxed (bwrap + seccomp + prlimit, /box tmpfs, binary bound
//                        read-only), alternating in one loop. Counters: bare_ms and
//                        sandbox_ms (mean wall per run), added_ms = sandbox_ms - bare_ms.
//                        Target: added_ms <= 10.
//   BM_JudgeThroughput   Judge with one worker per hardware thread judging a correct A + B
//                        submission on 5 tests (compile cached after the first), 8 submissions
//                        judged concurrently per iteration. Counter solutions_per_s.
// Run: build-sandbox/bench/sandbox_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <boost/process.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "sandbox/judge.h"
#include "sandbox/sandbox.h"

namespace {

namespace bp = boost::process;
namespace fs = std::filesystem;
using r1b::sandbox::CompileCache;
using r1b::sandbox::Judge;

const char* const kSumSource =
    "#include <cstdio>\nint main() { long a, b; if (scanf(\"%ld %ld\", &a, &b) == 2) printf(\"%ld\\n\", a + b); }\n";

// A temp folder (0755 so the box's uid can read the cache) removed at exit.
const fs::path& bench_dir() {
  static const fs::path kDir = [] {
    std::string pattern = (fs::temp_directory_path() / "r1b-sandbox-bench-XXXXXX").string();
    const fs::path dir = mkdtemp(pattern.data()) ? fs::path(pattern) : fs::temp_directory_path();
    fs::permissions(dir, fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                             fs::perms::others_exec, fs::perm_options::add);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(bench_dir(), ec);
    });
    return dir;
  }();
  return kDir;
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

std::string run_bare(const fs::path& program, const std::string& input) {
  bp::opstream in;
  bp::ipstream out;
  bp::child child(program.string(), bp::std_in < in, bp::std_out > out);
  in << input;
  in.flush();
  in.pipe().close();
  std::string text, line;
  while (std::getline(out, line)) text += line + "\n";
  child.wait();
  return text;
}

void BM_SandboxOverhead(benchmark::State& state) {
  CompileCache cache(bench_dir() / "cache");
  const r1b::sandbox::CompileResult program = cache.compile(*r1b::sandbox::find_language("cpp"), kSumSource);
  if (program.outcome != r1b::sandbox::CompileOutcome::kOk) {
    state.SkipWithError(("compile failed: " + program.message).c_str());
    return;
  }
  r1b::sandbox::RunSpec spec;
  spec.argv = {"./prog"};
  spec.stdin_text = "3 4\n";
  spec.read_only_binds = {{program.artifact_path, "/box/prog"}};
  double bare_ms = 0, sandbox_ms = 0;
  int64_t runs = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    const std::string bare = run_bare(program.artifact_path, spec.stdin_text);
    bare_ms += ms_since(start);
    start = std::chrono::steady_clock::now();
    const r1b::sandbox::RunResult boxed = r1b::sandbox::run_sandboxed(spec);
    sandbox_ms += ms_since(start);
    if (bare != "7\n" || boxed.stdout_text != "7\n") {
      state.SkipWithError(("unexpected output: " + boxed.message).c_str());
      return;
    }
    ++runs;
  }
  state.counters["bare_ms"] = bare_ms / static_cast<double>(runs);
  state.counters["sandbox_ms"] = sandbox_ms / static_cast<double>(runs);
  state.counters["added_ms"] = (sandbox_ms - bare_ms) / static_cast<double>(runs);
}
BENCHMARK(BM_SandboxOverhead)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_JudgeThroughput(benchmark::State& state) {
  r1b::sandbox::JudgeOptions options;
  options.cache_dir = bench_dir() / "cache";
  Judge judge(options);
  nlohmann::json tests = {{"time_limit_ms", 1000}, {"memory_limit_mb", 256}, {"cases", nlohmann::json::array()}};
  for (int a = 1; a <= 5; ++a) {
    tests["cases"].push_back({{"input", std::to_string(a) + " " + std::to_string(a * a) + "\n"},
                              {"output", std::to_string(a + a * a) + "\n"}});
  }
  const r1b::sandbox::CodeProblem problem = r1b::sandbox::parse_code_problem(tests).value();
  const std::string completion = std::string("</think>\n```cpp\n") + kSumSource + "```\n";
  constexpr int kConcurrent = 8;
  int64_t judged = 0;
  for (auto _ : state) {
    std::vector<std::thread> threads;
    std::vector<r1b::sandbox::Verdict> verdicts(kConcurrent);
    for (int i = 0; i < kConcurrent; ++i) {
      threads.emplace_back([&, i] { verdicts[i] = judge.judge(problem, completion).verdict; });
    }
    for (std::thread& thread : threads) thread.join();
    for (r1b::sandbox::Verdict verdict : verdicts) {
      if (verdict != r1b::sandbox::Verdict::kAccepted) {
        state.SkipWithError("a correct submission was not accepted");
        return;
      }
    }
    judged += kConcurrent;
  }
  state.counters["solutions_per_s"] = benchmark::Counter(static_cast<double>(judged), benchmark::Counter::kIsRate);
  state.counters["workers"] = judge.num_workers();
}
BENCHMARK(BM_JudgeThroughput)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
