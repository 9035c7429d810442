#include "sandbox/bwrap_command.h"

#include <unistd.h>

#include <filesystem>
#include <string_view>

namespace r1b::sandbox {
namespace {

namespace fs = std::filesystem;

std::string first_executable(std::initializer_list<const char*> candidates) {
  for (const char* path : candidates) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

// Adds /bin, /lib, ... as the host has them: merged-/usr links stay links, real folders are
// bound read-only.
void add_system_folders(std::vector<std::string>& args) {
  args.insert(args.end(), {"--ro-bind", "/usr", "/usr"});
  for (const char* path : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    std::error_code ec;
    const fs::file_status status = fs::symlink_status(path, ec);
    if (ec) continue;
    if (fs::is_symlink(status)) {
      args.insert(args.end(), {"--symlink", fs::read_symlink(path, ec).string(), path});
    } else if (fs::is_directory(status)) {
      args.insert(args.end(), {"--ro-bind", path, path});
    }
  }
  // The only parts of /etc a box sees: the loader cache and the alternatives links.
  args.insert(args.end(), {"--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
                           "--ro-bind-try", "/etc/alternatives", "/etc/alternatives"});
}

std::string launcher_script(const RunSpec& spec) {
  const RunLimits& limits = spec.limits;
  const int64_t cpu_soft_s = (limits.cpu_ms + 999) / 1000 + 1;
  const int64_t as_bytes = 2 * limits.memory_bytes + (64ll << 20);
  const std::string marker = std::to_string(kMarkerFd);
  return "printf R >&" + marker + "; exec " + marker + ">&-; exec " + box_tools().prlimit +
         " --cpu=" + std::to_string(cpu_soft_s) + ":" + std::to_string(cpu_soft_s + 1) +
         " --as=" + std::to_string(as_bytes) + " --nproc=" + std::to_string(limits.max_processes) +
         " --fsize=" + std::to_string(limits.file_size_bytes) +
         " --nofile=" + std::to_string(limits.open_files) + " --core=0 -- \"$@\"";
}

}  // namespace

const BoxTools& box_tools() {
  static const BoxTools kTools{
      first_executable({"/usr/bin/bwrap", "/bin/bwrap"}),
      first_executable({"/bin/sh", "/usr/bin/sh"}),
      first_executable({"/usr/bin/prlimit", "/bin/prlimit"}),
  };
  return kTools;
}

std::vector<std::string> bwrap_arguments(const RunSpec& spec) {
  const std::string disk = std::to_string(spec.limits.disk_bytes);
  const std::string box(kBoxDir);
  std::vector<std::string> args = {
      "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
      // The command itself is pid 1 of the box: bwrap then reaps it with waitpid, so the
      // rusage the harness reads with wait4 covers it (bwrap's own init would report only the
      // exit code). Its death ends the PID namespace and every process in it.
      "--as-pid-1",
      "--uid", "65534", "--gid", "65534", "--hostname", "box"};
  add_system_folders(args);
  args.insert(args.end(), {"--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev",
                           "--size", disk, "--tmpfs", "/dev/shm", "--size", disk, "--tmpfs", "/tmp"});
  if (spec.work_dir.empty()) {
    args.insert(args.end(), {"--size", disk, "--tmpfs", box});
  } else {
    args.insert(args.end(), {"--bind", spec.work_dir.string(), box});
  }
  for (const ReadOnlyBind& bind : spec.read_only_binds) {
    args.insert(args.end(), {"--ro-bind", bind.host_path.string(), bind.box_path});
  }
  args.insert(args.end(), {"--remount-ro", "/", "--chdir", box, "--clearenv",
                           "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
                           "--setenv", "HOME", box, "--setenv", "TMPDIR", "/tmp",
                           "--setenv", "LANG", "C.UTF-8",
                           "--seccomp", std::to_string(kSeccompFd),
                           "--info-fd", std::to_string(kInfoFd),
                           "--", box_tools().shell, "-c", launcher_script(spec), "r1b-box"});
  args.insert(args.end(), spec.argv.begin(), spec.argv.end());
  return args;
}

}  // namespace r1b::sandbox
