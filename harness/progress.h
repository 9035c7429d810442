// Progress: the one-line status a long run prints on stderr — samples done/total, samples/s,
// generated tokens/s and ETA — at most once per `interval_ms` (and once at finish()).
// On a terminal the line is redrawn in place; otherwise each update is its own line.
// Thread-safe: add() may be called from every worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace r1b::harness {

class Progress {
 public:
  // `already_done` samples were graded before this process (a resumed run); they count toward
  // done/total but not toward the rates. `out` is borrowed and must outlive the Progress.
  Progress(std::string label, int64_t total, int64_t already_done, std::FILE* out, int interval_ms = 1000);

  void add(int64_t samples, int64_t completion_tokens);
  void finish();

  // Rates over this process's own work (for the run summary).
  double elapsed_s() const;
  int64_t samples_done_here() const;
  int64_t tokens_done_here() const;

 private:
  void print_locked(bool final_line);  // requires mu_

  const std::string label_;
  const int64_t total_;
  const int64_t already_done_;
  std::FILE* const out_;
  const int interval_ms_;
  const bool is_tty_;
  const std::chrono::steady_clock::time_point start_;
  mutable std::mutex mu_;
  int64_t samples_ = 0;                                   // guarded by mu_
  int64_t tokens_ = 0;                                    // guarded by mu_
  std::chrono::steady_clock::time_point last_print_;     // guarded by mu_
};

}  // namespace r1b::harness
