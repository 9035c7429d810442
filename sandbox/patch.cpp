#include "sandbox/patch.h"

#include <boost/process.hpp>
#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

namespace r1b::sandbox {

namespace fs = std::filesystem;
namespace bp = boost::process;

// ---- extract_diff ----------------------------------------------------------------------------

namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// The lines of `text` with CRLF ends converted; a final line without "\n" is kept.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    begin = end + 1;
  }
  return lines;
}

std::string join_lines(std::span<const std::string_view> lines) {
  std::string out;
  for (std::string_view line : lines) {
    out.append(line);
    out.push_back('\n');
  }
  return out;
}

// A Markdown fence line (up to 3 spaces of indent): its backtick count and its info word.
struct Fence {
  size_t ticks = 0;
  std::string tag;  // lower-cased first word after the backticks
  bool bare = true; // nothing after the backticks (can close a block)
};

std::optional<Fence> parse_fence(std::string_view line) {
  size_t indent = 0;
  while (indent < line.size() && indent < 3 && line[indent] == ' ') ++indent;
  line.remove_prefix(indent);
  Fence fence;
  while (fence.ticks < line.size() && line[fence.ticks] == '`') ++fence.ticks;
  if (fence.ticks < 3) return std::nullopt;
  std::string_view info = line.substr(fence.ticks);
  while (!info.empty() && std::isspace(static_cast<unsigned char>(info.front()))) info.remove_prefix(1);
  while (!info.empty() && std::isspace(static_cast<unsigned char>(info.back()))) info.remove_suffix(1);
  fence.bare = info.empty();
  for (char c : info.substr(0, info.find_first_of(" \t"))) {
    fence.tag.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return fence;
}

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

// The content of the last non-blank ```diff / ```patch block, if any.
std::optional<std::string> last_fenced_diff(std::span<const std::string_view> lines) {
  std::optional<std::string> found;
  size_t i = 0;
  while (i < lines.size()) {
    auto open = parse_fence(lines[i]);
    if (!open) {
      ++i;
      continue;
    }
    size_t end = i + 1;
    while (end < lines.size()) {
      auto close = parse_fence(lines[end]);
      if (close && close->bare && close->ticks >= open->ticks) break;
      ++end;
    }
    auto body = lines.subspan(i + 1, end - i - 1);
    bool has_text = std::any_of(body.begin(), body.end(), [](std::string_view l) { return !is_blank(l); });
    if ((open->tag == "diff" || open->tag == "patch") && has_text) found = join_lines(body);
    i = end + 1;
  }
  return found;
}

constexpr std::string_view kHeaderPrefixes[] = {
    "diff --git ",   "index ",     "--- ",       "+++ ",      "new file mode ", "deleted file mode ",
    "old mode ",     "new mode ",  "similarity index ",     "dissimilarity index ", "rename from ",
    "rename to ",    "copy from ", "copy to ",   "Binary files ",
};

bool is_header(std::string_view line) {
  return std::any_of(std::begin(kHeaderPrefixes), std::end(kHeaderPrefixes),
                     [&](std::string_view prefix) { return starts_with(line, prefix); });
}

bool is_diff_start(std::span<const std::string_view> lines, size_t i) {
  if (starts_with(lines[i], "diff --git ")) return true;
  return starts_with(lines[i], "--- ") && i + 1 < lines.size() && starts_with(lines[i + 1], "+++ ");
}

// "@@ -12,3 +12,4 @@ ..." -> old and new line counts (a count left out means 1).
bool parse_hunk_counts(std::string_view line, long& old_count, long& new_count) {
  auto count_after = [&](char sign, long& count) {
    size_t at = line.find(std::string(" ") + sign);
    if (at == std::string_view::npos) return false;
    size_t pos = at + 2;
    while (pos < line.size() && std::isdigit(static_cast<unsigned char>(line[pos]))) ++pos;
    count = 1;
    if (pos < line.size() && line[pos] == ',') {
      size_t digits = ++pos;
      while (pos < line.size() && std::isdigit(static_cast<unsigned char>(line[pos]))) ++pos;
      if (pos == digits || pos - digits > 9) return false;
      count = std::stol(std::string(line.substr(digits, pos - digits)));
    }
    return true;
  };
  return starts_with(line, "@@ ") && count_after('-', old_count) && count_after('+', new_count);
}

// One past the last line of the diff run that starts at `i`.
size_t diff_run_end(std::span<const std::string_view> lines, size_t i) {
  while (i < lines.size()) {
    std::string_view line = lines[i];
    long old_left = 0;
    long new_left = 0;
    if (is_header(line)) {
      ++i;
    } else if (parse_hunk_counts(line, old_left, new_left)) {
      ++i;
      while (i < lines.size() && (old_left > 0 || new_left > 0)) {
        std::string_view body = lines[i];
        char sign = body.empty() ? ' ' : body.front();  // an empty line is a stripped blank context line
        if (sign == ' ') {
          --old_left;
          --new_left;
        } else if (sign == '-') {
          --old_left;
        } else if (sign == '+') {
          --new_left;
        } else if (sign != '\\') {
          return i;  // short hunk: git will say so
        }
        ++i;
      }
      if (i < lines.size() && starts_with(lines[i], "\\")) ++i;  // "\ No newline at end of file"
    } else {
      break;
    }
  }
  return i;
}

// The last unfenced diff: runs separated only by blank lines count as one diff.
std::optional<std::string> last_unfenced_diff(std::span<const std::string_view> lines) {
  std::optional<std::pair<size_t, size_t>> last;
  size_t i = 0;
  while (i < lines.size()) {
    if (!is_diff_start(lines, i)) {
      ++i;
      continue;
    }
    size_t end = diff_run_end(lines, i);
    bool joins = last && std::all_of(lines.begin() + last->second, lines.begin() + i, is_blank);
    last = std::make_pair(joins ? last->first : i, end);
    i = std::max(end, i + 1);
  }
  if (!last) return std::nullopt;
  return join_lines(lines.subspan(last->first, last->second - last->first));
}

}  // namespace

