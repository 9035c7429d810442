// Runner: executes a run — asks the backend for every ungraded sample, grades each with
// tasks::verify(), writes each graded sample to the Store as soon as it is graded, then computes
// and stores the run's metrics.
//
// Durability: a sample row is committed (WAL) the moment its task's samples are graded, so a run
// killed at any point (even SIGKILL) loses at most the samples in flight; resume_run() asks the
// backend only for samples without a row and ends with the same metrics as an uninterrupted run.
// A backend failure leaves its samples ungraded: the run ends "incomplete" with the first error,
// and can be resumed. Nothing graded is ever regenerated or overwritten.
// Thread-safety: one call at a time per run; internally runs `concurrency` worker threads.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "harness/metrics.h"
#include "harness/suite.h"
#include "results/store.h"

namespace r1b::harness {

struct RunOptions {
  int concurrency = 0;             // worker threads; 0 = backend "concurrency", else the larger of the
                                   // core count and Backend::preferred_concurrency(n); grading takes
                                   // at most one worker per core at a time
  std::FILE* progress_out = stderr;  // borrowed; nullptr = no progress line
  int progress_interval_ms = 1000;
  std::string run_name;            // defaults to the suite name
};

struct RunOutcome {
  int64_t run_id = 0;
  std::string status;              // complete | incomplete
  int64_t samples_total = 0;
  int64_t samples_graded_before = 0;  // already in the store when this call started
  int64_t samples_graded_now = 0;
  int64_t samples_failed = 0;      // not generated (backend errors); resumable
  std::string first_error;
  double wall_s = 0.0;
  int64_t completion_tokens = 0;   // generated in this call (when the backend reports tokens)
  nlohmann::json engine_stats;     // Backend::engine_stats() at the end (null when unknown)
  std::vector<results::MetricRow> metrics;
};

// Loads the suite's packs, creates a run and executes it.
Result<RunOutcome> start_run(results::Store& store, const Suite& suite, const RunOptions& options);

// Continues run `run_id` from its stored suite and tasks (not the pack files, which may have
// changed): only samples without a row are generated.
Result<RunOutcome> resume_run(results::Store& store, int64_t run_id, const RunOptions& options);

// Grades the stored completions of `run_id` again with the current verifiers into a new run
// (parent_run_id = run_id), without generating anything.
Result<RunOutcome> regrade_run(results::Store& store, int64_t run_id, const RunOptions& options);

// (Re)computes the metrics of a run from its stored tasks and samples and stores them.
Result<std::vector<results::MetricRow>> update_metrics(results::Store& store, int64_t run_id);

// Per-problem pass@1 of a complete run (for the gate). Fails when the run is not complete.
Result<std::vector<ProblemScore>> run_problem_scores(results::Store& store, int64_t run_id);

}  // namespace r1b::harness
