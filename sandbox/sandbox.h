// run_sandboxed(): run one untrusted command under bubblewrap + seccomp + rlimits and report
// what it did. The start of sandbox/ (README.md there describes the isolation model).
//
// The box: new user, PID, IPC, UTS, mount, cgroup and network namespaces (no network at all);
// read-only /usr (and the /bin, /lib* links or binds), only /etc/ld.so.cache and
// /etc/alternatives from /etc; fresh /proc, /dev, size-bounded tmpfs /tmp and /dev/shm; a work
// folder at /box; the root itself read-only. The command runs as uid/gid 65534 inside, with no
// capabilities, no_new_privs, a seccomp filter (seccomp_filter.h) and rlimits set just before
// it is exec'd (sh launcher -> prlimit -> the command). When the harness runs as root, bwrap
// itself is started as host uid 65534 so that RLIMIT_NPROC applies (the kernel exempts uid 0).
// The command is pid 1 of its PID namespace (bwrap --as-pid-1, so wait4 sees its rusage):
// signals it sends itself without a handler (raise, kill(getpid())) are ignored, so abort()
// ends in SIGSEGV; faults (SIGSEGV, SIGFPE, SIGBUS) and SIGKILL from the harness work as usual.
// When it exits, the kernel kills every other process in the box.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace r1b::sandbox {

// The fixed path of the work folder inside the box (also the working directory).
inline constexpr std::string_view kBoxDir = "/box";

// Resource limits of one run. All are per run, enforced by the kernel unless noted.
struct RunLimits {
  int64_t cpu_ms = 1000;            // CPU time (user + system) of everything in the box
  int64_t wall_ms = 3000;           // wall clock from start to exit; the whole box is killed
  int64_t memory_bytes = 256ll << 20;  // peak resident memory (see RunOutcome::kMemoryLimit)
  int max_processes = 32;           // RLIMIT_NPROC inside the box (the command counts as one)
  int64_t file_size_bytes = 64ll << 20;  // RLIMIT_FSIZE: largest file the command may write
  int64_t disk_bytes = 64ll << 20;  // size of each tmpfs: /tmp, /dev/shm, and /box when private
  int open_files = 64;              // RLIMIT_NOFILE
  int64_t output_bytes = 64ll << 20;  // cap on stdout and on stderr, each; over it: kOutputLimit
};

// A host path bound read-only into the box (box_path absolute, e.g. "/box/prog").
struct ReadOnlyBind {
  std::filesystem::path host_path;
  std::string box_path;
};

struct RunSpec {
  // argv[0] is looked up in the box's PATH (/usr/local/bin:/usr/bin:/bin) unless it contains
  // a '/'; relative paths are relative to /box. Must not be empty.
  std::vector<std::string> argv;
  std::string stdin_text;           // the command's stdin, unless stdin_path is set
  std::filesystem::path stdin_path;  // host file read as stdin (when not empty)
  // Host folder bound read-write at /box (when not empty). Its total size is NOT bounded (only
  // each file, by file_size_bytes): use it for trusted writers such as the compiler. When
  // empty, /box is a private tmpfs of disk_bytes, gone after the run. When the harness runs
  // as root the folder is chowned to uid 65534 so the box can write it.
  std::filesystem::path work_dir;
  std::vector<ReadOnlyBind> read_only_binds;  // host paths must be readable by the box's uid
  RunLimits limits;
};

// How a run ended. Exactly one applies, checked in this order:
//   kSandboxError  the harness failed (bwrap could not start or set up the box, a pipe failed):
//                  never the program's fault; `message` says what and what to do.
//   kOutputLimit   stdout or stderr exceeded output_bytes: the box was killed at that point.
//   kTimeLimit     wall_ms passed (wall_timed_out, box killed), or the CPU time exceeded cpu_ms:
//                  the harness reads the command's CPU (itself + reaped children) from /proc
//                  every 20 ms and kills the box past cpu_ms; RLIMIT_CPU (cpu_ms rounded up
//                  + 1 s, hard +1 s) is the backstop. CPU of processes that are never reaped
//                  is only bounded by the wall limit.
//   kMemoryLimit   peak resident memory exceeded memory_bytes; or the program died (signal
//                  or non-zero exit) after an allocation failed: RLIMIT_AS is 2 x memory_bytes
//                  + 64 MiB, and a failure is recognised by "std::bad_alloc", "MemoryError" or
//                  "Cannot allocate memory" on stderr. An allocation refused by RLIMIT_AS
//                  whose failure the program hides (exits 0 or prints nothing) is not MLE.
//   kRuntimeError  killed by a signal (`signal`) or exited non-zero (`exit_code`).
//   kOk            exited 0 within every limit.
enum class RunOutcome { kOk, kTimeLimit, kMemoryLimit, kRuntimeError, kOutputLimit, kSandboxError };

std::string_view outcome_name(RunOutcome outcome);  // "ok", "time_limit", ..., "sandbox_error"

struct RunResult {
  RunOutcome outcome = RunOutcome::kSandboxError;
  std::string message;       // one line: why (for every outcome but kOk)
  int exit_code = 0;         // exit status when the program exited normally
  // Terminating signal, 0 when it exited. bwrap reports a death by signal S as exit 128 + S,
  // so a program that itself exits with 129..192 is reported as killed by that signal.
  int signal = 0;
  bool wall_timed_out = false;
  int64_t cpu_ms = 0;        // user + system CPU of the box's processes that were reaped
  int64_t wall_ms = 0;       // start of bwrap to its exit
  int64_t peak_memory_bytes = 0;  // largest resident set of any process in the box (wait4)
  std::string stdout_text;   // at most limits.output_bytes
  std::string stderr_text;   // at most limits.output_bytes
  bool stdout_truncated = false;
  bool stderr_truncated = false;

  bool ok() const { return outcome == RunOutcome::kOk; }
};

// Checks once per process that bwrap, /bin/sh and prlimit exist and that bwrap can create its
// namespaces here (runs /bin/true in a box). Returns the first failure as one line naming
// what is missing and the fix ("apt-get install bubblewrap", enabling user namespaces).
// Thread-safe; the answer is cached.
Status check_sandbox_available();

// Runs spec.argv in a fresh box and waits for it (at most limits.wall_ms plus a second to
// tear the box down). Never throws; every harness failure is a kSandboxError result.
// Thread-safe: any number of runs may proceed in parallel (each owns its pipes and box).
// Nothing started by the run survives its return: the box's PID namespace is gone.
RunResult run_sandboxed(const RunSpec& spec);

}  // namespace r1b::sandbox
