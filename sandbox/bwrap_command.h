// The bubblewrap command line for one box (private to sandbox/; the model is in sandbox.h).
#pragma once

#include <string>
#include <vector>

#include "sandbox/sandbox.h"

namespace r1b::sandbox {

// Host paths of the programs a box needs. Empty when missing.
struct BoxTools {
  std::string bwrap;    // /usr/bin/bwrap
  std::string shell;    // POSIX sh, the launcher (inside the box, same path)
  std::string prlimit;  // util-linux prlimit: sets the rlimits, then execs the command
};

// Looks the tools up once per process. Thread-safe.
const BoxTools& box_tools();

// The file descriptor numbers the bwrap process gets (run_sandboxed moves them there between
// fork and exec; single digits so that any POSIX sh can redirect to them).
inline constexpr int kSeccompFd = 3;  // --seccomp: the BPF program
inline constexpr int kInfoFd = 4;     // --info-fd: bwrap writes {"child-pid": N} (N = the box's pid 1)
inline constexpr int kMarkerFd = 5;   // the launcher writes "R" here just before exec'ing prlimit

// Returns bwrap's arguments (without argv[0]) for `spec`. The command runs as
//   sh -c 'printf R >&5; exec 5>&-; exec prlimit --cpu=... -- "$@"' r1b-box ARGV...
// so the harness can tell "the box never started" (no R) from "the program failed".
std::vector<std::string> bwrap_arguments(const RunSpec& spec);

}  // namespace r1b::sandbox
