// Results store and report benchmarks, on synthetic databases in a temp folder (removed at exit).
//
//   BM_AddSamples/batch:N    Store::add_samples with N realistic rows per call (one transaction):
//                            N = 64 is what the runner writes per task (n = 64), N = 1000 a bulk
//                            import. Counter rows_per_s. Target: >= 100,000 rows/s.
//                            The roofline is the folder's storage: write_KB_per_row is what SQLite
//                            hands to write() per row (WAL frames, then the checkpoint's copy into
//                            the database; /proc/self/io wchar), disk_MBps the sequential
//                            write + fdatasync bandwidth of the same folder measured right after
//                            (256 MiB), roofline_rows_per_s = disk_MBps / write_KB_per_row and
//                            of_roofline = rows_per_s / roofline_rows_per_s. On tmpfs
//                            (TMPDIR=/dev/shm) the storage is out of the way and rows_per_s is
//                            the code's own ceiling.
//   BM_MetricsAndReport/...  over one database of 1,000,192 samples (2 runs x 2 packs x 3,907
//                            problems x n = 64; built once, outside the timed region): per run,
//                            harness::compute_metrics (exact-equality SameAnswer, 1,000 bootstrap
//                            resamples, subject and level slices) and put_metrics, then
//                            results::write_report_html over both runs. One iteration, wall time.
//                            Target: < 30 s. Two ways of reading the samples for the metrics:
//                              stream_metrics: Store::for_each_sample (bounded memory);
//                              load_metrics:   Store::samples + harness::group_samples, as
//                                              harness::update_metrics does today.
//                            Counters: metrics_s, report_s, page_MiB, max_rss_MiB (process peak
//                            so far: the streaming case runs first).
//
// Rows: ~2 KB completion (reasoning-like words, some LaTeX and non-ASCII, a \boxed{} answer),
// extracted answer, verdict (~45% correct, ~1% judge_error), reason, token counts, latency,
// verifier details JSON (format, repetition, language measure: ~5% mixed); keys (pack, task_id,
// sample_idx) written in ascending order, as a runner with a small concurrency window does.
// Run: build-bench/bench/store_bench --benchmark_min_time=2 (numbers: docs/performance.md)
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "harness/metrics.h"
#include "results/report_html.h"
#include "results/store.h"