Result<std::string> extract_diff(std::string_view completion) {
  size_t think_end = completion.rfind("</think>");
  std::string_view region = think_end == std::string_view::npos ? completion : completion.substr(think_end + 8);
  auto lines = split_lines(region);
  if (auto fenced = last_fenced_diff(lines)) return *fenced;
  if (auto unfenced = last_unfenced_diff(lines)) return *unfenced;
  return Status::invalid_input(
      std::string("no diff found") + (think_end == std::string_view::npos ? "" : " after </think>") +
      ": expected a ```diff block or a unified diff starting with \"diff --git\" or \"--- \"/\"+++ \" lines");
}

// ---- parse_patch_problem -----------------------------------------------------------------------

namespace {

Status field_error(const std::string& field, const std::string& what) {
  return Status::invalid_input("field \"" + field + "\": " + what);
}

Status read_string(const nlohmann::json& tests, const char* field, bool required, std::string& out) {
  auto it = tests.find(field);
  if (it == tests.end() || it->is_null()) return required ? field_error(field, "missing (required)") : Status::ok();
  if (!it->is_string()) return field_error(field, "must be a string");
  out = it->get<std::string>();
  if (required && out.empty()) return field_error(field, "must not be empty");
  return Status::ok();
}

Status read_ids(const nlohmann::json& tests, const char* field, bool required, std::vector<std::string>& out) {
  auto it = tests.find(field);
  if (it == tests.end() || it->is_null()) return required ? field_error(field, "missing (required)") : Status::ok();
  if (!it->is_array()) return field_error(field, "must be an array of test ids");
  for (const auto& id : *it) {
    if (!id.is_string() || id.get_ref<const std::string&>().empty()) {
      return field_error(field, "every test id must be a non-empty string");
    }
    out.push_back(id.get<std::string>());
  }
  if (required && out.empty()) return field_error(field, "must list at least one test id");
  return Status::ok();
}

}  // namespace

Result<PatchProblem> parse_patch_problem(const nlohmann::json& tests) {
  if (!tests.is_object()) return field_error("tests", "must be an object");
  static const std::set<std::string> kKnown = {"repo", "base_commit", "setup_command", "test_patch", "test_command",
                                               "report", "time_limit_ms", "FAIL_TO_PASS", "PASS_TO_PASS"};
  for (const auto& [key, value] : tests.items()) {
    if (!kKnown.count(key)) {
      return field_error("tests." + key, "unknown field (known: repo, base_commit, setup_command, test_patch, "
                                         "test_command, report, time_limit_ms, FAIL_TO_PASS, PASS_TO_PASS)");
    }
  }
  PatchProblem problem;
  R1B_RETURN_IF_ERROR(read_string(tests, "repo", true, problem.repo));
  R1B_RETURN_IF_ERROR(read_string(tests, "base_commit", false, problem.base_commit));
  R1B_RETURN_IF_ERROR(read_string(tests, "setup_command", false, problem.setup_command));
  R1B_RETURN_IF_ERROR(read_string(tests, "test_patch", false, problem.test_patch));
  R1B_RETURN_IF_ERROR(read_string(tests, "test_command", true, problem.test_command));
  std::string report = "pytest";
  R1B_RETURN_IF_ERROR(read_string(tests, "report", false, report));
  auto spec = parse_report_spec(report);
  if (!spec.is_ok()) return field_error("report", spec.status().message());
  problem.report = *spec;
  if (auto it = tests.find("time_limit_ms"); it != tests.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() <= 0) {
      return field_error("time_limit_ms", "must be a positive integer (milliseconds)");
    }
    problem.time_limit_ms = it->get<int64_t>();
  }
  R1B_RETURN_IF_ERROR(read_ids(tests, "FAIL_TO_PASS", true, problem.fail_to_pass));
  R1B_RETURN_IF_ERROR(read_ids(tests, "PASS_TO_PASS", false, problem.pass_to_pass));
  return problem;
}

