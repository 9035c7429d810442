// Competitive-programming loaders: the public Codeforces and CodeContests JSON (private to
// tasks/; the public contract is pack.h).
//
//   codeforces     a JSON array (or JSONL) of {problem, tests: [{input, output}, ...]}
//   code_contests  a JSON array (or JSONL) of {problem, tests: {inputs: [...], outputs: [...]}}
// Each record becomes a code task:
//   id        "<pack name>-<N>", N the record's 0-based position in the file (stable while the
//             file is unchanged; the files carry no ids of their own)
//   prompt    the statement as published (its format sections, limits and tags included)
//   tests     {"language": "cpp", "time_limit_ms", "memory_limit_mb", "checker": {"type": "tokens"},
//              "cases": [{"input", "output"}, ...]} (sandbox/README.md)
//             limits come from the statement's "Time Limit: 1000 ms" / "Memory Limit: 256 MB"
//             lines, or CodeContests' "Time Limit: {'seconds': 2, 'nanos': 500000000}" /
//             "Memory Limit: 256000000 Bytes" (decimal megabytes, rounded up); else 2000 ms / 256 MB
//   meta      source "Codeforces" or "CodeContests"; subject = the "Tags: ['dp', 'greedy']" list
//             of the statement joined with ", " when there is one
// Errors name the field ('field "tests": ...', 'field "tests.outputs": ...'); the caller adds the
// place. Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "tasks/loaders/json_records.h"
#include "tasks/pack.h"
#include "tasks/task.h"

namespace r1b::tasks {

inline constexpr int kDefaultTimeLimitMs = 2000;
inline constexpr int kDefaultMemoryLimitMb = 256;

// Every record of `records` as a code task. `format` is kCodeforces or kCodeContests.
Result<std::vector<Task>> competitive_tasks(const SourceRecords& records, const std::string& pack_name,
                                            PackFormat format);

}  // namespace r1b::tasks
