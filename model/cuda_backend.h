// CudaBackend: backend.h on one NVIDIA GPU (compiled only when R1B_HAVE_CUDA), through the plain
// C++ functions of kernels/dispatch.h — this file and cuda_backend.cpp include no CUDA header.
//
// Precision: weights live on the device in bf16, activations stay fp32 in this first step.
// upload() is how weights arrive (WeightLoader): a tensor of rank ≥ 2 is stored as
// options.weight_dtype (default BF16: `dst` is re-pointed at a bf16 buffer of the same shape),
// while rank 0 / 1 tensors (norm weights, biases, the router's correction bias) stay fp32 because
// rounding them buys nothing and can flip routing choices. Products accumulate in fp32; a GEMM
// takes its fp32 activations rounded to bf16, or split into two bf16 parts so that the error
// against the fp32 CPU spec is essentially the weights' bf16 rounding (GemmActivations below).
// alloc() leaves contents unwritten (no memset per activation). upload_activation() copies fp32 values
// as they are (activations prepared on the host, tests). download() reads F32, BF16 and I32
// tensors (ids as float values, exact below 2^24).
//
// supports(): every op of backend.h on F32 activations (I32 for ids); BF16 is accepted for the ops
// whose weight operand may be bf16 (embedding, matmul, head_matmul, moe_experts) and for the KV
// cache (write_kv, rope_write_qkv, copy_kv_rows, attention); F16, F8 and I64
// tensors are not supported (weights are converted to fp32 by the checkpoint reader before
// upload()). rmsnorm weights must be F32 (they are, being rank 1). moe_route takes at most
// kernels::kMaxRouterExperts (512) experts: a query shaped [T, E] with more is not supported.
//
// Per-step host data (ids, positions, slots, block tables) is copied up by each op without waiting:
// packed into a pinned host staging area (two halves used in turn) and copied asynchronously into
// a grow-only device scratch buffer; op temporaries (GEMM bf16 splits, expert activations) reuse a
// second grow-only buffer. Ops are queued on the backend's own stream, which orders those reuses;
// only download() waits for them (and a staging half waits, rarely, for the copies out of its
// previous use; growing the staging area waits once for the stream). Device memory of a Tensor is
// freed when its last handle goes, ordered after every op queued before (tensors may outlive the
// backend).
// Device failures (out of memory, a faulting kernel) abort with the failed call and file:line
// (kernels/dispatch.h).
//
// Thread-safety: one op at a time (see backend.h).
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "base/status.h"
#include "kernels/dispatch.h"
#include "model/backend.h"
#include "model/tensor_parallel.h"

namespace r1b::model {

// How a GEMM with bf16 weights takes its fp32 activations (kernels/dispatch.h gemm_xwt):
// kBf16 rounds them to bf16 once, as engines that keep bf16 activations do (the fast default; the
// logits then differ from the fp32 CPU spec by the rounding, see the golden tests' bounds), and
// lets prefill attention run on bf16 tensor cores (kernels/attention_tc.cu, attention_wgmma.cu);
// kSplit passes them as bf16 hi + lo parts (≈ fp32, twice the multiply work), which matches the CPU
// spec to ~1e-5 and is what exactness tests use.
enum class GemmActivations { kBf16, kSplit };

struct CudaBackendOptions {
  DType weight_dtype = DType::kBF16;  // how upload() stores rank ≥ 2 tensors: kBF16 or kF32
  GemmActivations gemm_activations = GemmActivations::kBf16;
  DType kv_cache_dtype = DType::kBF16;  // kBF16 (half the KV traffic) or kF32 (the CPU spec's cache)
  bool cuda_graphs = true;              // record decode steps as CUDA graphs and replay them
  int device = 0;                       // the CUDA device; create() makes it the calling thread's current
                                        // one, and every later call must come from such a thread
  kernels::Comm comm = nullptr;         // this rank's NCCL communicator in a tensor-parallel group (owned
                                        // by the backend from create() on); nullptr: alone
};

class CudaBackend final : public Backend {
 public:
  // A backend on the current CUDA device. Unavailable when no GPU (or no driver) is visible;
  // InvalidInput for a weight_dtype other than BF16 / F32.
  static Result<std::unique_ptr<CudaBackend>> create(CudaBackendOptions options = {});
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  // Whether a CUDA device is visible (never aborts).
  static bool device_available();
  // A tensor-parallel group on devices 0 .. world−1 (model/tensor_parallel.h): one NCCL communicator
  // per device, and a factory that makes rank r's backend with `options` on device r and rank r's
  // communicator. Unavailable when fewer than `world` GPUs are visible.
  static Result<RankBackendFactory> rank_backends(int world, CudaBackendOptions options);

