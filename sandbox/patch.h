// Patch tasks (SWE-bench style): the model's diff, the task's tests spec, a fresh workspace the
// diff is applied to, and the resolved / not-resolved decision from a test report.
//
// The flow (the caller runs setup + tests in the sandbox between workspace and decide()):
//   extract_diff(completion) -> PatchWorkspace::create(repo, base_commit)
//     -> apply_model_diff(diff) -> apply_test_patch(test_patch)
//     -> [sandbox: setup_command, test_command in repo_dir()] -> parse_report -> decide()
// A model diff that git refuses is its own outcome (ApplyOutcome::applied == false, "patch not
// applied", scored wrong with git's message); a git or file-system failure is a Status error
// (a judge error, never blamed on the model).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "sandbox/test_report.h"

namespace r1b::sandbox {

// The model's unified diff. Region: the text after the last "</think>", or the whole completion
// when there is none. In the region, the LAST fenced block tagged ```diff or ```patch (an unclosed
// last fence runs to the end); else the last unfenced diff: a run of lines starting at
// "diff --git " or at a "--- " line followed by "+++ ", continuing through headers and hunks
// (hunk bodies are read by their @@ line counts, so surrounding prose is left out). The result
// has "\n" line ends (CRLF converted) and ends with "\n". Pure, thread-safe, never throws.
// No diff: kInvalidInput "no diff found: ..." (a wrong answer, not a judge error).
Result<std::string> extract_diff(std::string_view completion);

inline constexpr int64_t kDefaultPatchTimeLimitMs = 120000;

// A patch task's "tests" object (schema in sandbox/README.md and DESIGN).
struct PatchProblem {
  std::string repo;                // folder or .tar / .tar.gz, relative to the pack file
  std::string base_commit;         // "" when not given
  std::string setup_command;       // "" when not given
  std::string test_patch;          // "" when not given
  std::string test_command;
  ReportSpec report;               // "report", default "pytest"
  int64_t time_limit_ms = kDefaultPatchTimeLimitMs;  // wall limit for setup + tests
  std::vector<std::string> fail_to_pass;  // at least one
  std::vector<std::string> pass_to_pass;  // may be empty
};

// Validates `tests`; errors are kInvalidInput and name the field ("field \"FAIL_TO_PASS\": ...").
// Unknown fields are refused; a null optional field counts as absent. Pure (no file system),
// thread-safe.
Result<PatchProblem> parse_patch_problem(const nlohmann::json& tests);

// problem.repo resolved against the folder of `pack_file` (absolute repo paths stay as they are).
// Pure; does not check that the path exists (PatchWorkspace::create does).
std::filesystem::path resolve_repo_path(const PatchProblem& problem, const std::filesystem::path& pack_file);

struct WorkspaceOptions {
  std::filesystem::path parent_dir;  // where the workspace folder is made; "" = the system temp folder
  bool keep = false;                 // leave the folder on disk when the workspace dies (debugging)
  int64_t git_timeout_ms = 60000;    // per git / tar command; past it the command is killed
};

struct ApplyOutcome {
  bool applied = false;
  std::string message;  // not applied: git's own message ("error: patch failed: slug.py:5 ...")
};

// A fresh, private copy of a task's repository, at its base commit, under git. The folder
// (parent_dir/r1b-patch-XXXXXX/, mode 0711 so a sandbox uid can reach repo/ inside it; the diff
// files sit next to repo/, out of the tree) is removed, best effort, when the object dies unless
// options.keep. Processes (git, tar) are started with argv vectors through Boost.Process, never
// through a shell; model text only reaches git as the content of a file. Not thread-safe: one
// thread uses a workspace at a time; distinct workspaces are independent.
class PatchWorkspace {
 public:
  // Copies `repo` (a folder, or a .tar / .tar.gz / .tgz archive unpacked with tar; an archive
  // holding one top folder is rooted there). A git repository (has a .git folder) is checked out
  // at `base_commit` when given (then `git clean -fdx`); a plain folder is `git init`ed and
  // committed as is, so the tree is clean for `git apply` (base_commit is then ignored).
  // Errors: kNotFound (no repo, no git/tar on PATH), kIOError (copy failed), kInvalidInput (not a
  // folder or archive; a .git file instead of a folder), kInternal (a git or tar command failed or
  // timed out; its output is in the message).
  static Result<std::unique_ptr<PatchWorkspace>> create(const std::filesystem::path& repo, std::string_view base_commit,
                                                        const WorkspaceOptions& options = {});
  ~PatchWorkspace();
  PatchWorkspace(const PatchWorkspace&) = delete;
  PatchWorkspace& operator=(const PatchWorkspace&) = delete;

  // The repository root (the test command's working directory).
  const std::filesystem::path& repo_dir() const { return repo_dir_; }

  // `git apply --check` then `git apply` of the model's diff. git refuses paths outside the repo
  // ("../x", paths beyond a symlink, anything under .git): not applied, with git's message.
  // A failure to run git is a Status error.
  Result<ApplyOutcome> apply_model_diff(std::string_view diff);

  // SWE-bench's step: every file the test patch touches is first restored to the base commit
  // (so edits the model made to those test files are dropped), then the test patch is applied.
  // A test patch that does not apply is a Status error (kInvalidInput: the task is broken).
  Status apply_test_patch(std::string_view test_patch);

  // Keep the folder on disk after destruction (for inspecting a failed judgement).
  void keep() { keep_ = true; }

 private:
  PatchWorkspace(std::filesystem::path root, const WorkspaceOptions& options);
  Status copy_repo(const std::filesystem::path& repo);
  Status prepare_git(std::string_view base_commit);
  Result<std::filesystem::path> write_patch(std::string_view diff, const std::string& file_name);
  Result<ApplyOutcome> apply(const std::filesystem::path& patch_file);
  Status restore_paths_of(const std::filesystem::path& patch_file);

  std::filesystem::path root_;      // the private folder; repo_dir_ and diff files live inside
  std::filesystem::path repo_dir_;  // root_/repo
  int64_t git_timeout_ms_;
  bool keep_;
};

struct Decision {
  bool resolved = false;
  // Resolved: how many tests pass. Otherwise the first failing or missing FAIL_TO_PASS and
  // PASS_TO_PASS ids with their status and counts, then the report's note when it has one.
  std::string reason;
};

// Resolved = every FAIL_TO_PASS and every PASS_TO_PASS id is kPassed in `report`; an id the report
// does not mention counts as failed. Pure, thread-safe.
Decision decide(const TestReport& report, std::span<const std::string> fail_to_pass,
                std::span<const std::string> pass_to_pass);

}  // namespace r1b::sandbox
