#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <utility>

#include "sandbox/box_watch.h"
#include "sandbox/bwrap_command.h"
#include "sandbox/seccomp_filter.h"

namespace r1b::sandbox {
namespace {

namespace bp = boost::process;

constexpr uid_t kBoxHostUid = 65534;  // host uid bwrap runs as when the harness is root

struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};

Result<Pipe> make_pipe(const char* what) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return Status::io_error(std::string("sandbox: pipe for ") + what + ": " + std::strerror(errno));
  }
  fcntl(fds[0], F_SETFL, O_NONBLOCK);  // the harness end only: the box writes blocking
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}


int64_t timeval_ms(const timeval& tv) { return tv.tv_sec * 1000 + tv.tv_usec / 1000; }


Result<UniqueFd> open_stdin(const RunSpec& spec) {
  if (!spec.stdin_path.empty()) {
    const int fd = open(spec.stdin_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return Status::io_error("sandbox: cannot open stdin file " + spec.stdin_path.string() + ": " +
                              std::strerror(errno));
    }
    return UniqueFd(fd);
  }
  UniqueFd fd(memfd_create("r1b-stdin", MFD_CLOEXEC));
  if (!fd.valid()) return Status::io_error(std::string("sandbox: memfd for stdin: ") + std::strerror(errno));
  size_t written = 0;
  while (written < spec.stdin_text.size()) {
    const ssize_t n = write(fd.get(), spec.stdin_text.data() + written, spec.stdin_text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::io_error(std::string("sandbox: writing stdin: ") + std::strerror(errno));
    written += static_cast<size_t>(n);
  }
  lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

RunResult sandbox_error(std::string message) {
  RunResult result;
  result.outcome = RunOutcome::kSandboxError;
  result.message = std::move(message);
  return result;
}

std::string first_line(std::string_view text) {
  const size_t end = text.find('\n');
  return std::string(text.substr(0, std::min<size_t>(end, 300)));
}

bool mentions_allocation_failure(std::string_view err) {
  return err.find("std::bad_alloc") != std::string_view::npos ||
         err.find("MemoryError") != std::string_view::npos ||
         err.find("Cannot allocate memory") != std::string_view::npos;
}


// Decides the outcome of a run the box did start (see RunOutcome for the order).
void classify(const RunLimits& limits, KillReason kill_reason, RunResult& result) {
  if (kill_reason == KillReason::kOutput) {
    result.outcome = RunOutcome::kOutputLimit;
    result.message = "output exceeded " + std::to_string(limits.output_bytes) + " bytes";
  } else if (kill_reason == KillReason::kWall) {
    result.outcome = RunOutcome::kTimeLimit;
    result.wall_timed_out = true;
    result.message = "wall-clock limit of " + std::to_string(limits.wall_ms) + " ms exceeded";
  } else if (kill_reason == KillReason::kCpu || result.cpu_ms > limits.cpu_ms || result.signal == SIGXCPU) {
    result.outcome = RunOutcome::kTimeLimit;
    result.message = "CPU time limit of " + std::to_string(limits.cpu_ms) + " ms exceeded";
  } else if (result.peak_memory_bytes > limits.memory_bytes ||
             ((result.signal != 0 || result.exit_code != 0) && mentions_allocation_failure(result.stderr_text))) {
    result.outcome = RunOutcome::kMemoryLimit;
    result.message = "memory limit of " + std::to_string(limits.memory_bytes >> 20) + " MiB exceeded";
  } else if (result.signal != 0) {
    result.outcome = RunOutcome::kRuntimeError;
    const char* name = sigabbrev_np(result.signal);
    result.message = "killed by signal " + std::to_string(result.signal) + " (SIG" + (name ? name : "?") + ")";
  } else if (result.exit_code != 0) {
    result.outcome = RunOutcome::kRuntimeError;
    result.message = "exit code " + std::to_string(result.exit_code);
  } else {
    result.outcome = RunOutcome::kOk;
  }
}

Status validate(const RunSpec& spec) {
  if (spec.argv.empty()) return Status::invalid_input("sandbox: empty argv");
  const RunLimits& limits = spec.limits;
  if (limits.cpu_ms <= 0 || limits.wall_ms <= 0 || limits.memory_bytes <= 0 || limits.max_processes <= 0 ||
      limits.file_size_bytes <= 0 || limits.disk_bytes <= 0 || limits.open_files <= 0 ||
      limits.output_bytes <= 0) {
    return Status::invalid_input("sandbox: every limit must be positive");
  }
  for (const ReadOnlyBind& bind : spec.read_only_binds) {
    if (bind.box_path.empty() || bind.box_path[0] != '/') {
      return Status::invalid_input("sandbox: read-only bind target '" + bind.box_path + "' is not absolute");
    }
  }
  return Status::ok();
}

Status missing_tool_status() {
  const BoxTools& tools = box_tools();
  if (tools.bwrap.empty()) {
    return Status::unavailable("sandbox: bubblewrap (/usr/bin/bwrap) is not installed: apt-get install bubblewrap");
  }
  if (tools.shell.empty()) return Status::unavailable("sandbox: /bin/sh is not installed: apt-get install dash");
  if (tools.prlimit.empty()) {
    return Status::unavailable("sandbox: prlimit is not installed: apt-get install util-linux");
  }
  return Status::ok();
}

}  // namespace

std::string_view outcome_name(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::kOk: return "ok";
    case RunOutcome::kTimeLimit: return "time_limit";
    case RunOutcome::kMemoryLimit: return "memory_limit";
    case RunOutcome::kRuntimeError: return "runtime_error";
    case RunOutcome::kOutputLimit: return "output_limit";
    case RunOutcome::kSandboxError: return "sandbox_error";
  }
  return "sandbox_error";
}

