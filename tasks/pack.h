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
//   auto    — chosen from the file: .csv is gpqa; JSONL is native when the first record has "kind",
//             math500 when it has "unique_id", aime when it has "problem" and "answer"
// Every failure is one InvalidInput/NotFound (IOError if the OS refuses a read) Status naming
// file:line and the field.
// Blank lines are skipped. Duplicate ids are an error. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "tasks/task.h"

namespace r1b::tasks {

enum class PackFormat { kAuto, kNative, kMath500, kAime, kGpqa };

std::string_view format_name(PackFormat format);
std::optional<PackFormat> parse_format(std::string_view name);

struct PackSpec {
  std::string name;                    // unique within a suite; defaults to the file stem
  std::string path;
  PackFormat format = PackFormat::kAuto;
  uint64_t shuffle_seed = 0;           // gpqa: seed of the choice permutation
  std::string source;                  // overrides meta.source for loaded tasks when non-empty
  std::optional<int> year;             // sets meta.year when the file does not say
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