  // Rank and world of options.comm (0 / 1 without one). all_reduce_sum() runs ncclAllReduce through
  // the communicator even in a world of 1; it is captured into decode-step graphs like any op.
  int rank() const override { return rank_; }
  int world() const override { return world_; }
  void all_reduce_sum(Tensor& x) override;

  std::string name() const override { return "cuda"; }
  bool supports(const OpQuery& query) const override;
  std::string device_name() const override;
  int64_t free_memory_bytes() const override;
  // Ten 1 GiB device-to-device copies after two warm-ups (fewer bytes when memory is short).
  double measure_copy_bandwidth() override;
  DType kv_cache_dtype() const override { return options_.kv_cache_dtype; }
  // BF16 for bf16 weights with activations rounded once (not split) and more rows than the
  // small-batch product takes (it reads fp32 x as it is).
  DType product_input_dtype(const Tensor& weight, int64_t rows) const override;
  // With options.cuda_graphs: the first step of a (rows, context bucket) shape runs eagerly and
  // measures its memory; the second is captured as a CUDA graph; later ones only re-stage their
  // index data on the host (ops queue nothing) and launch the graph. The context bucket (a power of
  // two ≥ 256 tokens) fixes attention's split plan and pads block tables, so one graph serves every
  // context up to it. A replayed step's op sequence must match the recorded one (checked).
  void begin_decode_step(int64_t rows, int64_t max_context) override;
  void end_decode_step() override;
  bool samples_on_device() const override { return true; }
  std::vector<int32_t> sample_tokens(const Tensor& logits, std::span<const SampleRequest> rows) override;
  Tensor alloc(std::vector<int64_t> shape, DType dtype) override;
  void upload(std::span<const float> values, Tensor& dst) override;
  std::vector<float> download(const Tensor& src) override;
  // Copies fp32 values into the F32 tensor `dst` unchanged (no weight conversion).
  void upload_activation(std::span<const float> values, Tensor& dst);

