// Store: the SQLite results database (runs, their tasks, graded samples, metrics).
//
// Schema (versioned; see results/schema.sql.h and results/README.md for every column):
//   runs(run_id, name, suite_json, model, backend, template_name, template_text, git_sha,
//        hardware, verifier_version, seed, parent_run_id, status, started_at, finished_at, notes)
//   run_tasks(run_id, pack, task_id, task_json)          — the exact tasks graded, as loaded
//   samples(run_id, pack, task_id, sample_idx, completion, extracted, verdict, correct, reward,
//           reason, prompt_tokens, completion_tokens, latency_ms, finish_reason, details_json,
//           graded_at)
//   metrics(run_id, pack, slice, metric, k, value, ci_low, ci_high, num_problems)
// The database runs in WAL mode: each add_samples() call is one transaction, durable against a
// killed process as soon as it returns, so results are written as they are graded.
//
// Thread-safety: a Store is safe to use from several threads (one internal mutex serialises
// access to the connection). Several processes may open the same file (SQLite locking).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "base/status.h"

namespace SQLite { class Database; }

namespace r1b::results {

inline constexpr int kSchemaVersion = 1;

struct RunInfo {
  int64_t run_id = 0;              // assigned by create_run
  std::string name;
  std::string suite_json;          // the resolved suite, enough to resume the run
  std::string model;
  std::string backend;
  std::string template_name;
  std::string template_text;
  std::string git_sha;
  std::string hardware;
  std::string verifier_version;
  int64_t seed = 0;
  std::optional<int64_t> parent_run_id;  // set by regrade
  std::string status = "running";  // running | complete | incomplete
  std::string started_at;          // ISO-8601 UTC
  std::string finished_at;
  std::string notes;               // JSON object: throughput, etc.
};

struct TaskRow {
  std::string pack;
  std::string task_id;
  std::string task_json;           // tasks::task_to_json(task).dump()
};

struct SampleRow {
  int64_t run_id = 0;
  std::string pack;
  std::string task_id;
  int sample_idx = 0;
  std::string completion;
  std::string extracted;
  std::string verdict;             // tasks::verdict_name()
  bool correct = false;
  double reward = 0.0;
  std::string reason;
  std::optional<int64_t> prompt_tokens;      // null when the backend did not say
  std::optional<int64_t> completion_tokens;
  double latency_ms = 0.0;
  std::string finish_reason;
  std::string details_json = "{}";
};

struct MetricRow {
  int64_t run_id = 0;
  std::string pack;                // "*" for the whole run
  std::string slice;               // "" for the whole pack, else "subject=Algebra", "level=3", ...
  std::string metric;              // pass@k | cons@k | mean_len | ...
  int k = 0;                       // 0 when the metric has no k
  double value = 0.0;
  std::optional<double> ci_low;
  std::optional<double> ci_high;
  int64_t num_problems = 0;
};

using SampleKey = std::tuple<std::string, std::string, int>;  // (pack, task_id, sample_idx)

// A sample as Store::for_each_sample hands it over: the row with its long text fields cut, and
// the size of the whole completion (so a reader can show a prefix yet count the full length).
struct StreamedSample {
  SampleRow row;                 // completion, extracted, reason, details_json cut (see for_each_sample)
  int64_t completion_bytes = 0;  // bytes of the whole stored completion
  int64_t completion_chars = 0;  // UTF-8 code points of the whole completion (bytes that are not
                                 // continuation bytes 10xxxxxx, as harness::group_samples counts)
};

// max_text_bytes for for_each_sample: no field is cut.
inline constexpr std::size_t kNoTextLimit = std::numeric_limits<std::size_t>::max();

class Store {
 public:
  // Opens or creates the database at `path` (parent folders are created). Fails with a clear
  // message when the file is not an r1bench database or has a newer schema version.
  static Result<std::unique_ptr<Store>> open(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Result<int64_t> create_run(const RunInfo& info);
  Result<RunInfo> run(int64_t run_id);
  Result<std::vector<RunInfo>> runs();
  Status finish_run(int64_t run_id, const std::string& status, const std::string& notes_json);

  // Stores the tasks of a run (idempotent: rows already present are kept).
  Status add_tasks(int64_t run_id, std::span<const TaskRow> tasks);
  Result<std::vector<TaskRow>> tasks(int64_t run_id);

  // Inserts graded samples in one transaction. A row whose key already exists is an error
  // (a sample is graded once per run).
  Status add_samples(std::span<const SampleRow> samples);
  // Every sample of the run, with every field in full, ordered by (pack, task_id, sample_idx).
  // Holds the whole run in memory (completions included): prefer for_each_sample for large runs.
  Result<std::vector<SampleRow>> samples(int64_t run_id);

  // Streams the run's samples, in the order of samples(), to `fn`, one at a time, without holding
  // the run in memory. The text fields completion, extracted, reason and details_json are cut to
  // at most max_text_bytes BYTES (not characters), backed off to a UTF-8 character boundary
  // (valid UTF-8 loses at most 3 more bytes; a cut details_json is no longer valid JSON); pass
  // kNoTextLimit for full text. pack, task_id, verdict and finish_reason are never cut;
  // completion_bytes and completion_chars always describe the whole completion.
  // `fn` borrows the StreamedSample for the duration of the call only (the object is reused for
  // the next row: copy what must outlive the call). Contract: `fn` runs on the calling thread
  // while this Store's lock is held, so it must not call back into this Store (that deadlocks),
  // and it blocks every other user of the Store until the pass ends; keep it short and non-throwing
  // (a std::exception it throws ends the pass and is returned as an IOError).
  // Returns OK after the last row (also when the run has no samples or does not exist), or an
  // IOError when the database cannot be read; rows already handed to `fn` stay handed over.
  Status for_each_sample(int64_t run_id, std::size_t max_text_bytes,
                         const std::function<void(const StreamedSample&)>& fn);

  Result<std::set<SampleKey>> graded_keys(int64_t run_id);
  Result<int64_t> num_samples(int64_t run_id);

  // Replaces all metric rows of a run.
  Status put_metrics(int64_t run_id, std::span<const MetricRow> metrics);
  Result<std::vector<MetricRow>> metrics(int64_t run_id);

 private:
  explicit Store(std::unique_ptr<SQLite::Database> db);
  std::mutex mu_;
  std::unique_ptr<SQLite::Database> db_;  // guarded by mu_
};

}  // namespace r1b::results