namespace r1b::bench {
namespace {

namespace fs = std::filesystem;
using results::SampleRow;
using results::Store;

constexpr int kSamplesPerTask = 64;
constexpr std::size_t kCompletionBytes = 2000;
constexpr int kProblemsPerPack = 3907;  // 2 runs x 2 packs x 3,907 x 64 = 1,000,192 samples
constexpr int kNumRuns = 2;
const char* const kPacks[] = {"math_hard", "olympiad"};
const char* const kSubjects[] = {"Algebra", "Counting & Probability", "Geometry", "Intermediate Algebra",
                                 "Number Theory", "Prealgebra", "Precalculus"};

void check(const Status& status, const char* what) {
  if (!status.is_ok()) {
    std::fprintf(stderr, "store_bench: %s: %s\n", what, status.message().c_str());
    std::exit(1);
  }
}

// The benchmarks' temp folder, removed when the process exits normally.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "r1b_store_bench_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("store_bench: mkdtemp");
      std::exit(1);
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TempDir& temp_dir() {
  static TempDir dir;
  return dir;
}

std::string fresh_db_path(const std::string& stem) {
  static int counter = 0;
  return (temp_dir().path() / (stem + "_" + std::to_string(counter++) + ".db")).string();
}

// 64 distinct ~2 KB completions, picked per sample: the text varies without generating it per row.
const std::vector<std::string>& completion_pool() {
  static const std::vector<std::string> pool = [] {
    const char* const words[] = {"so", "the", "sum", "of", "roots", "is", "we", "need", "to", "check", "whether",
                                 "$x^2 + y^2 = r^2$", "\\frac{a}{b}", "wait,", "let", "me", "recompute:",
                                 "therefore", "modulo", "p", "≤", "→", "which", "gives", "case", "n = 3"};
    std::mt19937_64 rng(1);
    std::vector<std::string> out;
    for (int i = 0; i < 64; ++i) {
      std::string text = "<think>\n";
      while (text.size() < kCompletionBytes - 40) {
        text += words[rng() % std::size(words)];
        text += rng() % 12 == 0 ? "\n" : " ";
      }
      text += "</think>\nThe answer is \\boxed{" + std::to_string(i) + "}.";
      out.push_back(std::move(text));
    }
    return out;
  }();
  return pool;
}

std::string gold_answer(int problem) { return std::to_string(problem % 997); }

// A realistic graded row of `problem`; the answer and verdict follow from (run, problem, idx).
SampleRow make_sample(int64_t run_id, const std::string& pack, const std::string& task_id, int problem, int idx) {
  const uint64_t h = std::hash<std::string>{}(task_id) ^ (static_cast<uint64_t>(run_id) * 0x9E3779B97F4A7C15ULL) ^
                     (static_cast<uint64_t>(idx) * 0xBF58476D1CE4E5B9ULL);
  SampleRow s;
  s.run_id = run_id;
  s.pack = pack;
  s.task_id = task_id;
  s.sample_idx = idx;
  s.completion = completion_pool()[h % 64];
  const int roll = static_cast<int>((h >> 8) % 100);
  const std::string gold = gold_answer(problem);
  if (roll == 0) {
    s.verdict = "judge_error";
    s.extracted = gold;
    s.reason = "verifier timed out after 5000 ms";
  } else if (roll <= 45) {
    s.verdict = "correct";
    s.correct = true;
    s.reward = 1.0;
    s.extracted = gold;
  } else {
    s.verdict = "wrong";
    s.extracted = roll % 5 == 0 ? "" : std::to_string((problem + roll % 4 + 1) % 997);
    s.reason = s.extracted.empty() ? "no answer extracted" : "expected " + gold + ", got " + s.extracted;
  }
  s.prompt_tokens = 120 + problem % 200;
  s.completion_tokens = static_cast<int64_t>(s.completion.size() / 4 + (h >> 16) % 64);
  s.latency_ms = 1500.0 + static_cast<double>((h >> 24) % 1000);
  s.finish_reason = "stop";
  // As tasks::verify writes it with style details: format, repetition, language measure.
  s.details_json = R"({"format":{"ok":true,"reason":""},"repetition":{"looping":false,"repeated_share":0.0)" +
                   std::to_string((h >> 32) % 10) + R"(,"tail_repeated_share":0.0},"language":{"target":"en",)" +
                   R"("share":0.9)" + std::to_string((h >> 36) % 10) + R"(,"mixed":)" +
                   ((h >> 40) % 20 == 0 ? "true" : "false") + R"(,"words":)" + std::to_string(300 + (h >> 44) % 200) +
                   "}}";
  return s;
}

std::string task_id_of(int problem) {
  char text[32];
  std::snprintf(text, sizeof text, "test/%06d", problem);
  return text;
}

results::RunInfo bench_run(const std::string& name) {
  results::RunInfo r;
  r.name = name;
  r.suite_json = R"({"packs":["math_hard","olympiad"],"n":64})";
  r.model = "r1-distill-qwen-7b";
  r.backend = "synthetic";
  r.template_name = "r1";
  r.template_text = "<|User|>{prompt}<|Assistant|><think>\n";
  r.git_sha = "bench";
  r.hardware = "bench";
  r.verifier_version = "v1";
  r.seed = 7;
  r.started_at = "2025-01-01T00:00:00Z";
  return r;
}

std::unique_ptr<Store> open_store(const std::string& path) {
  auto store = Store::open(path);
  check(store.status(), "open store");
  return std::move(store).value();
}

// Bytes this process has passed to write() so far (/proc/self/io "wchar"); 0 where unavailable.
double bytes_written_so_far() {
  std::ifstream io("/proc/self/io");
  std::string key;
  double value = 0;
  while (io >> key >> value) {
    if (key == "wchar:") return value;
  }
  return 0;
}

// Sequential write bandwidth of `dir` in bytes/s: 256 MiB in 1 MiB writes, then fdatasync.
double write_bandwidth(const fs::path& dir) {
  const fs::path path = dir / "bandwidth.bin";
  const std::string block(1 << 20, 'x');
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 0;
  const auto start = std::chrono::steady_clock::now();
  bool ok = true;
  for (int i = 0; i < 256 && ok; ++i) ok = ::write(fd, block.data(), block.size()) == static_cast<ssize_t>(block.size());
  ok = ok && ::fdatasync(fd) == 0;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::close(fd);
  fs::remove(path);
  return ok ? 256.0 * (1 << 20) / seconds : 0;
}

void BM_AddSamples(benchmark::State& state) {
  const auto batch = static_cast<int>(state.range(0));
  auto store = open_store(fresh_db_path("writes"));
  auto run_id = store->create_run(bench_run("writes"));
  check(run_id.status(), "create run");
  std::vector<SampleRow> rows;
  for (int i = 0; i < batch; ++i) {
    rows.push_back(make_sample(*run_id, "math_hard", "", 0, i % kSamplesPerTask));
  }
  int64_t next_task = 0;
  int64_t num_rows = 0;
  const double written_before = bytes_written_so_far();
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    // Fresh keys: kSamplesPerTask samples per task id, the batch covering one task (64) or many (1000).
    for (int i = 0; i < batch; ++i) {
      if (i % kSamplesPerTask == 0) ++next_task;
      rows[static_cast<std::size_t>(i)].task_id = task_id_of(static_cast<int>(next_task));
    }
    check(store->add_samples(rows), "add_samples");
    num_rows += batch;
  }
  // Closing checkpoints the WAL into the database: that copy is part of each row's cost, and of the time.
  store.reset();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rows_per_s = static_cast<double>(num_rows) / seconds;
  const double bytes_per_row = (bytes_written_so_far() - written_before) / static_cast<double>(num_rows);
  const double disk_bytes_per_s = write_bandwidth(temp_dir().path());
  state.counters["rows_per_s"] = rows_per_s;
  state.counters["write_KB_per_row"] = bytes_per_row / 1e3;
  state.counters["disk_MBps"] = disk_bytes_per_s / 1e6;
  if (bytes_per_row > 0 && disk_bytes_per_s > 0) {
    const double roofline_rows_per_s = disk_bytes_per_s / bytes_per_row;
    state.counters["roofline_rows_per_s"] = roofline_rows_per_s;
    state.counters["of_roofline"] = rows_per_s / roofline_rows_per_s;
  }
}
BENCHMARK(BM_AddSamples)->ArgName("batch")->Arg(64)->Arg(1000)->Unit(benchmark::kMicrosecond)->UseRealTime();

// The 1M-sample database, built once by the first benchmark that needs it.
struct ReportFixture {
  std::unique_ptr<Store> store;
  std::vector<int64_t> run_ids;
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::string>> slices;  // per (pack, task)
  int64_t num_samples = 0;
  double build_s = 0.0;
};

ReportFixture& report_fixture() {
  static ReportFixture fixture = [] {
    const auto start = std::chrono::steady_clock::now();
    ReportFixture f;
    f.store = open_store(fresh_db_path("report"));
    for (int r = 0; r < kNumRuns; ++r) {
      auto id = f.store->create_run(bench_run("synthetic run " + std::to_string(r)));
      check(id.status(), "create run");
      f.run_ids.push_back(*id);
    }
    for (const char* pack : kPacks) {
      std::vector<results::TaskRow> tasks;
      for (int p = 0; p < kProblemsPerPack; ++p) {
        const std::string task_id = task_id_of(p);
        const std::string subject = kSubjects[p % std::size(kSubjects)];
        const int level = 1 + p % 5;
        f.slices[{pack, task_id}] = {{"subject", subject}, {"level", std::to_string(level)}};
        tasks.push_back({pack, task_id,
                         R"({"id":")" + task_id + R"(","prompt":"Let $f(x) = x^3 - 3x + 1$. Find the number of real )"
                             R"(roots of $f(f(x)) = 0$ in the interval $[-2, 2]$, and give the sum of their squares )"
                             R"(rounded to the nearest integer.","answer":")" + gold_answer(p) +
                             R"(","meta":{"subject":")" + subject + R"(","level":)" + std::to_string(level) + "}}"});
      }
      for (int64_t run_id : f.run_ids) check(f.store->add_tasks(run_id, tasks), "add_tasks");
    }
    std::vector<SampleRow> rows;
    for (int64_t run_id : f.run_ids) {
      for (const char* pack : kPacks) {
        for (int p = 0; p < kProblemsPerPack; ++p) {
          const std::string task_id = task_id_of(p);
          for (int i = 0; i < kSamplesPerTask; ++i) rows.push_back(make_sample(run_id, pack, task_id, p, i));
          if (rows.size() >= 1024) {
            check(f.store->add_samples(rows), "add_samples");
            f.num_samples += static_cast<int64_t>(rows.size());
            rows.clear();
          }
        }
      }
    }
    check(f.store->add_samples(rows), "add_samples");
    f.num_samples += static_cast<int64_t>(rows.size());
    f.build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "store_bench: built the report database: %lld samples in %.1f s (%.0f rows/s)\n",
                 static_cast<long long>(f.num_samples), f.build_s, static_cast<double>(f.num_samples) / f.build_s);
    return f;
  }();
  return fixture;
}

