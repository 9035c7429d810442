// Suite: what a run evaluates and how — packs, sampling, seed, template and backend.
//
// Suite file (JSON); relative paths are resolved against the suite file's folder:
//   {"name": "demo",
//    "packs": [{"path": "../packs/demo/math.jsonl", "name": "demo-math", "format": "auto",
//               "shuffle_seed": 0, "last_number_fallback": true, "limit": 0}],
//    "n": 4, "temperature": 0.6, "top_p": 0.95, "max_tokens": 32768, "seed": 0,
//    "template": "r1",
//    "backend": {"type": "replay", "path": "gens.jsonl"}}
// Backend types: "replay" {path}; "openai" {base_url, model, endpoint: "completions"|"chat",
//   api_key_env (default OPENAI_API_KEY), concurrency, timeout_s, max_retries, request_n}.
// Unknown keys are errors (a typo must not silently change a run). Every error names the suite
// file and the key.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "base/status.h"
#include "harness/backend.h"
#include "tasks/pack.h"
#include "tasks/prompt.h"

namespace r1b::harness {

struct SuitePack {
  tasks::PackSpec spec;
  bool last_number_fallback = true;
  int limit = 0;                   // 0 = every task; else the first `limit` tasks
};

struct Suite {
  std::string name;
  std::vector<SuitePack> packs;
  int n = 1;                       // samples per task
  SamplingParams sampling;
  tasks::ChatFormat chat_format = tasks::ChatFormat::kR1;
  nlohmann::json backend;          // validated backend config (see make_backend)
};

// Parses a suite; `where` names its origin in errors and `base_dir` resolves relative paths.
Result<Suite> parse_suite(const nlohmann::json& json, const std::string& where, const std::string& base_dir);
Result<Suite> load_suite(const std::string& path);
// The resolved suite as JSON (absolute paths); parse_suite(suite_to_json(s)) == s.
nlohmann::json suite_to_json(const Suite& suite);

}  // namespace r1b::harness
