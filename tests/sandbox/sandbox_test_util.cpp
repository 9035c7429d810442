#include "sandbox_test_util.h"

#include <stdlib.h>

namespace r1b::sandbox {

CompileCache& shared_compile_cache() {
  static CompileCache cache(std::filesystem::temp_directory_path() / "r1b-sandbox-test-cache");
  return cache;
}

std::filesystem::path compile_cpp_for_testing(const std::string& source) {
  const CompileResult result = shared_compile_cache().compile(*find_language("cpp"), source);
  EXPECT_EQ(result.outcome, CompileOutcome::kOk) << result.message;
  return result.artifact_path;
}

RunSpec program_spec_for_testing(const std::filesystem::path& artifact) {
  RunSpec spec;
  spec.argv = {"./prog"};
  spec.read_only_binds = {{artifact, "/box/prog"}};
  spec.limits.cpu_ms = 1000;
  spec.limits.wall_ms = 3000;
  spec.limits.memory_bytes = 128ll << 20;
  spec.limits.output_bytes = 1 << 20;
  spec.limits.disk_bytes = 16ll << 20;
  spec.limits.file_size_bytes = 8ll << 20;
  return spec;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "r1b-sandbox-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  std::filesystem::permissions(path_, std::filesystem::perms::all, std::filesystem::perm_options::add);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace r1b::sandbox