// The run's samples grouped per problem, streamed (ordered by pack, task_id, sample_idx): one
// problem's rows at a time go through harness::group_samples, so the outcomes are exactly those of
// load_problems while only one problem's text is held.
std::vector<harness::ProblemSamples> stream_problems(Store& store, int64_t run_id) {
  std::vector<harness::ProblemSamples> problems;
  std::vector<SampleRow> rows;  // the current problem's samples
  auto flush = [&] {
    for (harness::ProblemSamples& p : harness::group_samples(rows)) problems.push_back(std::move(p));
    rows.clear();
  };
  check(store.for_each_sample(run_id, results::kNoTextLimit,
                              [&](const results::StreamedSample& s) {
                                if (!rows.empty() &&
                                    (rows.back().task_id != s.row.task_id || rows.back().pack != s.row.pack)) {
                                  flush();
                                }
                                rows.push_back(s.row);
                              }),
        "for_each_sample");
  flush();
  return problems;
}

std::vector<harness::ProblemSamples> load_problems(Store& store, int64_t run_id) {
  auto rows = store.samples(run_id);
  check(rows.status(), "samples");
  return harness::group_samples(*rows);
}

double max_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

void BM_MetricsAndReport(benchmark::State& state, bool stream) {
  ReportFixture& f = report_fixture();
  const std::string page = (temp_dir().path() / "report.html").string();
  const harness::SameAnswer exact = [](const harness::ProblemSamples&, const std::string& a, const std::string& b) {
    return a == b;
  };
  double metrics_s = 0.0;
  double report_s = 0.0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    for (int64_t run_id : f.run_ids) {
      std::vector<harness::ProblemSamples> problems = stream ? stream_problems(*f.store, run_id)
                                                             : load_problems(*f.store, run_id);
      for (harness::ProblemSamples& p : problems) p.slices = f.slices.at({p.pack, p.task_id});
      harness::MetricOptions options;
      options.bootstrap.seed = 7;
      auto metrics = harness::compute_metrics(run_id, problems, kSamplesPerTask, exact, options);
      check(metrics.status(), "compute_metrics");
      check(f.store->put_metrics(run_id, *metrics), "put_metrics");
    }
    const auto metrics_done = std::chrono::steady_clock::now();
    check(results::write_report_html(*f.store, f.run_ids, page), "write_report_html");
    const auto end = std::chrono::steady_clock::now();
    metrics_s += std::chrono::duration<double>(metrics_done - start).count();
    report_s += std::chrono::duration<double>(end - metrics_done).count();
  }
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["samples"] = static_cast<double>(f.num_samples);
  state.counters["metrics_s"] = metrics_s / iterations;
  state.counters["report_s"] = report_s / iterations;
  state.counters["page_MiB"] = static_cast<double>(fs::file_size(page)) / (1024.0 * 1024.0);
  state.counters["max_rss_MiB"] = max_rss_mib();
}
BENCHMARK_CAPTURE(BM_MetricsAndReport, stream_metrics, true)
    ->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);
BENCHMARK_CAPTURE(BM_MetricsAndReport, load_metrics, false)
    ->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);

}  // namespace
}  // namespace r1b::bench

BENCHMARK_MAIN();