  void embedding(const Tensor& table, std::span<const int32_t> token_ids, Tensor& out) override;
  void matmul(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& out) override;
  void head_matmul(const Tensor& x, const Tensor& weight, Tensor& out) override;
  void rmsnorm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) override;
  void add_rmsnorm(Tensor& x, const Tensor& delta, const Tensor& weight, float eps, Tensor& out) override;
  void rope(Tensor& x, std::span<const int32_t> positions, const RopeTable& table, int64_t rot_offset) override;
  void add(const Tensor& a, const Tensor& b, Tensor& out) override;
  void swiglu(const Tensor& gate_up, Tensor& out) override;
  void swiglu_mlp(const Tensor& x, const Tensor& gate_up, const Tensor& gate_up_bias, const Tensor& down,
                  const Tensor& down_bias, Tensor& out) override;
  void copy_columns(const Tensor& src, int64_t src_col, Tensor& dst, int64_t dst_col, int64_t width) override;
  void write_kv(const Tensor& rows, std::span<const int32_t> slots, Tensor& cache) override;
  void rope_write_qkv(const Tensor& qkv, const Tensor& bias, std::span<const int32_t> positions, const RopeTable& table,
                      std::span<const int32_t> slots, Tensor& q_out, Tensor& k_cache, Tensor& v_cache) override;
  void split_mla_projection(const Tensor& proj, const Tensor& q_norm, const Tensor& kv_norm, float eps,
                            std::span<const int32_t> positions, const RopeTable& table, std::span<const int32_t> slots,
                            Tensor& cache, Tensor& q) override;
  void absorb_query(const Tensor& q, const Tensor& w_uk, std::span<const int32_t> positions, const RopeTable& table,
                    Tensor& q_latent) override;
  // One kernel for the latent rows and the query's rotation (kernels::rope_query_write_latent);
  // the W_UK product, reading the query's columns of proj in place, runs in that kernel's pass at
  // a decode step's few rows (kernels::query_absorption_fits) and before it otherwise.
  void absorb_mla_projection(const Tensor& proj, const Tensor& kv_norm, float eps, const Tensor& w_uk,
                             std::span<const int32_t> positions, const RopeTable& table,
                             std::span<const int32_t> slots, Tensor& cache, Tensor& q_latent) override;
  void copy_kv_rows(Tensor& cache, int64_t src_slot, int64_t dst_slot, int64_t count) override;
  void attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache, std::span<const AttentionSeq> seqs,
                 const AttentionParams& params, Tensor& out) override;
  // With bf16 W_UV and at most kernels::kGemvMaxRows tokens, the MLA kernel's merge applies W_UV
  // (kernels::attention_projects()); otherwise attention() and head_matmul().
  void mla_attention(const Tensor& q_latent, const Tensor& cache, std::span<const AttentionSeq> seqs,
                     const AttentionParams& params, const Tensor& w_uv, Tensor& out) override;
  void moe_route(const Tensor& router_logits, const Tensor& correction_bias, const RouterParams& params,
                 Tensor& expert_ids, Tensor& expert_weights) override;
  void moe_experts(const Tensor& x, const Tensor& expert_ids, const Tensor& expert_weights,
                   const ExpertWeights& experts, Tensor& out) override;

 private:
  CudaBackend(CudaBackendOptions options, kernels::Stream stream, kernels::BlasHandle blas);

  // Device copies of the host byte ranges `parts` for the op about to be queued (each at a
  // 256-byte aligned offset of index_scratch_), uploaded asynchronously in one copy. Valid for ops
  // queued before the next stage() call.
  template <size_t N>
  std::array<const std::byte*, N> stage(const std::array<std::span<const std::byte>, N>& parts);
  // stage(), kept for the rest of a decode step: inside one the staged bytes are copied on into a
  // step tensor, `holder` (which later stage() calls do not overwrite), and the pointers are
  // valid until the step ends; outside a step it is stage() and holder stays empty.
  template <size_t N>
  std::array<const std::byte*, N> stage_until_step_end(const std::array<std::span<const std::byte>, N>& parts,
                                                       Tensor& holder);
  // stage() for host data that a step's layers pass alike (positions, slots, the rope table):
  // inside a decode step the first call's stage_until_step_end() copy serves every later call with
  // the same spans (addresses and sizes), so a recorded step uploads them once rather than once per
  // layer (each upload is a copy in the graph that the next kernel waits for).
  template <size_t N>
  std::array<const std::byte*, N> stage_for_step(const std::array<std::span<const std::byte>, N>& parts);
  // `bytes` of the current pinned staging half not read by any copy still queued, switching halves
  // (or growing both) when the current one is full.
  std::byte* staging_area(int64_t bytes);

  bool split_x() const { return options_.gemm_activations == GemmActivations::kSplit; }
  // attention() of `shape` (attention_shape(params)); with `projection`, out [T, H, outs] as
  // kernels::attention() applies it.
  void queue_attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                       std::span<const AttentionSeq> seqs, const AttentionParams& params,
                       const kernels::AttentionShape& shape, const kernels::HeadProjection& projection, Tensor& out);
  // The kernels' shape of `params` (tensor cores allowed unless split_x()).
  kernels::AttentionShape attention_shape(const AttentionParams& params) const;
  // attention() of a decode step whose shape kernels::decode_attention() takes: rows that share
  // leading blocks attend that prefix as one group (kernels/attention_decode.cu). Block tables
  // are padded to `table_stride` blocks when > 0 (a recorded step).
  void decode_attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                        std::span<const AttentionSeq> seqs, const kernels::AttentionShape& shape, int64_t table_stride,
                        Tensor& out);
  // The plan of the last decode_attention() and its device copy (tables then the plan's arrays,
  // at `offsets` int32s). Inside a decode step the layers after the first reuse it when `key`
  // (the sequences' rows, contexts and block-table addresses) matches; begin_decode_step() drops it.
  struct DecodeStepPlan {
    std::vector<int64_t> key;
    kernels::DecodePlan plan;
    Tensor device;                    // a step tensor (empty outside a step: the data is staged)
    std::array<int64_t, 5> offsets{};
    const int32_t* device_data = nullptr;
  };
  std::optional<DecodeStepPlan> decode_step_plan_;
  // The uploads of stage_for_step() in the step being run: the spans' addresses and sizes, the
  // step tensor holding their bytes, each part's device copy.
  struct StepUpload {
    std::vector<int64_t> key;
    Tensor device;
    std::vector<const std::byte*> parts;
  };
  std::vector<StepUpload> step_uploads_;

  // Decode-step recording (begin_decode_step()).
  enum class StepMode { kNone, kFirst, kCapture, kReplay };
  struct RecordedStep {
    bool seen = false;                // ran once eagerly: its memory needs below are known
    int64_t arena_bytes = 0;          // device bytes its tensors take
    int64_t staging_bytes = 0;        // pinned bytes its index data take
    kernels::Graph graph = nullptr;
    std::vector<int64_t> fingerprint;  // sizes of its allocations and staged data, in order
  };
  bool replaying() const { return step_mode_ == StepMode::kReplay; }
  kernels::Scratch& work_scratch() { return step_mode_ == StepMode::kNone ? work_scratch_ : step_work_scratch_; }
  // Destroys every recorded graph (their buffers are about to move); they are captured again.
  void drop_graphs();

  CudaBackendOptions options_;
  kernels::Stream stream_;    // owned
  kernels::BlasHandle blas_;  // owned
  std::byte* staging_ = nullptr;                  // pinned, two halves of staging_half_bytes_
  int64_t staging_half_bytes_ = 0;
  int staging_half_ = 0;                          // the half being filled
  int64_t staging_used_ = 0;                      // bytes of it handed out since it was switched to
  std::array<kernels::Event, 2> staging_done_{};  // per half: its copies have run
  kernels::Scratch index_scratch_;                // device copies of staged index data
  kernels::Scratch work_scratch_;                 // op temporaries

  // Decode steps: the buffers graphs point into (never moved while a graph uses them).
  StepMode step_mode_ = StepMode::kNone;
  RecordedStep* step_ = nullptr;
  int64_t step_context_ = 0;                      // the context bucket of the step being run
  std::map<std::pair<int64_t, int64_t>, RecordedStep> recorded_;  // by (rows, context bucket)
  std::vector<int64_t> fingerprint_;              // of the step being run
  int64_t arena_needed_ = 0;                      // bytes the step being run allocated / staged
  int64_t staging_needed_ = 0;
  void* arena_ = nullptr;                         // step tensors: bump-allocated, reset per step
  int64_t arena_bytes_ = 0;
  int64_t arena_used_ = 0;
  std::byte* step_staging_ = nullptr;             // pinned; index data at the same offsets every replay
  int64_t step_staging_bytes_ = 0;
  int64_t step_staging_used_ = 0;
  kernels::Scratch step_index_scratch_;
  kernels::Scratch step_work_scratch_;
  std::array<void*, 2> scratch_before_{};         // step scratch buffers when the step began
  kernels::Event step_done_ = nullptr;            // the last launched graph has run
  int rank_ = 0;                                  // in options_.comm's group
  int world_ = 1;
};

}  // namespace r1b::model
