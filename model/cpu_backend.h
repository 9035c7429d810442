// CpuBackend: the fp32 reference implementation of backend.h — the spec other backends are
// tested against (STYLE rule 8).
//
// Plain loops, double accumulators for every reduction (dot products, norms, softmax sums), no
// intrinsics; rows are spread over a ThreadPool. Each output element is computed by one thread in a
// fixed order, so results are bit-identical for any thread count and any batch composition (a row's
// value never depends on the other rows of the step). Supports every op on F32 (I32 for ids);
// tensors live in host memory.
//
// Thread-safety: one op at a time (see backend.h).
#pragma once

#include <barrier>
#include <memory>
#include <span>
#include <vector>

#include "model/backend.h"

namespace r1b::model {

class ThreadPool;

// The group of `world` CpuBackends that tensor parallelism runs on CPU threads (one thread per
// rank; model/tensor_parallel.h): all_reduce_sum() meets every rank at a barrier, and each rank sums
// all ranks' buffers in rank order (double accumulators), so every rank gets bit-identical sums.
// Shared by the group's backends (shared_ptr); thread-safe for one call per rank at a time.
class CpuGroup {
 public:
  explicit CpuGroup(int world);
  CpuGroup(const CpuGroup&) = delete;
  CpuGroup& operator=(const CpuGroup&) = delete;

  int world() const { return static_cast<int>(buffers_.size()); }
  // Rank `rank`'s part of the collective: returns once `values` holds the sum over all ranks.
  // Every rank must pass the same number of values (checked).
  void all_reduce_sum(int rank, std::span<float> values);

 private:
  std::barrier<> barrier_;
  std::vector<std::span<float>> buffers_;  // per rank: written by that rank before the first barrier
};

class CpuBackend final : public Backend {
 public:
  // num_threads == 0: one per hardware thread. With a group, this backend is rank `rank` of it
  // (0 ≤ rank < group->world()); without, it is alone (rank 0 of 1).
  explicit CpuBackend(int num_threads = 0, std::shared_ptr<CpuGroup> group = nullptr, int rank = 0);
  ~CpuBackend() override;

  std::string name() const override { return "cpu"; }
  int rank() const override { return rank_; }
  int world() const override { return group_ ? group_->world() : 1; }
  void all_reduce_sum(Tensor& x) override;
  bool supports(const OpQuery& query) const override;
  Tensor alloc(std::vector<int64_t> shape, DType dtype) override;
  void upload(std::span<const float> values, Tensor& dst) override;
  std::vector<float> download(const Tensor& src) override;

  void embedding(const Tensor& table, std::span<const int32_t> token_ids, Tensor& out) override;
  void matmul(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& out) override;
  void head_matmul(const Tensor& x, const Tensor& weight, Tensor& out) override;
  void rmsnorm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) override;
  void add_rmsnorm(Tensor& x, const Tensor& delta, const Tensor& weight, float eps, Tensor& out) override;
  void rope(Tensor& x, std::span<const int32_t> positions, const RopeTable& table, int64_t rot_offset) override;
  void add(const Tensor& a, const Tensor& b, Tensor& out) override;
  void swiglu(const Tensor& gate_up, Tensor& out) override;
  void copy_columns(const Tensor& src, int64_t src_col, Tensor& dst, int64_t dst_col, int64_t width) override;
  void write_kv(const Tensor& rows, std::span<const int32_t> slots, Tensor& cache) override;
  void rope_write_qkv(const Tensor& qkv, const Tensor& bias, std::span<const int32_t> positions, const RopeTable& table,
                      std::span<const int32_t> slots, Tensor& q_out, Tensor& k_cache, Tensor& v_cache) override;
  void copy_kv_rows(Tensor& cache, int64_t src_slot, int64_t dst_slot, int64_t count) override;
  void attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache, std::span<const AttentionSeq> seqs,
                 const AttentionParams& params, Tensor& out) override;
  void moe_route(const Tensor& router_logits, const Tensor& correction_bias, const RouterParams& params,
                 Tensor& expert_ids, Tensor& expert_weights) override;
  void moe_experts(const Tensor& x, const Tensor& expert_ids, const Tensor& expert_weights,
                   const ExpertWeights& experts, Tensor& out) override;

 private:
  std::unique_ptr<ThreadPool> pool_;
  std::shared_ptr<CpuGroup> group_;  // null when alone
  int rank_ = 0;
};

}  // namespace r1b::model
