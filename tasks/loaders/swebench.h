// SWE-bench loader: the public instance JSON (private to tasks/; the public contract is pack.h).
//
// Input: a JSON array (or JSONL) of SWE-bench instances with the string fields instance_id, repo,
// base_commit, patch, test_patch, problem_statement (required) and FAIL_TO_PASS, PASS_TO_PASS
// (JSON lists stored as strings, as published; real JSON arrays are accepted too), plus the
// optional version, environment_setup_commit, created_at, hints_text.
// Each instance becomes a patch task (sandbox/README.md has the tests schema):
//   id              instance_id
//   prompt          "Repository: <repo>\n\n" + problem_statement
//   answer          the gold `patch`
//   tests.repo      <repos_dir>/<repo with '/' replaced by "__">, absolute (e.g.
//                   /data/repos/django__django): the user provides one clone per repository
//   tests           base_commit and test_patch copied; FAIL_TO_PASS / PASS_TO_PASS decoded;
//                   test_command "python -m pytest -rA" followed by every Python file test_patch
//                   creates or changes ("+++ b/<file>.py" lines, in order, once each; data files
//                   such as fixtures are left out); report "pytest"
//   meta            source "SWE-bench"; year from created_at; extra: repo, version,
//                   environment_setup_commit, created_at, hints_text (those present)
// The pytest command is a default: repositories with their own runner (django's runtests.py,
// sympy's bin/test) name tests in another syntax that a pytest report does not match.
// Without repos_dir the load fails with one error saying to pass it. Errors name the field;
// the caller adds the place. Pure function; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "tasks/loaders/json_records.h"
#include "tasks/task.h"

namespace r1b::tasks {

inline constexpr char kSwebenchTestCommand[] = "python -m pytest -rA";

// Every instance of `records` as a patch task; `repos_dir` must not be empty.
Result<std::vector<Task>> swebench_tasks(const SourceRecords& records, const std::string& repos_dir);

}  // namespace r1b::tasks
