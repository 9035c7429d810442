#include "sandbox/compile_cache.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace r1b::sandbox {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCompileErrorFile = "compile_error.txt";
constexpr const char* kBoxPath[] = {"/usr/local/bin", "/usr/bin", "/bin"};

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

std::string cache_key(const Language& language, std::string_view source) {
  std::string material = language.name;
  material += '\0';
  for (const std::string& arg : language.compile_argv) material += arg + '\0';
  material += language.source_file + '\0';
  material += source;
  return sha256_hex(material);
}

bool write_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  return static_cast<bool>(out);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool in_box_path(const std::string& program) {
  if (program.find('/') != std::string::npos) return true;  // relative to /box or absolute
  for (const char* folder : kBoxPath) {
    if (access((std::string(folder) + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::string compiler_message(const RunResult& run) {
  std::string message = run.stderr_text;
  if (!run.stdout_text.empty()) message += run.stdout_text;
  if (message.size() > kCompileMessageBytes) {
    message.resize(kCompileMessageBytes);
    message += "\n[compiler output truncated]";
  }
  return message;
}

}  // namespace

RunLimits default_compile_limits() {
  RunLimits limits;
  limits.cpu_ms = 30'000;
  limits.wall_ms = 60'000;
  limits.memory_bytes = 1ll << 30;
  limits.max_processes = 16;
  limits.file_size_bytes = 256ll << 20;
  limits.disk_bytes = 512ll << 20;
  limits.open_files = 256;
  limits.output_bytes = 1 << 20;
  return limits;
}

Status check_toolchain(const Language& language) {
  for (const std::vector<std::string>* argv : {&language.compile_argv, &language.run_argv}) {
    if (!argv->empty() && !in_box_path(argv->front())) {
      return Status::unavailable("sandbox: " + argv->front() + " is not installed (needed for " + language.name +
                                 "): install " + language.toolchain_hint);
    }
  }
  return Status::ok();
}

CompileCache::CompileCache(fs::path dir, RunLimits limits) : dir_(std::move(dir)), limits_(limits) {}

CompileResult CompileCache::compile(const Language& language, std::string_view source) {
  const std::string key = cache_key(language, source);
  std::promise<CompileResult> promise;
  std::shared_future<CompileResult> waiting;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = in_flight_.find(key);
    if (it != in_flight_.end()) {
      waiting = it->second;
    } else {
      in_flight_.emplace(key, promise.get_future().share());
    }
  }
  if (waiting.valid()) {
    CompileResult result = waiting.get();
    if (result.outcome != CompileOutcome::kSandboxError) {
      result.cache_hit = true;
      result.compile_ms = 0;
    }
    return result;
  }
  CompileResult result = lookup(dir_ / key, language);
  if (!result.cache_hit) result = build(key, language, source);
  promise.set_value(result);
  std::lock_guard<std::mutex> lock(mutex_);
  in_flight_.erase(key);
  return result;
}

CompileResult CompileCache::lookup(const fs::path& entry, const Language& language) const {
  CompileResult result;
  std::error_code ec;
  // Only a regular file: a symlink would make bwrap bind its host target into the box.
  if (fs::is_regular_file(fs::symlink_status(entry / language.artifact_file, ec))) {
    result.outcome = CompileOutcome::kOk;
    result.artifact_path = entry / language.artifact_file;
    result.cache_hit = true;
  } else if (fs::exists(entry / kCompileErrorFile, ec)) {
    result.outcome = CompileOutcome::kCompileError;
    result.message = read_file(entry / kCompileErrorFile);
    result.cache_hit = true;
  }
  return result;
}

CompileResult CompileCache::build(const std::string& key, const Language& language, std::string_view source) {
  CompileResult result;
  if (Status status = check_toolchain(language); !status.is_ok()) {
    result.message = status.message();
    return result;
  }
  std::error_code ec;
  fs::create_directories(dir_, ec);
  std::string pattern = (dir_ / ("tmp-" + key + "-XXXXXX")).string();
  if (ec || mkdtemp(pattern.data()) == nullptr) {
    result.message = "sandbox: cannot create a folder in the compile cache " + dir_.string() +
                     ": check that it is writable";
    return result;
  }
  const fs::path work(pattern);
  fs::permissions(work, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec, ec);
  struct RemoveOnExit {
    fs::path path;
    ~RemoveOnExit() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } cleanup{work};
  if (!write_file(work / language.source_file, source)) {
    result.message = "sandbox: cannot write " + (work / language.source_file).string();
    return result;
  }
  if (!language.compile_argv.empty()) {
    RunSpec spec;
    spec.argv = language.compile_argv;
    spec.work_dir = work;
    spec.limits = limits_;
    num_compiles_.fetch_add(1);
    const RunResult run = run_sandboxed(spec);
    result.compile_ms = run.wall_ms;
    if (run.outcome == RunOutcome::kSandboxError) {
      result.message = run.message;
      return result;
    }
    if (run.outcome != RunOutcome::kOk || !fs::exists(work / language.artifact_file, ec)) {
      result.outcome = CompileOutcome::kCompileError;
      result.message = compiler_message(run);
      if (run.outcome != RunOutcome::kRuntimeError) {  // cut off by a limit: not cached
        result.message = "compilation stopped: " + run.message + "\n" + result.message;
        return result;
      }
      if (!write_file(work / kCompileErrorFile, result.message)) return result;
    }
  }
  const fs::path entry = dir_ / key;
  fs::rename(work, entry, ec);  // fails when another process published the entry first
  CompileResult published = lookup(entry, language);
  if (published.outcome == CompileOutcome::kSandboxError) {
    result.outcome = CompileOutcome::kSandboxError;
    result.message = "sandbox: cannot publish " + entry.string() + " in the compile cache";
    return result;
  }
  published.cache_hit = false;
  published.compile_ms = result.compile_ms;
  return published;
}

}  // namespace r1b::sandbox
