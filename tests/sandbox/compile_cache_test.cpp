#include "sandbox/compile_cache.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "sandbox_test_util.h"

namespace r1b::sandbox {
namespace {

TEST(CompileCacheTest, SecondCompileOfTheSameSourceIsAHit) {
  R1B_SKIP_WITHOUT_SANDBOX();
  TempDir dir;
  CompileCache cache(dir.path());
  const std::string source = "int main() { return 0; }\n";
  const CompileResult first = cache.compile(*find_language("cpp"), source);
  ASSERT_EQ(first.outcome, CompileOutcome::kOk) << first.message;
  EXPECT_FALSE(first.cache_hit);
  const CompileResult second = cache.compile(*find_language("cpp"), source);
  EXPECT_EQ(second.outcome, CompileOutcome::kOk);
  EXPECT_TRUE(second.cache_hit);
  EXPECT_EQ(second.artifact_path, first.artifact_path);
  EXPECT_EQ(cache.num_compiles(), 1);
  CompileCache reopened(dir.path());  // another process sharing the folder
  EXPECT_TRUE(reopened.compile(*find_language("cpp"), source).cache_hit);
  EXPECT_EQ(reopened.num_compiles(), 0);
}

TEST(CompileCacheTest, ConcurrentCompilesOfOneSourceRunTheCompilerOnce) {
  R1B_SKIP_WITHOUT_SANDBOX();
  TempDir dir;
  CompileCache cache(dir.path());
  std::vector<std::thread> threads;
  std::vector<CompileResult> results(4);
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = cache.compile(*find_language("cpp"), "int main() { return 1; }\n"); });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(cache.num_compiles(), 1);
  for (const CompileResult& result : results) EXPECT_EQ(result.outcome, CompileOutcome::kOk) << result.message;
}

TEST(CompileCacheTest, CompileErrorCarriesTheCompilerMessageAndIsCached) {
  R1B_SKIP_WITHOUT_SANDBOX();
  TempDir dir;
  CompileCache cache(dir.path());
  const CompileResult first = cache.compile(*find_language("cpp"), "int main() { return undefined_name; }\n");
  EXPECT_EQ(first.outcome, CompileOutcome::kCompileError);
  EXPECT_NE(first.message.find("undefined_name"), std::string::npos) << first.message;
  const CompileResult second = cache.compile(*find_language("cpp"), "int main() { return undefined_name; }\n");
  EXPECT_EQ(second.outcome, CompileOutcome::kCompileError);
  EXPECT_TRUE(second.cache_hit);
  EXPECT_EQ(second.message, first.message);
  EXPECT_EQ(cache.num_compiles(), 1);
}

TEST(CompileCacheTest, PythonNeedsNoCompiler) {
  R1B_SKIP_WITHOUT_SANDBOX();
  TempDir dir;
  CompileCache cache(dir.path());
  const CompileResult result = cache.compile(*find_language("python"), "print(1)\n");
  EXPECT_EQ(result.outcome, CompileOutcome::kOk) << result.message;
  EXPECT_EQ(result.artifact_path.filename(), "main.py");
  EXPECT_EQ(cache.num_compiles(), 0);
}

TEST(CompileCacheTest, MissingCompilerIsSandboxErrorNamingThePackage) {
  Language fake = *find_language("cpp");
  fake.name = "fake";
  fake.compile_argv = {"r1b-no-such-compiler", "main.cpp"};
  const Status status = check_toolchain(fake);
  EXPECT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("r1b-no-such-compiler is not installed"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("apt-get install g++"), std::string::npos);
  TempDir dir;
  CompileCache cache(dir.path());
  EXPECT_EQ(cache.compile(fake, "x").outcome, CompileOutcome::kSandboxError);
}

}  // namespace
}  // namespace r1b::sandbox