fs::path resolve_repo_path(const PatchProblem& problem, const fs::path& pack_file) {
  fs::path repo(problem.repo);
  return repo.is_absolute() ? repo : pack_file.parent_path() / repo;
}

// ---- processes ---------------------------------------------------------------------------------

namespace {

struct ProcessOutput {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `program` (looked up on PATH) with `args` in `cwd`, stdin empty, output into `output_file`.
// Waits by polling (no signals, no timers); kills it after `timeout_ms`. Git gets a fixed
// environment (no system/global config, English messages, no prompts) through `env`, which execs
// the program in place: Boost 1.74's environment editing reads past the end of shorter entries.
Result<ProcessOutput> run_process(const std::string& program, const std::vector<std::string>& args, const fs::path& cwd,
                                  const fs::path& output_file, int64_t timeout_ms) {
  boost::filesystem::path exe = bp::search_path(program);
  if (exe.empty()) return Status::not_found(program + " not found on PATH: install it (Debian package " + program + ")");
  boost::filesystem::path env_exe = bp::search_path("env");
  if (env_exe.empty()) return Status::not_found("env not found on PATH: install it (Debian package coreutils)");
  std::vector<std::string> argv = {"LC_ALL=C", "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
                                   "GIT_TERMINAL_PROMPT=0", exe.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::error_code ec;
  fs::remove(output_file, ec);  // Boost.Process opens redirect files without O_TRUNC
  bp::child child(env_exe, bp::args(argv), bp::start_dir(cwd.string()), bp::std_in < bp::null,
                  (bp::std_out & bp::std_err) > output_file.string(), ec);
  if (ec) return Status::internal("cannot start " + program + ": " + ec.message());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto pause = std::chrono::milliseconds(1);
  while (child.running(ec)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      child.terminate(ec);
      return Status::internal(program + " " + (args.empty() ? "" : args.front()) + " did not finish within " +
                              std::to_string(timeout_ms) + " ms in " + cwd.string());
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
  if (ec) return Status::internal("waiting for " + program + " failed: " + ec.message());
  return ProcessOutput{child.exit_code(), read_file(output_file)};
}

bool is_archive(const fs::path& path) {
  std::string name = path.filename().string();
  for (std::string_view suffix : {".tar", ".tar.gz", ".tgz"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) return true;
  }
  return false;
}

}  // namespace

// ---- PatchWorkspace ----------------------------------------------------------------------------

PatchWorkspace::PatchWorkspace(fs::path root, const WorkspaceOptions& options)
    : root_(std::move(root)), repo_dir_(root_ / "repo"), git_timeout_ms_(options.git_timeout_ms), keep_(options.keep) {}

PatchWorkspace::~PatchWorkspace() {
  if (keep_) return;
  std::error_code ec;
  fs::remove_all(root_, ec);  // best effort: nothing to report to from a destructor
}

Result<std::unique_ptr<PatchWorkspace>> PatchWorkspace::create(const fs::path& repo, std::string_view base_commit,
                                                               const WorkspaceOptions& options) {
  std::error_code ec;
  if (!fs::exists(repo, ec)) return Status::not_found("patch repo " + repo.string() + " does not exist");
  fs::path parent = options.parent_dir.empty() ? fs::temp_directory_path(ec) : options.parent_dir;
  std::string tmpl = (parent / "r1b-patch-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return Status::io_error("cannot create a workspace folder under " + parent.string() + ": " + std::strerror(errno));
  }
  // mkdtemp makes it 0700; others may pass through (not list) so that a sandbox running the tests
  // under another uid can reach repo/.
  fs::permissions(tmpl, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec, ec);
  std::unique_ptr<PatchWorkspace> workspace(new PatchWorkspace(tmpl, options));
  R1B_RETURN_IF_ERROR(workspace->copy_repo(repo));
  R1B_RETURN_IF_ERROR(workspace->prepare_git(base_commit));
  return workspace;
}

Status PatchWorkspace::copy_repo(const fs::path& repo) {
  std::error_code ec;
  if (fs::is_directory(repo, ec)) {
    fs::copy(repo, repo_dir_, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
    if (ec) return Status::io_error("cannot copy patch repo " + repo.string() + ": " + ec.message());
    return Status::ok();
  }
  if (!is_archive(repo)) return Status::invalid_input("patch repo " + repo.string() + " is neither a folder nor a .tar / .tar.gz / .tgz");
  fs::path unpacked = root_ / "unpacked";
  fs::create_directory(unpacked, ec);
  auto tar = run_process("tar", {"-xf", fs::absolute(repo).string(), "--no-same-owner", "-C", unpacked.string()}, root_,
                         root_ / "tar.out", git_timeout_ms_);
  R1B_RETURN_IF_ERROR(tar);
  if (tar->exit_code != 0) return Status::internal("tar could not unpack " + repo.string() + ": " + tar->output);
  // An archive of one top folder ("project-1.0/...") is rooted in that folder.
  std::vector<fs::directory_entry> entries;
  for (const auto& entry : fs::directory_iterator(unpacked, ec)) entries.push_back(entry);
  const fs::path top = entries.size() == 1 && entries[0].is_directory() ? entries[0].path() : unpacked;
  fs::rename(top, repo_dir_, ec);
  if (ec) return Status::io_error("cannot move the unpacked repo into " + repo_dir_.string() + ": " + ec.message());
  return Status::ok();
}

namespace {

Status git_ok(const Result<ProcessOutput>& run, const std::string& what) {
  R1B_RETURN_IF_ERROR(run);
  if (run->exit_code != 0) return Status::internal(what + " failed: " + run->output);
  return Status::ok();
}

}  // namespace

Status PatchWorkspace::prepare_git(std::string_view base_commit) {
  const fs::path out = root_ / "git.out";
  std::error_code ec;
  if (fs::exists(fs::symlink_status(repo_dir_ / ".git", ec)) && !fs::is_directory(fs::symlink_status(repo_dir_ / ".git", ec))) {
    return Status::invalid_input("patch repo has a .git file or link (a worktree or submodule): give a plain folder or a full clone");
  }
  if (fs::is_directory(repo_dir_ / ".git", ec)) {
    if (base_commit.empty()) return Status::ok();
    std::string commit(base_commit);
    R1B_RETURN_IF_ERROR(git_ok(run_process("git", {"checkout", "-q", "--force", commit}, repo_dir_, out, git_timeout_ms_),
                               "git checkout " + commit));
    return git_ok(run_process("git", {"clean", "-q", "-fdx"}, repo_dir_, out, git_timeout_ms_), "git clean");
  }
  R1B_RETURN_IF_ERROR(git_ok(run_process("git", {"init", "-q"}, repo_dir_, out, git_timeout_ms_), "git init"));
  R1B_RETURN_IF_ERROR(git_ok(run_process("git", {"add", "-A", "-f", "."}, repo_dir_, out, git_timeout_ms_), "git add"));
  return git_ok(run_process("git",
                            {"-c", "user.name=r1bench", "-c", "user.email=r1bench@localhost", "-c", "commit.gpgsign=false",
                             "commit", "-q", "--allow-empty", "--no-verify", "-m", "r1bench base"},
                            repo_dir_, out, git_timeout_ms_),
                "git commit");
}

Result<fs::path> PatchWorkspace::write_patch(std::string_view diff, const std::string& file_name) {
  fs::path patch_file = root_ / file_name;  // outside repo_dir_: never part of the tree
  std::ofstream file(patch_file, std::ios::binary | std::ios::trunc);
  file.write(diff.data(), static_cast<std::streamsize>(diff.size()));
  if (!file) return Status::io_error("cannot write " + patch_file.string());
  return patch_file;
}

Result<ApplyOutcome> PatchWorkspace::apply(const fs::path& patch_file) {
  const fs::path out = root_ / "git.out";
  for (bool check : {true, false}) {
    std::vector<std::string> args = {"apply", "--whitespace=nowarn"};
    if (check) args.push_back("--check");
    args.push_back(patch_file.string());
    auto run = run_process("git", args, repo_dir_, out, git_timeout_ms_);
    R1B_RETURN_IF_ERROR(run);
    if (run->exit_code != 0) {
      std::string message = run->output;
      while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) message.pop_back();
      return ApplyOutcome{false, message.empty() ? "git apply exited with " + std::to_string(run->exit_code) : message};
    }
  }
  return ApplyOutcome{true, ""};
}

Result<ApplyOutcome> PatchWorkspace::apply_model_diff(std::string_view diff) {
  auto patch_file = write_patch(diff, "model.diff");
  R1B_RETURN_IF_ERROR(patch_file);
  return apply(*patch_file);
}

Status PatchWorkspace::restore_paths_of(const fs::path& patch_file) {
  const fs::path out = root_ / "git.out";
  auto numstat = run_process("git", {"apply", "--numstat", "-z", patch_file.string()}, repo_dir_, out, git_timeout_ms_);
  R1B_RETURN_IF_ERROR(git_ok(numstat, "git apply --numstat of the test patch"));
  // -z records: "added\tdeleted\tpath\0", or for a rename "added\tdeleted\t\0old\0new\0".
  std::vector<std::string> paths;
  std::string_view rest = numstat->output;
  while (!rest.empty()) {
    size_t end = rest.find('\0');
    std::string_view record = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    size_t tab = record.rfind('\t');
    if (tab == std::string_view::npos) {
      paths.emplace_back(record);  // the old or new name of a rename
    } else if (tab + 1 < record.size()) {
      paths.emplace_back(record.substr(tab + 1));
    }
  }
  if (paths.empty()) return Status::ok();
  std::vector<std::string> ls_args = {"ls-tree", "-r", "-z", "--name-only", "HEAD", "--"};
  ls_args.insert(ls_args.end(), paths.begin(), paths.end());
  auto tracked_run = run_process("git", ls_args, repo_dir_, out, git_timeout_ms_);
  R1B_RETURN_IF_ERROR(git_ok(tracked_run, "git ls-tree"));
  std::set<std::string> tracked;
  std::istringstream names(tracked_run->output);
  for (std::string name; std::getline(names, name, '\0');) tracked.insert(name);
  std::vector<std::string> checkout_args = {"checkout", "-q", "HEAD", "--"};
  for (const std::string& path : paths) {
    if (tracked.count(path)) {
      checkout_args.push_back(path);
    } else {
      std::error_code ec;
      fs::remove(repo_dir_ / path, ec);  // new in the test patch: a copy the model made goes
    }
  }
  if (checkout_args.size() == 4) return Status::ok();
  return git_ok(run_process("git", checkout_args, repo_dir_, out, git_timeout_ms_), "git checkout of the test files");
}

Status PatchWorkspace::apply_test_patch(std::string_view test_patch) {
  if (test_patch.empty()) return Status::ok();
  auto patch_file = write_patch(test_patch, "test.diff");
  R1B_RETURN_IF_ERROR(patch_file);
  R1B_RETURN_IF_ERROR(restore_paths_of(*patch_file));
  auto applied = apply(*patch_file);
  R1B_RETURN_IF_ERROR(applied);
  if (!applied->applied) return Status::invalid_input("the task's test_patch does not apply: " + applied->message);
  return Status::ok();
}

// ---- decide ------------------------------------------------------------------------------------

namespace {

// "" when every id passed; else "FAIL_TO_PASS a.py::t failed (2 of 3 not passing)".
std::string group_problem(const TestReport& report, std::span<const std::string> ids, std::string_view group) {
  size_t not_passing = 0;
  std::string first;
  for (const std::string& id : ids) {
    auto status = report.find(id);
    if (status == TestStatus::kPassed) continue;
    if (not_passing++ == 0) {
      first = id + " " + (status ? std::string(test_status_name(*status)) : std::string("missing from the test report"));
    }
  }
  if (not_passing == 0) return "";
  return std::string(group) + " " + first + " (" + std::to_string(not_passing) + " of " + std::to_string(ids.size()) +
         " not passing)";
}

}  // namespace

Decision decide(const TestReport& report, std::span<const std::string> fail_to_pass,
                std::span<const std::string> pass_to_pass) {
  std::string f2p = group_problem(report, fail_to_pass, "FAIL_TO_PASS");
  std::string p2p = group_problem(report, pass_to_pass, "PASS_TO_PASS");
  if (f2p.empty() && p2p.empty()) {
    return {true, "resolved: all " + std::to_string(fail_to_pass.size()) + " FAIL_TO_PASS and " +
                      std::to_string(pass_to_pass.size()) + " PASS_TO_PASS tests pass"};
  }
  std::string reason = f2p;
  if (!p2p.empty()) reason += (reason.empty() ? "" : "; ") + p2p;
  if (!report.note.empty()) reason += "; " + report.note;
  return {false, reason};
}

}  // namespace r1b::sandbox
