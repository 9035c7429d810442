#include "sandbox/box_watch.h"

#include <fcntl.h>
#include <sys/syscall.h>

#include <cstdio>
#include <cstring>

namespace r1b::sandbox {

int open_pidfd(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

int64_t ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

int64_t process_tree_cpu_ms(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buffer[1024];
  const ssize_t n = read(fd, buffer, sizeof buffer - 1);
  close(fd);
  if (n <= 0) return -1;
  buffer[n] = '\0';
  const char* fields = std::strrchr(buffer, ')');  // the command name may hold spaces
  if (fields == nullptr) return -1;
  unsigned long long utime = 0, stime = 0;
  long long cutime = 0, cstime = 0;
  // Fields 3..17 of proc(5): state ppid pgrp session tty tpgid flags minflt cminflt majflt
  // cmajflt utime stime cutime cstime.
  if (std::sscanf(fields + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld", &utime, &stime,
                  &cutime, &cstime) != 4) {
    return -1;
  }
  static const long kTicksPerSecond = sysconf(_SC_CLK_TCK);
  return static_cast<int64_t>(utime + stime + cutime + cstime) * 1000 / kTicksPerSecond;
}


}  // namespace r1b::sandbox
