// The hostile-program suite: each program tries to escape or exhaust the box. Every case must
// end with the expected outcome, leave nothing behind on the host, and the harness must keep
// working after it (a trivial run follows each case).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "sandbox_test_util.h"

namespace r1b::sandbox {
namespace {

struct HostileCase {
  std::string name;
  std::string source;  // C++; the program prints "ESCAPED ..." when an attack worked
  std::set<RunOutcome> expected;
  std::function<std::string()> host_check = [] { return std::string(); };  // "" when clean
};

std::string first_line_of(const std::string& text) { return text.substr(0, std::min<size_t>(60, text.find('\n'))); }

std::string read_cmdlines_containing(const std::string& marker) {
  std::string found;
  DIR* proc = opendir("/proc");
  while (dirent* entry = proc ? readdir(proc) : nullptr) {
    std::ifstream in(std::string("/proc/") + entry->d_name + "/cmdline", std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().find(marker) != std::string::npos) found += std::string(entry->d_name) + " ";
  }
  if (proc) closedir(proc);
  return found;
}

constexpr const char* kHeaders = R"(
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>
)";

std::vector<HostileCase> hostile_cases(int listener_port) {
  std::vector<HostileCase> cases;
  cases.push_back({"fork_bomb", "int main() { for (;;) fork(); }", {RunOutcome::kTimeLimit}});
  cases.push_back({"memory_bomb",
                   "int main() { std::vector<char*> blocks; for (;;) { char* b = (char*)malloc(16 << 20);"
                   " if (!b) { fprintf(stderr, \"std::bad_alloc\\n\"); abort(); } memset(b, 1, 16 << 20);"
                   " blocks.push_back(b); } }",
                   {RunOutcome::kMemoryLimit}});
  cases.push_back({"infinite_loop", "int main() { volatile unsigned x = 0; for (;;) ++x; }", {RunOutcome::kTimeLimit}});
  cases.push_back({"sleep_forever", "int main() { for (;;) sleep(1000); }", {RunOutcome::kTimeLimit}});
  cases.push_back({"gigabytes_of_output",
                   "int main() { static char b[1 << 20]; memset(b, 'x', sizeof b);"
                   " for (;;) fwrite(b, 1, sizeof b, stdout); }",
                   {RunOutcome::kOutputLimit}});
  cases.push_back({"write_outside_work_folder",
                   "int main() { const char* paths[] = {\"/usr/r1b_escape\", \"/etc/r1b_escape\", \"/r1b_escape\","
                   " \"/dev/r1b_escape\", \"/proc/sys/kernel/hostname\", \"/root/r1b_escape\"};"
                   " for (const char* p : paths) { int fd = open(p, O_WRONLY | O_CREAT, 0644);"
                   " if (fd >= 0 && write(fd, \"x\", 1) == 1) printf(\"ESCAPED wrote %s\\n\", p); } }",
                   {RunOutcome::kOk},
                   [] {
                     return (access("/usr/r1b_escape", F_OK) == 0 || access("/root/r1b_escape", F_OK) == 0)
                                ? std::string("a file appeared on the host")
                                : std::string();
                   }});
  cases.push_back({"read_host_secrets",
                   "int main() { const char* paths[] = {\"/etc/shadow\", \"/root/.bashrc\", \"/root\", \"/home\","
                   " \"/etc/passwd\"}; for (const char* p : paths) if (open(p, O_RDONLY) >= 0)"
                   " printf(\"ESCAPED read %s\\n\", p); }",
                   {RunOutcome::kOk}});
  cases.push_back({"network_tcp_and_dns",
                   "int main() { int s = socket(AF_INET, SOCK_STREAM, 0); if (s >= 0) { sockaddr_in a{};"
                   " a.sin_family = AF_INET; a.sin_port = htons(" + std::to_string(listener_port) + ");"
                   " a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); if (connect(s, (sockaddr*)&a, sizeof a) == 0)"
                   " printf(\"ESCAPED tcp\\n\"); } addrinfo* r = nullptr;"
                   " if (getaddrinfo(\"example.com\", \"80\", nullptr, &r) == 0) printf(\"ESCAPED dns\\n\");"
                   " if (getaddrinfo(\"localhost\", \"80\", nullptr, &r) == 0) printf(\"note localhost\\n\"); }",
                   {RunOutcome::kOk}});
  cases.push_back({"kill_parent_and_everyone",
                   "int main() { kill(-1, SIGKILL); kill(getppid(), SIGKILL); kill(1, SIGKILL); kill(0, SIGKILL);"
                   " puts(\"still here\"); }",
                   {RunOutcome::kOk}});
  cases.push_back({"ptrace",
                   "int main() { if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) == 0) puts(\"ESCAPED traceme\");"
                   " pid_t c = fork(); if (c == 0) { pause(); _exit(0); }"
                   " if (ptrace(PTRACE_ATTACH, c, nullptr, nullptr) == 0) puts(\"ESCAPED attach\"); kill(c, 9); }",
                   {RunOutcome::kOk}});
  cases.push_back({"setuid_file",
                   "int main(int argc, char** argv) { if (argc > 1) { printf(\"%d %d\\n\", getuid(), geteuid());"
                   " if (geteuid() == 0 || geteuid() != getuid()) puts(\"ESCAPED setuid\"); return 0; }"
                   " int in = open(\"/proc/self/exe\", O_RDONLY), out = open(\"/box/suid\", O_WRONLY | O_CREAT, 0755);"
                   " char b[65536]; ssize_t n; while ((n = read(in, b, sizeof b)) > 0) if (write(out, b, n) != n) return 3;"
                   " close(out); if (chown(\"/box/suid\", 0, 0) == 0) puts(\"ESCAPED chown\");"
                   " chmod(\"/box/suid\", 04755); fflush(stdout); execl(\"/box/suid\", \"suid\", \"child\", nullptr);"
                   " return 4; }",
                   {RunOutcome::kOk}});
  const std::string daemon_marker = "r1b-daemon-" + std::to_string(getpid());
  cases.push_back({"daemon_outlives_run",
                   "int main() { if (fork() == 0) { setsid(); if (fork() == 0) { signal(SIGHUP, SIG_IGN);"
                   " execl(\"/bin/sleep\", \"" + daemon_marker + "\", \"1000\", nullptr); } _exit(0); }"
                   " wait(nullptr); usleep(100000); puts(\"parent done\"); }",
                   {RunOutcome::kOk},
                   [daemon_marker] {
                     const std::string pids = read_cmdlines_containing(daemon_marker);
                     return pids.empty() ? std::string() : "daemon still alive on the host: pids " + pids;
                   }});
  cases.push_back({"fill_the_disk",
                   "int main() { signal(SIGXFSZ, SIG_IGN); static char b[1 << 20]; long total = 0;"
                   " const char* dirs[] = {\"/box\", \"/tmp\", \"/dev/shm\"}; for (const char* d : dirs)"
                   " for (int i = 0; i < 1000; ++i) { char p[64]; snprintf(p, sizeof p, \"%s/f%d\", d, i);"
                   " int fd = open(p, O_WRONLY | O_CREAT, 0644); if (fd < 0) break; ssize_t n; long f = 0;"
                   " while ((n = write(fd, b, sizeof b)) > 0) { total += n; f += n; } close(fd); if (f == 0) break; }"
                   " printf(\"%ld\\n\", total >> 20); if (total > (3l << 24)) puts(\"ESCAPED disk\"); }",
                   {RunOutcome::kOk}});
  for (HostileCase& hostile : cases) hostile.source = kHeaders + hostile.source;
  return cases;
}

// A real TCP listener on 127.0.0.1 (any port) that counts accepted connections.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(fd_, 16);
    socklen_t length = sizeof address;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~Listener() { close(fd_); }
  int port() const { return port_; }
  bool accepted_any() const {
    const int client = accept(fd_, nullptr, nullptr);
    if (client >= 0) close(client);
    return client >= 0;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(HostileProgramsTest, EveryCaseIsContainedAndTheHarnessKeepsWorking) {
  R1B_SKIP_WITHOUT_SANDBOX();
  Listener listener;
  ASSERT_GT(listener.port(), 0);
  const pid_t canary = fork();  // a host process the programs must not be able to kill
  if (canary == 0) {
    pause();
    _exit(0);
  }
  const std::filesystem::path hello = compile_cpp_for_testing("#include <cstdio>\nint main() { puts(\"hi\"); }\n");
  int num_cases = 0;
  int num_escapes = 0;
  for (const HostileCase& hostile : hostile_cases(listener.port())) {
    ++num_cases;
    SCOPED_TRACE(hostile.name);
    const RunResult run = run_sandboxed(program_spec_for_testing(compile_cpp_for_testing(hostile.source)));
    std::string escape;
    if (run.stdout_text.find("ESCAPED") != std::string::npos) escape = first_line_of(run.stdout_text);
    if (escape.empty()) escape = hostile.host_check();
    if (escape.empty() && listener.accepted_any()) escape = "the host listener accepted a connection";
    if (escape.empty() && kill(canary, 0) != 0) escape = "a host process was killed";
    if (!escape.empty()) {
      ++num_escapes;
      ADD_FAILURE() << "escape: " << escape;
    }
    EXPECT_TRUE(hostile.expected.count(run.outcome))
        << "outcome " << outcome_name(run.outcome) << ": " << run.message << "\nstdout: "
        << run.stdout_text.substr(0, 300) << "\nstderr: " << run.stderr_text.substr(0, 300);
    const RunResult after = run_sandboxed(program_spec_for_testing(hello));
    EXPECT_EQ(after.outcome, RunOutcome::kOk) << "harness broken after " << hostile.name << ": " << after.message;
    EXPECT_EQ(after.stdout_text, "hi\n");
    std::printf("[ hostile  ] %-26s %-14s cpu %5lld ms  wall %5lld ms  peak %6lld KiB  %s\n", hostile.name.c_str(),
                std::string(outcome_name(run.outcome)).c_str(), static_cast<long long>(run.cpu_ms),
                static_cast<long long>(run.wall_ms), static_cast<long long>(run.peak_memory_bytes >> 10),
                first_line_of(run.stdout_text).c_str());
  }
  kill(canary, SIGKILL);
  waitpid(canary, nullptr, 0);
  std::printf("[ hostile  ] %d cases, %d escapes\n", num_cases, num_escapes);
  EXPECT_EQ(num_escapes, 0);
}

}  // namespace
}  // namespace r1b::sandbox
