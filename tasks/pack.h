// Pack: a named list of tasks, and load_pack(), which reads every supported file format.
//
// Formats (PackFormat):
//   native  — r1bench JSONL, one Task per line (tasks/task.h)
//   math500 — MATH-500 JSONL as published: problem, solution, answer, subject, level, unique_id
//   aime    — AIME/AMC-style JSONL: problem, answer (plus optional id, url, solution, question);
//             "025", 27.0 and 27 all mean the integer 27
//   gpqa    — GPQA CSV: Question, Correct Answer, Incorrect Answer 1-3 (required), Record ID (the
//             id, else the row number), Subdomain / High-level domain (meta.subject), Explanation
//             (meta.extra); the four choices are shuffled by a permutation seeded from
//             (shuffle_seed, id), stored in task.meta.extra["permutation"] (tasks/loaders/gpqa.cpp)
//   codeforces    — the public Codeforces JSON: an array of {problem, tests: [{input, output}]}
//   code_contests — the public CodeContests JSON: an array of {problem, tests: {inputs, outputs}}
//                   (both: code tasks, id "<pack name>-<N>" with N the 0-based record position,
//                   limits from the statement; tasks/loaders/competitive.h)
//   swebench      — SWE-bench instances (JSON array or JSONL) -> patch tasks; needs repos_dir
//                   (tasks.repo = <repos_dir>/<owner>__<name>; tasks/loaders/swebench.h)
//   auto    — chosen from the file: .csv is gpqa; otherwise, from the first record of the JSON
//             array or JSONL file: native when it has "kind", swebench when it has "instance_id",
//             math500 when it has "unique_id", codeforces when it has "problem" and a "tests"
//             array, code_contests when it has "problem" and a "tests" object, aime when it has
//             "problem" (or "question") and "answer"
// Native, math500 and aime files are JSONL; the other JSON formats may be one JSON array or JSONL.
// Native patch tasks: a relative tests.repo is resolved against the pack file's folder, so every
// loaded task carries an absolute path.
// Every failure is one InvalidInput/NotFound (IOError if the OS refuses a read) Status naming
// file:line (file: record N for a JSON array) and the field.
// Blank lines are skipped. Duplicate ids are an error. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "tasks/task.h"

namespace r1b::tasks {

enum class PackFormat { kAuto, kNative, kMath500, kAime, kGpqa, kCodeforces, kCodeContests, kSwebench };

std::string_view format_name(PackFormat format);
std::optional<PackFormat> parse_format(std::string_view name);

struct PackSpec {
  std::string name;                    // unique within a suite; defaults to the file stem
  std::string path;
  PackFormat format = PackFormat::kAuto;
  uint64_t shuffle_seed = 0;           // gpqa: seed of the choice permutation
  std::string source;                  // overrides meta.source for loaded tasks when non-empty
  std::optional<int> year;             // sets meta.year when the file does not say
  std::string repos_dir;               // swebench: folder with one clone per repository, named
                                       // owner__name (e.g. django__django); required for swebench
};

struct Pack {
  std::string name;
  std::string path;
  PackFormat format = PackFormat::kNative;  // the format actually read (never kAuto)
  std::vector<Task> tasks;
};

Result<Pack> load_pack(const PackSpec& spec);

// Writes a pack as native JSONL (used by `r1bench pack convert` and tests).
Status write_native_pack(const Pack& pack, const std::string& path);

}  // namespace r1b::tasks