Status check_sandbox_available() {
  static const Status kAvailable = [] {
    R1B_RETURN_IF_ERROR(missing_tool_status());
    RunSpec spec;
    spec.argv = {"/bin/true"};
    const RunResult result = run_sandboxed(spec);
    if (result.ok()) return Status::ok();
    return Status::unavailable(
        "sandbox: bubblewrap cannot create its namespaces on this machine (" + result.message +
        "): allow unprivileged user namespaces (sysctl user.max_user_namespaces > 0, "
        "kernel.unprivileged_userns_clone=1) or run in a container that permits them");
  }();
  return kAvailable;
}

RunResult run_sandboxed(const RunSpec& spec) {
  if (Status status = missing_tool_status(); !status.is_ok()) return sandbox_error(status.message());
  if (Status status = validate(spec); !status.is_ok()) return sandbox_error(status.message());
  const bool as_root = geteuid() == 0;
  if (as_root && !spec.work_dir.empty() && chown(spec.work_dir.c_str(), kBoxHostUid, kBoxHostUid) != 0) {
    return sandbox_error("sandbox: cannot hand the work folder " + spec.work_dir.string() +
                         " to uid 65534: " + std::strerror(errno));
  }
  Result<int> seccomp_fd = open_seccomp_filter_fd();
  if (!seccomp_fd.is_ok()) return sandbox_error(seccomp_fd.status().message());
  UniqueFd seccomp(seccomp_fd.value());
  Result<UniqueFd> stdin_fd = open_stdin(spec);
  if (!stdin_fd.is_ok()) return sandbox_error(stdin_fd.status().message());
  Result<Pipe> out = make_pipe("stdout");
  Result<Pipe> err = make_pipe("stderr");
  Result<Pipe> info = make_pipe("bwrap info");
  Result<Pipe> marker = make_pipe("launch marker");
  for (const Result<Pipe>* pipe : {&out, &err, &info, &marker}) {
    if (!pipe->is_ok()) return sandbox_error(pipe->status().message());
  }

  const std::vector<std::string> args = bwrap_arguments(spec);
  // Runs in the forked child before exec: only async-signal-safe calls.
  auto setup_child = [in = stdin_fd->get(), out_w = out->write_end.get(), err_w = err->write_end.get(),
                      box_fds = std::array<int, 3>{seccomp.get(), info->write_end.get(), marker->write_end.get()},
                      as_root](auto&) {
    dup2(in, STDIN_FILENO);
    dup2(out_w, STDOUT_FILENO);
    dup2(err_w, STDERR_FILENO);
    // Out of the way first (they may sit on 3..5), then down to their fixed numbers.
    std::array<int, 3> moved{};
    for (size_t i = 0; i < box_fds.size(); ++i) moved[i] = fcntl(box_fds[i], F_DUPFD_CLOEXEC, 10);
    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);  // nothing else leaks into the box
    const std::array<int, 3> targets{kSeccompFd, kInfoFd, kMarkerFd};
    for (size_t i = 0; i < moved.size(); ++i) dup2(moved[i], targets[i]);  // dup2 clears CLOEXEC
    if (as_root && (setgroups(0, nullptr) != 0 || setgid(kBoxHostUid) != 0 || setuid(kBoxHostUid) != 0)) {
      static constexpr char kMessage[] = "bwrap: r1bench could not switch to uid 65534\n";
      [[maybe_unused]] ssize_t ignored = write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
      _exit(126);
    }
  };

  const Clock::time_point start = Clock::now();
  std::error_code spawn_error;
  bp::child child(bp::exe = box_tools().bwrap, bp::args = args,
                  bp::extend::on_exec_setup = setup_child, spawn_error);
  if (spawn_error) return sandbox_error("sandbox: cannot start bwrap: " + spawn_error.message());
  const pid_t bwrap_pid = child.id();
  child.detach();  // reaped below with wait4 (for its rusage)
  // The child's ends: closed here so EOF means the box is gone.
  seccomp.reset();
  stdin_fd->reset();
  out->write_end.reset();
  err->write_end.reset();
  info->write_end.reset();
  marker->write_end.reset();

  RunResult result;
  BoxWatch box(bwrap_pid, spec.limits);
  box.watch(start, Capture{std::move(out->read_end), &result.stdout_text, &result.stdout_truncated},
            Capture{std::move(err->read_end), &result.stderr_text, &result.stderr_truncated},
            std::move(info->read_end), std::move(marker->read_end));
  result.wall_ms = box.wall_ms();
  result.cpu_ms = timeval_ms(box.usage().ru_utime) + timeval_ms(box.usage().ru_stime);
  result.peak_memory_bytes = static_cast<int64_t>(box.usage().ru_maxrss) * 1024;
  if (!box.launched()) {
    RunResult failed = sandbox_error(
        box.kill_reason() == KillReason::kWall
            ? "sandbox: the box did not start within the wall limit (machine overloaded?)"
            : "sandbox: bwrap failed to set up the box: " + first_line(result.stderr_text));
    failed.wall_ms = result.wall_ms;
    return failed;
  }
  const int status = box.status();
  if (WIFSIGNALED(status) && box.kill_reason() == KillReason::kNone) {
    return sandbox_error("sandbox: bwrap was killed by signal " + std::to_string(WTERMSIG(status)));
  }
  if (WIFEXITED(status)) {
    const int code = WEXITSTATUS(status);
    if (code > 128 && code <= 128 + 64) {
      result.signal = code - 128;
    } else {
      result.exit_code = code;
    }
  }
  classify(spec.limits, box.kill_reason(), result);
  return result;
}

}  // namespace r1b::sandbox
