// Helpers shared by the harness tests: temp folders, writing files, running the r1bench binary,
// and a deterministic OpenAI-compatible loopback server. Test-only.
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace r1b::testing {

// A fresh folder under the system temp dir, removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& text);

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the r1bench binary under test with `args`, capturing stdout and stderr.
CommandResult run_r1bench(const std::vector<std::string>& args);

// Starts the r1bench binary without waiting; returns its pid (stdout/stderr to /dev/null, or
// stdout to `stdout_path` when given).
int spawn_r1bench(const std::vector<std::string>& args);
int spawn_r1bench(const std::vector<std::string>& args, const std::string& stdout_path);

// An OpenAI-compatible /v1/completions server on 127.0.0.1 whose answer depends only on the
// request's prompt and seed (via `answer`), optionally slowed by `delay_ms` per request.
class LoopbackServer {
 public:
  using AnswerFn = std::function<std::string(const std::string& prompt, uint64_t seed)>;
  LoopbackServer(AnswerFn answer, int delay_ms);
  ~LoopbackServer();
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  int requests() const { return requests_.load(); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace r1b::testing
