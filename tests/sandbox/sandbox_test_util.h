// Shared helpers for the sandbox tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "sandbox/compile_cache.h"
#include "sandbox/sandbox.h"

namespace r1b::sandbox {

// Skips the test (with the reason) when bwrap cannot create its namespaces on this machine.
#define R1B_SKIP_WITHOUT_SANDBOX()                                            \
  do {                                                                        \
    const ::r1b::Status r1b_sandbox_status = ::r1b::sandbox::check_sandbox_available(); \
    if (!r1b_sandbox_status.is_ok()) GTEST_SKIP() << r1b_sandbox_status.message(); \
  } while (0)

// A compile cache shared by the tests of this binary (content-addressed, so reruns reuse it).
CompileCache& shared_compile_cache();

// Compiles C++ `source` (must compile) and returns the artifact; fails the test otherwise.
std::filesystem::path compile_cpp_for_testing(const std::string& source);

// A RunSpec running `artifact` as the judge runs contestant programs (/box/prog, private /box).
RunSpec program_spec_for_testing(const std::filesystem::path& artifact);

// A fresh empty folder under the temp folder, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace r1b::sandbox
