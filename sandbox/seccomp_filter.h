// The seccomp filter every box runs under (private to sandbox/).
//
// Default allow; denied with EPERM (so programs see an error, not a kill): ptrace,
// mount/umount2/pivot_root/chroot and the new mount API, kexec_*, reboot, *_module, bpf,
// perf_event_open, keyctl/add_key/request_key, unshare/setns, clone with any CLONE_NEW* flag,
// process_vm_readv/writev, userfaultfd, io_uring_*, swapon/swapoff, acct, quotactl, syslog,
// open_by_handle_at, iopl/ioperm, ioctl(TIOCSTI), and socket() for every family but AF_UNIX.
// clone3 fails with ENOSYS (its flags cannot be inspected) so libc falls back to clone.
// Syscalls of a foreign ABI (32-bit int 0x80) kill the process (libseccomp's default).
#pragma once

#include "base/status.h"

namespace r1b::sandbox {

// Returns a new memfd (close-on-exec, offset 0) holding the compiled BPF program, ready for
// `bwrap --seccomp FD`. The caller owns the fd. The program is built once per process.
// Thread-safe.
Result<int> open_seccomp_filter_fd();

}  // namespace r1b::sandbox
