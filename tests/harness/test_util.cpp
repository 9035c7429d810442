#include "test_util.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>

extern char** environ;

namespace r1b::testing {

TempDir::TempDir() {
  std::random_device rd;
  path_ = (std::filesystem::temp_directory_path() / ("r1b-test-" + std::to_string(rd()) + std::to_string(getpid())))
              .string();
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

namespace {
std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int spawn(const std::vector<std::string>& args, const std::string& out_path, const std::string& err_path) {
  std::vector<std::string> full = {R1B_BINARY};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}
}  // namespace

CommandResult run_r1bench(const std::vector<std::string>& args) {
  TempDir tmp;
  CommandResult result;
  pid_t pid = spawn(args, tmp.file("out"), tmp.file("err"));
  if (pid < 0) return result;
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_all(tmp.file("out"));
  result.err = read_all(tmp.file("err"));
  return result;
}

int spawn_r1bench(const std::vector<std::string>& args) { return spawn(args, "/dev/null", "/dev/null"); }

int spawn_r1bench(const std::vector<std::string>& args, const std::string& stdout_path) {
  return spawn(args, stdout_path, "/dev/null");
}

LoopbackServer::LoopbackServer(AnswerFn answer, int delay_ms) {
  server_.Post("/v1/completions", [this, answer, delay_ms](const httplib::Request& req, httplib::Response& res) {
    ++requests_;
    if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    auto body = nlohmann::json::parse(req.body);
    int n = body.value("n", 1);
    uint64_t seed = body.value("seed", uint64_t{0});
    nlohmann::json choices = nlohmann::json::array();
    for (int i = 0; i < n; ++i) {
      choices.push_back({{"index", i}, {"text", answer(body["prompt"], seed + i)}, {"finish_reason", "stop"}});
    }
    nlohmann::json out = {{"id", "cmpl-test"}, {"object", "text_completion"}, {"choices", choices},
                          {"usage", {{"prompt_tokens", 20}, {"completion_tokens", 10 * n}, {"total_tokens", 20 + 10 * n}}}};
    res.set_content(out.dump(), "application/json");
  });
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

LoopbackServer::~LoopbackServer() {
  server_.stop();
  thread_.join();
}

}  // namespace r1b::testing
