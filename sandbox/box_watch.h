// BoxWatch: pumps a running box's pipes, enforces its wall, CPU and output limits and reaps
// bwrap with its rusage (private to sandbox/; used by run_sandboxed()).
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "sandbox/sandbox.h"

namespace r1b::sandbox {

using Clock = std::chrono::steady_clock;

inline constexpr int64_t kTeardownGraceMs = 1000;  // how long a killed or exited box may linger
inline constexpr size_t kReadChunk = 64 * 1024;
inline constexpr int64_t kCpuPollMs = 20;  // how often the box's CPU time is checked against cpu_ms

// Owns one file descriptor.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// Why the harness killed the box (if it did).
enum class KillReason { kNone, kWall, kCpu, kOutput };

// One captured stream (stdout or stderr) of the box.
struct Capture {
  UniqueFd fd;
  std::string* text;
  bool* truncated;
};


// Returns a pidfd for `pid` (-1 when the kernel has none).
int open_pidfd(pid_t pid);
int64_t ms_between(Clock::time_point from, Clock::time_point to);
// CPU time of `pid` plus its reaped children, from /proc/PID/stat; -1 when it is gone.
int64_t process_tree_cpu_ms(pid_t pid);

// The state of one live box between spawn and reaping.
class BoxWatch {
 public:
  BoxWatch(pid_t bwrap_pid, const RunLimits& limits) : bwrap_pid_(bwrap_pid), limits_(limits) {
    bwrap_pidfd_ = UniqueFd(open_pidfd(bwrap_pid));
  }

  // Pumps the pipes until bwrap exited and the streams closed (or the grace ran out).
  void watch(Clock::time_point start, Capture out, Capture err, UniqueFd info, UniqueFd marker) {
    const Clock::time_point deadline = start + std::chrono::milliseconds(limits_.wall_ms);
    Clock::time_point exit_time{};
    std::string info_text;
    while (true) {
      const Clock::time_point now = Clock::now();
      if (exited_ && ((!out.fd.valid() && !err.fd.valid()) ||
                      ms_between(exit_time, now) > kTeardownGraceMs)) {
        break;
      }
      if (kill_reason_ == KillReason::kNone && now >= deadline) kill_box(KillReason::kWall);
      if (kill_reason_ == KillReason::kNone && inner_pid_ > 0 && process_tree_cpu_ms(inner_pid_) > limits_.cpu_ms) {
        kill_box(KillReason::kCpu);
      }
      if (kill_reason_ != KillReason::kNone && !exited_ && ms_between(kill_time_, now) > kTeardownGraceMs) {
        kill(bwrap_pid_, SIGKILL);  // the box did not go down: take bwrap (and, by
      }                             // --die-with-parent, the box) with it
      std::array<pollfd, 5> fds{};
      int count = 0;
      auto watch_fd = [&](const UniqueFd& fd) {
        if (fd.valid()) fds[count++] = {fd.get(), POLLIN, 0};
      };
      watch_fd(out.fd);
      watch_fd(err.fd);
      watch_fd(info);
      watch_fd(marker);
      if (!exited_) watch_fd(bwrap_pidfd_);
      int64_t timeout_ms = 100;
      if (kill_reason_ == KillReason::kNone) timeout_ms = std::max<int64_t>(0, ms_between(now, deadline) + 1);
      if (!bwrap_pidfd_.valid()) timeout_ms = std::min<int64_t>(timeout_ms, 10);
      timeout_ms = std::min<int64_t>(timeout_ms, kCpuPollMs);
      if (poll(fds.data(), static_cast<nfds_t>(count), static_cast<int>(timeout_ms)) < 0 && errno != EINTR) break;
      pump(out);
      pump(err);
      read_small(info, info_text);
      if (!info.valid() && inner_pid_ < 0) find_inner(info_text);
      read_small(marker, marker_text_);
      if (!exited_ && wait4(bwrap_pid_, &status_, WNOHANG, &usage_) == bwrap_pid_) {
        exited_ = true;
        exit_time = Clock::now();
        wall_ms_ = ms_between(start, exit_time);
      }
    }
    if (!exited_) {  // pipes still open a second after exit: nothing left to wait for
      kill(bwrap_pid_, SIGKILL);
      wait4(bwrap_pid_, &status_, 0, &usage_);
      wall_ms_ = ms_between(start, Clock::now());
      exited_ = true;
    }
  }

  bool launched() const { return marker_text_.find('R') != std::string::npos; }
  KillReason kill_reason() const { return kill_reason_; }
  int status() const { return status_; }
  const rusage& usage() const { return usage_; }
  int64_t wall_ms() const { return wall_ms_; }

 private:
  // Reads what is there; on EOF closes the fd. Over the cap: keeps the cap, kills the box.
  void pump(Capture& capture) {
    if (!capture.fd.valid()) return;
    char buffer[kReadChunk];
    const ssize_t n = read(capture.fd.get(), buffer, sizeof buffer);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
      capture.fd.reset();
      return;
    }
    const size_t room = static_cast<size_t>(limits_.output_bytes) - std::min(capture.text->size(),
                                                                               static_cast<size_t>(limits_.output_bytes));
    capture.text->append(buffer, std::min(room, static_cast<size_t>(n)));
    if (static_cast<size_t>(n) > room) {
      *capture.truncated = true;
      if (kill_reason_ == KillReason::kNone) kill_box(KillReason::kOutput);
    }
  }

  static void read_small(UniqueFd& fd, std::string& text) {
    if (!fd.valid()) return;
    char buffer[4096];
    const ssize_t n = read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0 || text.size() > 65536) {
      fd.reset();
      return;
    }
    text.append(buffer, static_cast<size_t>(n));
  }

  void find_inner(const std::string& info_text) {
    const nlohmann::json info = nlohmann::json::parse(info_text, nullptr, false);
    if (info.is_object() && info.contains("child-pid") && info["child-pid"].is_number_integer()) {
      inner_pid_ = info["child-pid"].get<pid_t>();
      inner_pidfd_ = UniqueFd(open_pidfd(inner_pid_));
    } else {
      inner_pid_ = 0;  // bwrap never started the box
    }
  }

  // Kills the box's init (pid 1 of its PID namespace), which takes every process in the box
  // with it; bwrap then exits and is reaped normally. Before bwrap named its init, kills bwrap.
  void kill_box(KillReason reason) {
    kill_reason_ = reason;
    kill_time_ = Clock::now();
    if (inner_pidfd_.valid()) {
      syscall(SYS_pidfd_send_signal, inner_pidfd_.get(), SIGKILL, nullptr, 0);
    } else {
      kill(bwrap_pid_, SIGKILL);
    }
  }

  pid_t bwrap_pid_;
  const RunLimits& limits_;
  UniqueFd bwrap_pidfd_;
  pid_t inner_pid_ = -1;
  UniqueFd inner_pidfd_;
  std::string marker_text_;
  KillReason kill_reason_ = KillReason::kNone;
  Clock::time_point kill_time_{};
  bool exited_ = false;
  int status_ = 0;
  rusage usage_{};
  int64_t wall_ms_ = 0;
};

}  // namespace r1b::sandbox
