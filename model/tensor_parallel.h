// TensorParallelLm: one model split over `world` backends (one per GPU of a host, or CpuBackends
// of one CpuGroup), run as one CausalLm (the engine's view stays single-device).
//
// load() gives every rank its own thread for good: the rank's backend is made there (a CUDA backend
// binds that thread to its device), loads its shard of the checkpoint (load_causal_lm() reads the
// backend's rank and world; the architectures say how they split: heads, ffn slices, experts), and
// later runs every op of that rank. forward() runs the step on all ranks at once, in lockstep through
// their all_reduce_sum() calls, and returns rank 0's logits (every rank computes the same ones).
//
// The engine talks to backend(): a Backend that is rank 0's for everything (alloc, download,
// sampling, ops), except that
//   - alloc() also allocates a tensor of the same shape on every other rank and ties it to the
//     returned one (freed with it): the KV cache the engine allocates on backend() therefore has
//     a mirror on every rank (the ranks' KV layouts have equal widths: every split is even), which
//     forward() and copy_kv_rows() find through the tensor;
//   - copy_kv_rows(), begin_decode_step() and end_decode_step() run on every rank.
// Errors: load() returns the first rank's error (a backend that cannot be made, the checkpoint's,
// an uneven split naming its config key).
//
// Ownership: the TensorParallelLm owns the ranks' threads, backends and models; backend() is valid
// while it lives. Thread-safety: like CausalLm (one step at a time); backend() like a Backend.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "base/status.h"
#include "model/backend.h"
#include "model/causal_lm.h"

namespace r1b::model {

// Makes rank `rank`'s backend; called on that rank's own thread, once per rank.
using RankBackendFactory = std::function<Result<std::unique_ptr<Backend>>(int rank)>;

// CpuBackends of one new CpuGroup of `world` ranks, `threads_per_rank` threads each (0: one per
// hardware thread).
RankBackendFactory cpu_rank_backends(int world, int threads_per_rank);

class TensorParallelLm final : public CausalLm {
 public:
  // Loads the checkpoint folder `dir` on `world` ≥ 1 ranks made by `make_backend`.
  static Result<std::unique_ptr<TensorParallelLm>> load(const std::filesystem::path& dir, int world,
                                                        const RankBackendFactory& make_backend);
  ~TensorParallelLm() override;
  TensorParallelLm(const TensorParallelLm&) = delete;
  TensorParallelLm& operator=(const TensorParallelLm&) = delete;

  int world() const;
  // The backend to run this model with (ModelRunner, Engine, prompt_logits); see the header comment.
  Backend& backend();

  const ModelInfo& info() const override;
  KvLayout kv_layout() const override;
  // `cache` must have been allocated on backend().
  Tensor forward(const ForwardBatch& batch, KvCache& cache) override;
  ForwardCost cost(std::span<const SeqWork> batch, const CostOptions& options) const override;

 private:
  class Ranks;
  class FrontBackend;
  TensorParallelLm();

  std::unique_ptr<Ranks> ranks_;
  std::unique_ptr<FrontBackend> front_;
};

}  // namespace r1b::model
