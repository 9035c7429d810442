// ModelRunner: turns a StepPlan into backend calls and returns one token per sampling sequence
// (STYLE rule 5). Owns the paged KV cache on the backend.
//
// run(): performs the plan's block copies, builds the step's ForwardBatch (each scheduled
// sequence's new tokens, positions, KV slots from its block table, its last row as logits row),
// runs the model once (a step of one new token per sequence is bracketed as a decode step, which
// a backend may replay from a recording: Backend::begin_decode_step) and samples a token for every
// sampler of every row with that sequence's own parameters and generator (on the device when the
// backend samples there, else in parallel on the host's cores). Borrows the model and backend (they must outlive the runner). Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "base/status.h"
#include "model/causal_lm.h"
#include "model/scheduler.h"

namespace r1b::model {

struct SampledToken {
  Sequence* seq = nullptr;
  int32_t token = 0;
};

class ThreadPool;

class ModelRunner {
 public:
  ModelRunner(CausalLm& model, Backend& backend, int64_t num_blocks, int64_t block_size);
  ~ModelRunner();

  std::vector<SampledToken> run(const StepPlan& plan);
  KvCache& cache() { return cache_; }

 private:
  CausalLm& model_;
  Backend& backend_;
  KvCache cache_;
  std::unique_ptr<ThreadPool> sample_pool_;  // host sampling only: a step's samples in parallel
};

// Logits at every position of `tokens` ([T × vocab], row-major) from one prefill on a private
// cache — the transformers-style full forward used by golden tests and scoring. InvalidInput for
// an empty prompt or a token id outside the vocabulary.
Result<std::vector<float>> prompt_logits(CausalLm& model, Backend& backend, std::span<const int32_t> tokens);

}  // namespace r1b::model
