// Replay backend: grades saved generations instead of generating, so the outputs of vLLM,
// lighteval, SGLang or any other engine can be graded by r1bench.
//
// Config: {"type": "replay", "path": "gens.jsonl", "model": "name shown in reports"}.
// File: JSONL, one object per line:
//   {"task_id": "aime24-60", "pack": "aime24", "completions": ["...", "..."],
//    "completion_tokens": [812, 640], "prompt_tokens": 97}
// "pack" is optional (needed only when two packs share a task id); "completion": "..." (one
// string) may stand for "completions"; several lines for one task append in order; token counts
// are optional. Sample i of a task is the i-th completion; asking for a sample the file does not
// have is an error naming the task. Load errors name file:line and the field.
// Thread-safe: the file is read once at construction; generate() only reads.
#pragma once

#include "harness/backend.h"

namespace r1b::harness {

Result<std::unique_ptr<Backend>> make_replay_backend(const nlohmann::json& config, const std::string& where);

}  // namespace r1b::harness
