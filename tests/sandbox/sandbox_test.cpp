#include "sandbox/sandbox.h"

#include <gtest/gtest.h>

#include "sandbox_test_util.h"

namespace r1b::sandbox {
namespace {

RunResult run_cpp(const std::string& body, RunLimits limits = program_spec_for_testing("").limits,
                  const std::string& stdin_text = "") {
  RunSpec spec = program_spec_for_testing(compile_cpp_for_testing(
      "#include <cstdio>\n#include <cstdlib>\n#include <cstring>\n#include <unistd.h>\n#include <vector>\n" + body));
  spec.limits = limits;
  spec.stdin_text = stdin_text;
  return run_sandboxed(spec);
}

TEST(SandboxTest, EchoesStdinAndCapturesBothStreams) {
  R1B_SKIP_WITHOUT_SANDBOX();
  const RunResult run = run_cpp(
      "int main() { char b[64]; while (fgets(b, sizeof b, stdin)) fputs(b, stdout); fputs(\"note\", stderr); }", {},
      "line 1\nline 2\n");
  EXPECT_EQ(run.outcome, RunOutcome::kOk) << run.message;
  EXPECT_EQ(run.stdout_text, "line 1\nline 2\n");
  EXPECT_EQ(run.stderr_text, "note");
  EXPECT_GT(run.wall_ms, 0);
  EXPECT_GT(run.peak_memory_bytes, 0);
}

TEST(SandboxTest, StdinComesFromAHostFile) {
  R1B_SKIP_WITHOUT_SANDBOX();
  TempDir dir;
  const std::filesystem::path input = dir.path() / "input.txt";
  FILE* file = std::fopen(input.c_str(), "w");
  std::fputs("from a file\n", file);
  std::fclose(file);
  RunSpec spec;
  spec.argv = {"cat"};
  spec.stdin_path = input;
  const RunResult run = run_sandboxed(spec);
  EXPECT_EQ(run.stdout_text, "from a file\n") << run.message;
}

TEST(SandboxTest, CpuBoundProgramGetsTimeLimitWithoutWallTimeout) {
  R1B_SKIP_WITHOUT_SANDBOX();
  RunLimits limits = program_spec_for_testing("").limits;
  limits.cpu_ms = 300;
  limits.wall_ms = 10'000;
  const RunResult run = run_cpp("int main() { volatile unsigned x = 0; for (;;) ++x; }", limits);
  EXPECT_EQ(run.outcome, RunOutcome::kTimeLimit);
  EXPECT_FALSE(run.wall_timed_out);
  EXPECT_GE(run.cpu_ms, 300);
  EXPECT_LT(run.wall_ms, 10'000);
}

TEST(SandboxTest, SleepingProgramGetsWallTimeout) {
  R1B_SKIP_WITHOUT_SANDBOX();
  RunLimits limits = program_spec_for_testing("").limits;
  limits.wall_ms = 500;
  const RunResult run = run_cpp("int main() { sleep(100); }", limits);
  EXPECT_EQ(run.outcome, RunOutcome::kTimeLimit);
  EXPECT_TRUE(run.wall_timed_out);
  EXPECT_LT(run.cpu_ms, 100);
  EXPECT_GE(run.wall_ms, 500);
  EXPECT_LT(run.wall_ms, 2500);
}

TEST(SandboxTest, TouchingMoreThanTheMemoryLimitIsMemoryLimit) {
  R1B_SKIP_WITHOUT_SANDBOX();
  const RunResult run = run_cpp(
      "int main() { std::vector<char> v(200 << 20); for (size_t i = 0; i < v.size(); i += 4096) v[i] = 1;"
      " printf(\"%d\", v[4096]); }");  // limit 128 MiB
  EXPECT_EQ(run.outcome, RunOutcome::kMemoryLimit) << run.message;
}

TEST(SandboxTest, HugeAllocationFailureIsMemoryLimit) {
  R1B_SKIP_WITHOUT_SANDBOX();
  const RunResult run = run_cpp("int main() { std::vector<char> v(size_t(4) << 30); printf(\"%d\", v[1]); }");
  EXPECT_EQ(run.outcome, RunOutcome::kMemoryLimit) << run.message << " " << run.stderr_text;
  EXPECT_NE(run.stderr_text.find("bad_alloc"), std::string::npos);
}

TEST(SandboxTest, NonZeroExitIsRuntimeErrorWithExitCode) {
  R1B_SKIP_WITHOUT_SANDBOX();
  const RunResult run = run_cpp("int main() { return 3; }");
  EXPECT_EQ(run.outcome, RunOutcome::kRuntimeError);
  EXPECT_EQ(run.exit_code, 3);
  EXPECT_EQ(run.signal, 0);
}

TEST(SandboxTest, SegfaultIsRuntimeErrorWithSignal) {
  R1B_SKIP_WITHOUT_SANDBOX();
  const RunResult run = run_cpp("int main() { volatile int* p = nullptr; *p = 1; }");
  EXPECT_EQ(run.outcome, RunOutcome::kRuntimeError);
  EXPECT_EQ(run.signal, 11);
}

TEST(SandboxTest, EndlessOutputIsOutputLimitAndTruncated) {
  R1B_SKIP_WITHOUT_SANDBOX();
  const RunResult run = run_cpp("int main() { for (;;) puts(\"spam spam spam\"); }");
  EXPECT_EQ(run.outcome, RunOutcome::kOutputLimit);
  EXPECT_TRUE(run.stdout_truncated);
  EXPECT_EQ(run.stdout_text.size(), size_t{1} << 20);
}

TEST(SandboxTest, MissingProgramInsideTheBoxIsTheProgramsFailureNotTheSandboxs) {
  R1B_SKIP_WITHOUT_SANDBOX();
  RunSpec spec;
  spec.argv = {"./does-not-exist"};
  const RunResult run = run_sandboxed(spec);
  EXPECT_EQ(run.outcome, RunOutcome::kRuntimeError);
}

TEST(SandboxTest, UnreadableBindIsSandboxError) {
  R1B_SKIP_WITHOUT_SANDBOX();
  RunSpec spec;
  spec.argv = {"true"};
  spec.read_only_binds = {{"/nonexistent/r1b", "/box/x"}};
  const RunResult run = run_sandboxed(spec);
  EXPECT_EQ(run.outcome, RunOutcome::kSandboxError);
  EXPECT_NE(run.message.find("bwrap"), std::string::npos) << run.message;
}

TEST(SandboxTest, EmptyArgvIsSandboxError) {
  const RunResult run = run_sandboxed(RunSpec{});
  EXPECT_EQ(run.outcome, RunOutcome::kSandboxError);
}

TEST(SandboxTest, WorkFolderIsWritableAtBox) {
  R1B_SKIP_WITHOUT_SANDBOX();
  TempDir dir;
  RunSpec spec;
  spec.argv = {"sh", "-c", "echo made > /box/out.txt"};
  spec.work_dir = dir.path();
  const RunResult run = run_sandboxed(spec);
  EXPECT_EQ(run.outcome, RunOutcome::kOk) << run.message << run.stderr_text;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "out.txt"));
}

}  // namespace
}  // namespace r1b::sandbox
