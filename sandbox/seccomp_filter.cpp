#include "sandbox/seccomp_filter.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace r1b::sandbox {
namespace {

constexpr const char* kDeniedSyscalls[] = {
    "ptrace", "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount",
    "fspick", "move_mount", "open_tree", "mount_setattr", "kexec_load", "kexec_file_load",
    "reboot", "init_module", "finit_module", "delete_module", "bpf", "perf_event_open",
    "keyctl", "add_key", "request_key", "unshare", "setns", "process_vm_readv",
    "process_vm_writev", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "swapon", "swapoff", "acct", "quotactl", "syslog",
    "open_by_handle_at", "iopl", "ioperm", "lookup_dcookie", "vhangup",
};

constexpr uint64_t kNamespaceFlags[] = {CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                                        CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP};

std::string seccomp_error(const char* what, int rc) {
  return std::string("seccomp filter: ") + what + " failed: " + std::strerror(-rc) +
         " (is libseccomp2 >= 2.5 installed?)";
}

// Builds the filter and returns its BPF bytes.
Result<std::string> build_filter_bytes() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) return Status::internal("seccomp filter: seccomp_init failed");
  struct Release {
    scmp_filter_ctx ctx;
    ~Release() { seccomp_release(ctx); }
  } release{ctx};
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  for (const char* name : kDeniedSyscalls) {
    const int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not a syscall on this architecture
    if (int rc = seccomp_rule_add(ctx, deny, nr, 0); rc < 0) return Status::internal(seccomp_error(name, rc));
  }
  for (uint64_t flag : kNamespaceFlags) {
    if (int rc = seccomp_rule_add(ctx, deny, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag)); rc < 0) {
      return Status::internal(seccomp_error("clone rule", rc));
    }
  }
  if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0); rc < 0) {
    return Status::internal(seccomp_error("clone3 rule", rc));
  }
  if (int rc = seccomp_rule_add(ctx, deny, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX)); rc < 0) {
    return Status::internal(seccomp_error("socket rule", rc));
  }
  if (int rc = seccomp_rule_add(ctx, deny, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, TIOCSTI)); rc < 0) {
    return Status::internal(seccomp_error("ioctl rule", rc));
  }
  const int fd = memfd_create("r1b-seccomp-build", MFD_CLOEXEC);
  if (fd < 0) return Status::io_error(std::string("seccomp filter: memfd_create: ") + std::strerror(errno));
  std::string bytes;
  if (int rc = seccomp_export_bpf(ctx, fd); rc < 0) {
    close(fd);
    return Status::internal(seccomp_error("seccomp_export_bpf", rc));
  }
  char buffer[4096];
  ssize_t n = 0;
  off_t offset = 0;
  while ((n = pread(fd, buffer, sizeof buffer, offset)) > 0) {
    bytes.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
  close(fd);
  if (bytes.empty()) return Status::internal("seccomp filter: exported program is empty");
  return bytes;
}

}  // namespace

Result<int> open_seccomp_filter_fd() {
  static const Result<std::string> kFilter = build_filter_bytes();  // thread-safe init
  if (!kFilter.is_ok()) return kFilter.status();
  const int fd = memfd_create("r1b-seccomp", MFD_CLOEXEC);
  if (fd < 0) return Status::io_error(std::string("seccomp filter: memfd_create: ") + std::strerror(errno));
  const std::string& bytes = kFilter.value();
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return Status::io_error(std::string("seccomp filter: write to memfd: ") + std::strerror(errno));
    }
    written += static_cast<size_t>(n);
  }
  lseek(fd, 0, SEEK_SET);
  return fd;
}

}  // namespace r1b::sandbox
