// Sequence: the state of one sample being generated (STYLE rule 5), and its generation limits.
//
// Owned by the Engine for the duration of one generate() call; the Scheduler and ModelRunner
// borrow it. Not thread-safe (the engine loop is single-threaded).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/incremental_text.h"
#include "model/sampler.h"

namespace r1b::model {

enum class FinishReason { kNone, kStopToken, kStopString, kLength };

// "none", "stop_token", "stop_string", "length".
std::string_view finish_reason_name(FinishReason reason);

struct GenerationParams {
  SamplingParams sampling;
  int64_t max_tokens = 16;                 // generated tokens at most
  std::vector<int32_t> stop_token_ids;     // the stop token is kept in the output
  std::vector<std::string> stop_strings;   // checked on the detokenized completion
};

// How far the stop-string check of Engine::append_token has got (see its contract in engine.h):
// the text of the generated tokens `text` has settled holds no stop string; `tail` is its last
// (longest stop string − 1) bytes.
struct StopStringScan {
  IncrementalText text;
  std::string tail;
};

struct Sequence {
  int64_t id = 0;
  int64_t request_index = 0;
  int64_t sample_index = 0;
  const GenerationParams* params = nullptr;  // borrowed from the request
  std::vector<int32_t> tokens;               // prompt, then generated tokens
  int64_t num_prompt_tokens = 0;
  int64_t num_cached = 0;                    // leading tokens whose keys/values are in the cache
  std::vector<int32_t> block_table;          // KV blocks, in position order
  SampleRng rng{0};
  FinishReason finish_reason = FinishReason::kNone;
  StopStringScan stop_scan;                  // only when params->stop_strings is not empty

  int64_t num_generated() const { return static_cast<int64_t>(tokens.size()) - num_prompt_tokens; }
  bool finished() const { return finish_reason != FinishReason::kNone; }
};

}  // namespace r1b::model
