// Engine: batched generation with the in-tree model — the entry point the harness's in-tree
// backend and the GRPO rollouts call.
//
// generate() takes several requests (a prompt, n samples, sampling parameters and limits) and runs
// them together: the Scheduler plans steps (continuous batching: decodes and prefill chunks share
// a step; sequences are preempted and recomputed when the KV cache runs out), the ModelRunner
// executes them, the engine appends tokens and checks stop conditions. The n samples of a request
// share one prefill and its KV blocks; full blocks computed earlier (in this or an earlier
// generate() call on the same engine) are reused when a later prompt starts with the same tokens
// (see block_allocator.h). Sample i of a request is seeded with sample_seed(params.sampling.seed,
// first_sample_index + i), so a run is reproducible: the same request gives the same tokens
// whatever else is batched with it, however the prefill is chunked and whether it is preempted,
// and a request for one sample with first_sample_index = i gives sample i's tokens.
//
// Stop conditions, checked after each token in this order: a token in stop_token_ids
// (kStopToken; the token is kept), a stop string inside detokenize(generated tokens) (kStopString;
// needs EngineOptions::detokenize, which keeps model/ independent of the tokenizer), max_tokens
// (kLength).
//
// Errors: InvalidInput for an empty prompt, a token id outside the vocabulary, n < 1, max_tokens < 1,
// stop strings without a detokenize callback, or a sequence whose prompt + max_tokens − 1 tokens
// (the last sampled token is never cached) exceed the whole KV cache (num_kv_blocks × block_size
// slots), each naming the request index; InvalidInput too for scheduler options below 1. A cache
// too small for everything at once is not an error: the scheduler preempts and recomputes
// sequences (see scheduler.h), which changes no token. No partial results on error.
//
// Ownership: borrows the model and backend (must outlive the engine). Thread-safety: one
// generate() at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "model/block_allocator.h"
#include "model/causal_lm.h"
#include "model/model_runner.h"
#include "model/scheduler.h"
#include "model/sequence.h"

namespace r1b::model {

struct GenerationRequest {
  std::vector<int32_t> prompt;
  int64_t num_samples = 1;
  int64_t first_sample_index = 0;  // samples are numbered from here (sample i alone reproduces it)
  GenerationParams params;
};

struct SampleOutput {
  std::vector<int32_t> tokens;  // generated tokens only
  FinishReason finish_reason = FinishReason::kNone;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

struct EngineOptions {
  int64_t num_kv_blocks = 512;
  int64_t block_size = 16;
  SchedulerOptions scheduler;
  // Text of generated tokens, for stop strings (may be empty when no request uses them). The
  // engine decodes only the tokens since the text last ended in a whole character, so it relies
  // on detokenize(a ++ b) == detokenize(a) + detokenize(b) whenever detokenize(a) is empty or does
  // not end in U+FFFD. Tokenizer::decode has this property (see model/incremental_text.h).
  Detokenize detokenize;
  // Called with (request index, sample index within the request, token) after each generated
  // token is appended, stop tokens included, on the thread running generate() (for streaming).
  // May be empty.
  std::function<void(int64_t, int64_t, int32_t)> on_token;
};

// Counters of the engine's lifetime, for throughput reporting. A step "with prefill" holds at
// least one prefill chunk (and maybe decode rows); a pure decode step holds only decode rows.
// Seconds are wall time around ModelRunner::run, which returns host tokens, so the step is done.
struct EngineStats {
  int64_t prefill_steps = 0;      // steps with prefill (mixed steps included)
  int64_t decode_steps = 0;       // pure decode steps
  int64_t mixed_steps = 0;        // steps with both prefill chunks and decode rows
  int64_t prefill_tokens = 0;     // tokens of prefill chunks, recomputation after preemption included
  int64_t recomputed_tokens = 0;  // of those, tokens recomputed for preempted sequences
  int64_t decode_tokens = 0;      // tokens of decode rows, in any step
  double prefill_seconds = 0.0;   // of steps with prefill
  double decode_seconds = 0.0;    // of pure decode steps
  int64_t preemptions = 0;        // sequences preempted (their KV released, recomputed later)
  ForwardCost cost;               // summed over steps (CostOptions defaults)
};

// Requests that keep arriving while the engine runs (Engine::run): generate() as a stream, so a
// request that arrives mid-run joins the running batch at the next step instead of waiting for it
// to drain, and a request's samples are handed back as soon as its last one finishes.
//   take():  called before every step; the requests that arrived since the last call (empty when
//            none). They are numbered on from the earlier ones: the request index of
//            EngineOptions::on_token and of finished().
//   finished(index, outputs): called once per request, on run()'s thread: outputs[i] is sample i;
//            or the error that stopped the request: InvalidInput from the checks generate()
//            documents (that request only; the others run on), or the scheduler's failure, which
//            ends run() and goes to every request not finished yet.
struct RequestStream {
  std::function<std::vector<GenerationRequest>()> take;
  std::function<void(int64_t, Result<std::vector<SampleOutput>>)> finished;
};

class Engine {
 public:
  Engine(CausalLm& model, Backend& backend, EngineOptions options);

  // result[r][i]: sample i of requests[r]. Every request is checked before anything runs.
  Result<std::vector<std::vector<SampleOutput>>> generate(std::span<const GenerationRequest> requests);
  // Runs the stream's requests until no sequence is left and take() gives none; returns the
  // scheduler's failure when one ended it.
  Status run(const RequestStream& stream);

  const BlockAllocator& allocator() const { return allocator_; }
  const EngineStats& stats() const { return stats_; }

 private:
  // The checks generate() documents; errors name request first_index + r.
  Status validate(std::span<const GenerationRequest> requests, int64_t first_index = 0) const;
  // Appends `token` to `seq` and sets its finish reason when a stop condition holds.
  void append_token(Sequence& seq, int32_t token) const;
  // True when, after its last token, detokenize(generated tokens of `seq`) contains one of its
  // non-empty stop strings; advances seq.stop_scan. Called after every generated token (the
  // stop-token case aside, which ends the sequence), so it answers the whole-text rule of
  // earlier versions at the same token, while decoding only the pending tokens
  // (model/incremental_text.h) and searching only stop_scan.tail + their text P.
  //
  // Why that is exact: the settled tokens' text C holds no stop string, because at the call that
  // settled them they were all the generated tokens and the sequence did not end. The whole text is
  // C + P (incremental_text.h), so an occurrence in it ends inside P and starts at most
  // (length − 1) bytes before P: it lies in tail + P, and every occurrence in tail + P is one in
  // C + P.
  //
  // Cost per token: one decode of the pending tokens and a search of longest stop string − 1 +
  // their bytes, instead of a decode of the whole completion.
  bool reached_stop_string(Sequence& seq) const;

  CausalLm& model_;
  EngineOptions options_;
  BlockAllocator allocator_;
  ModelRunner runner_;
  EngineStats stats_;
};

}  // namespace r1b::model
