// The per-format loaders behind load_pack() (private to tasks/; the public contract is pack.h).
//
// The JSONL formats are converters from one record (tasks/loaders/jsonl_reader.h) to one Task;
// their errors name the field, and the caller adds FILE:LINE. GPQA reads its own CSV file.
// Fields of the published formats that a loader does not use are ignored, so a source that
// gains a column still loads. Pure functions; thread-safe.
#pragma once

#include <vector>

#include "base/status.h"
#include "tasks/loaders/jsonl_reader.h"
#include "tasks/pack.h"
#include "tasks/task.h"

namespace r1b::tasks {

// Native r1bench JSONL: task_from_json() of the record.
Result<Task> native_task(const JsonlRecord& record);

// MATH-500 as published: problem, answer, unique_id (required strings); subject; level (an int
// or "Level 3"; "Level ?", as in the full MATH set, leaves the level unset); solution, kept in
// meta.extra["solution"]. id = unique_id, kind math, answer_format expression, source "MATH-500".
Result<Task> math500_task(const JsonlRecord& record);

// AIME/AMC-style JSONL: problem (or question) and answer, required; id (int or string, else the
// line number); url and solution, kept in meta.extra. The answer ("025", 27, 27.0, "27.0", -3)
// becomes the canonical integer string ("25", "27", "-3"); anything else is an error.
// meta.source and meta.year come from a url like ".../2024_AIME_I..." or ".../2023_AMC_12A...";
// without one the source is "AIME" (set PackSpec::source for other contests).
Result<Task> aime_task(const JsonlRecord& record);

// GPQA CSV (see gpqa.cpp for the parser and the documented choice shuffle).
Result<std::vector<Task>> load_gpqa(const PackSpec& spec);

}  // namespace r1b::tasks
