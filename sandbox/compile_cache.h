// CompileCache: compiles each distinct source once, in the sandbox, and keeps the artifact.
//
// The key is SHA-256 of (language name, compile argv, source file name, source). An entry is a
// folder <cache>/<key>/ holding the source and either the artifact (e.g. "prog") or
// "compile_error.txt". Entries are published by an atomic rename, so several processes may
// share one cache folder; within a process, concurrent compiles of one key run the compiler
// once and the others wait for it. Compiler failures (non-zero exit) are cached; compiles cut
// off by a limit and sandbox errors are not (they may depend on load).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sandbox/language.h"
#include "sandbox/sandbox.h"

namespace r1b::sandbox {

enum class CompileOutcome { kOk, kCompileError, kSandboxError };

struct CompileResult {
  CompileOutcome outcome = CompileOutcome::kSandboxError;
  // kCompileError: the compiler's stderr then stdout, at most kCompileMessageBytes.
  // kSandboxError: what failed and what to do.
  std::string message;
  // kOk: host path of the artifact inside the cache; valid while the cache folder exists.
  std::filesystem::path artifact_path;
  bool cache_hit = false;  // served from the cache (disk, or another caller's compile)
  int64_t compile_ms = 0;  // wall time of the compiler run (0 on a hit)
};

inline constexpr size_t kCompileMessageBytes = 16 * 1024;

// Limits of one compiler run: 30 s CPU, 60 s wall, 1 GiB memory, 256 MiB files.
RunLimits default_compile_limits();

class CompileCache {
 public:
  // `dir` is created when missing. When the harness runs as root it must be traversable by
  // uid 65534 (bwrap binds artifacts from it), e.g. under /tmp, not under /root.
  explicit CompileCache(std::filesystem::path dir, RunLimits limits = default_compile_limits());
  CompileCache(const CompileCache&) = delete;
  CompileCache& operator=(const CompileCache&) = delete;

  // Returns the artifact for `source` in `language`, compiling it (sandboxed) when no entry
  // exists. A missing compiler is a kSandboxError naming the package to install.
  // Thread-safe; never throws.
  CompileResult compile(const Language& language, std::string_view source);

  // Compiler runs this object started (cache misses). Thread-safe.
  int64_t num_compiles() const { return num_compiles_.load(); }

  const std::filesystem::path& dir() const { return dir_; }

 private:
  CompileResult lookup(const std::filesystem::path& entry, const Language& language) const;
  CompileResult build(const std::string& key, const Language& language, std::string_view source);

  const std::filesystem::path dir_;
  const RunLimits limits_;
  std::mutex mutex_;
  // Compiles under way in this process, by key. Guarded by mutex_.
  std::unordered_map<std::string, std::shared_future<CompileResult>> in_flight_;
  std::atomic<int64_t> num_compiles_{0};
};

// Checks that the programs `language` needs (compiler, interpreter) exist in the box's PATH.
// Returns kUnavailable naming the package to install. Thread-safe.
Status check_toolchain(const Language& language);

}  // namespace r1b::sandbox
