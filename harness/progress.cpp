#include "harness/progress.h"

#include <unistd.h>

#include <fmt/core.h>

namespace r1b::harness {

namespace {
std::string format_eta(double seconds) {
  if (seconds < 0 || seconds > 1e7) return "--";
  auto s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}
}  // namespace

Progress::Progress(std::string label, int64_t total, int64_t already_done, std::FILE* out, int interval_ms)
    : label_(std::move(label)),
      total_(total),
      already_done_(already_done),
      out_(out),
      interval_ms_(interval_ms),
      is_tty_(isatty(fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

void Progress::add(int64_t samples, int64_t completion_tokens) {
  std::lock_guard lock(mu_);
  samples_ += samples;
  tokens_ += completion_tokens;
  auto now = std::chrono::steady_clock::now();
  if (now - last_print_ >= std::chrono::milliseconds(interval_ms_)) {
    last_print_ = now;
    print_locked(false);
  }
}

void Progress::finish() {
  std::lock_guard lock(mu_);
  print_locked(true);
}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}
int64_t Progress::samples_done_here() const {
  std::lock_guard lock(mu_);
  return samples_;
}
int64_t Progress::tokens_done_here() const {
  std::lock_guard lock(mu_);
  return tokens_;
}

void Progress::print_locked(bool final_line) {
  double elapsed = std::max(elapsed_s(), 1e-9);
  int64_t done = already_done_ + samples_;
  double rate = samples_ / elapsed;
  double eta = rate > 0 ? (total_ - done) / rate : -1;
  double pct = total_ > 0 ? 100.0 * done / total_ : 100.0;
  std::string line = fmt::format("{} {}/{} samples ({:.1f}%) | {:.1f} samples/s | {:.0f} tok/s | ETA {}", label_, done,
                                 total_, pct, rate, tokens_ / elapsed, final_line ? "0s" : format_eta(eta));
  if (is_tty_) {
    std::fprintf(out_, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace r1b::harness
