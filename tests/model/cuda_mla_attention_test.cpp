// CudaBackend::attention on DeepSeek's absorbed MLA shape — one latent KV head of width 576 whose
// first 512 columns are the values (v_in_k) — with the backend's defaults (bf16 activations, bf16
// KV cache), which run the tensor-core kernel of kernels/attention_mla.cu, against CpuBackend on
// the same bf16-exact cache: decode at short and 8k+ contexts (split over the GPU and merged),
// many decode rows of different lengths, prefill chunks mixed with decode rows in one step, head
// counts 16 (V2-Lite), 128 (V3), 24 and 8 (V3 under tensor parallelism, not multiples of the
// 64-row block), and a decode step recorded as a CUDA graph and replayed while the contexts and
// block tables change; and mla_attention(), the attention ending in W_UV, whose few-token form
// applies W_UV in the kernel's merge. Every test skips when no CUDA device is visible (CI has none).
//
// Error = max |gpu − cpu| / max |cpu| over the output. Bound kTensorCores = 1e-2, the bound of the
// dense tensor-core prefill test: the GPU rounds q and the softmax probabilities to bf16 (2^-9
// relative each) before fp32 sums; the score error (≤ 2^-9 of Σ|q·k| terms, ~1e-3 absolute at
// these score scales) moves each weight by ~0.1 %, and the rounding of p is independent per key,
// so the worst element lands near 2e-3 – 4e-3 of the output range. A wrong row, head, position or
// split weight gives errors near 1. Guard rows around every output catch overruns.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>
#include <random>
#include <string>

#include "model/cpu_backend.h"
#include "model/cuda_backend.h"
#include "model/dtype.h"
#include "close_values.h"

namespace r1b::model {
namespace {

using testing::expect_close_values;
using testing::uniform_values;

constexpr double kTensorCores = 1e-2;
constexpr int64_t kLatent = 576;  // [c_kv 512 | k_pe 64]
constexpr int64_t kValues = 512;
constexpr int64_t kBlockSize = 16;
constexpr float kScale = 0.0722f;  // 1 / sqrt(128 + 64), DeepSeek's q·k scale
constexpr float kGuard = 12345.0f;

AttentionParams mla_params(int64_t heads) { return AttentionParams{heads, 1, kLatent, kValues, true, kScale, kBlockSize}; }

// One sequence of a step: its new tokens and its context after the step.
struct SeqShape {
  int64_t num_q = 0;
  int64_t context = 0;
};

class CudaMlaAttentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!CudaBackend::device_available()) GTEST_SKIP() << "no CUDA device visible";
    Result<std::unique_ptr<CudaBackend>> created = CudaBackend::create();
    ASSERT_TRUE(created.is_ok()) << created.status().message();
    gpu_ = std::move(created).value();
    ASSERT_EQ(gpu_->kv_cache_dtype(), DType::kBF16);
  }

  std::vector<float> random(int64_t count, float scale) { return uniform_values(rng_, count, scale); }

  // A latent cache of `blocks` random blocks: bf16 on the GPU (through write_kv), the rounded
  // values on the CPU.
  void make_cache(int64_t blocks) {
    const int64_t slots = blocks * kBlockSize;
    std::vector<float> rows = random(slots * kLatent, 1.0f);
    Tensor staged = gpu_->alloc({slots, kLatent}, DType::kF32);
    gpu_->upload_activation(rows, staged);
    gpu_cache_ = gpu_->alloc({slots, kLatent}, DType::kBF16);
    std::vector<int32_t> all_slots(slots);
    std::iota(all_slots.begin(), all_slots.end(), 0);
    gpu_->write_kv(staged, all_slots, gpu_cache_);
    for (float& value : rows) value = round_to_bf16(value);
    cpu_cache_ = cpu_.alloc({slots, kLatent}, DType::kF32);
    cpu_.upload(rows, cpu_cache_);
    cache_blocks_ = blocks;
  }

  // Sequences with their rows in order and block tables of distinct blocks drawn at random from
  // the cache (made large enough here).
  std::vector<AttentionSeq> make_seqs(const std::vector<SeqShape>& shapes) {
    int64_t blocks = 0;
    for (const SeqShape& shape : shapes) blocks += (shape.context + kBlockSize - 1) / kBlockSize;
    if (blocks > cache_blocks_) make_cache(blocks);
    std::vector<int32_t> ids(cache_blocks_);
    std::iota(ids.begin(), ids.end(), 0);
    std::shuffle(ids.begin(), ids.end(), rng_);
    std::vector<AttentionSeq> seqs;
    int64_t row = 0;
    size_t next = 0;
    for (const SeqShape& shape : shapes) {
      AttentionSeq seq{row, shape.num_q, shape.context, {}};
      while (static_cast<int64_t>(seq.block_table.size()) * kBlockSize < shape.context) {
        seq.block_table.push_back(ids[next++]);
      }
      row += shape.num_q;
      seqs.push_back(std::move(seq));
    }
    return seqs;
  }

  static int64_t rows_of(const std::vector<AttentionSeq>& seqs) {
    int64_t rows = 0;
    for (const AttentionSeq& seq : seqs) rows += seq.num_q;
    return rows;
  }

  // The CPU spec's output for q_values.
  std::vector<float> cpu_attention(const std::vector<float>& q_values, const std::vector<AttentionSeq>& seqs,
                                   const AttentionParams& params) {
    const int64_t rows = rows_of(seqs);
    Tensor q = cpu_.alloc({rows, params.num_heads, kLatent}, DType::kF32);
    cpu_.upload(q_values, q);
    Tensor out = cpu_.alloc({rows, params.num_heads, kValues}, DType::kF32);
    cpu_.attention(q, cpu_cache_, Tensor(), seqs, params, out);
    return cpu_.download(out);
  }

  // Runs both backends on random q and compares; the GPU output sits between guard rows.
  void expect_matches_cpu(const std::vector<AttentionSeq>& seqs, const AttentionParams& params,
                          const std::string& what) {
    const int64_t rows = rows_of(seqs);
    const std::vector<float> q_values = random(rows * params.num_heads * kLatent, 2.0f);
    Tensor q = gpu_->alloc({rows, params.num_heads, kLatent}, DType::kF32);
    gpu_->upload_activation(q_values, q);
    const int64_t width = params.num_heads * kValues;
    Tensor guarded = gpu_->alloc({rows + 2, width}, DType::kF32);
    gpu_->upload_activation(std::vector<float>((rows + 2) * width, kGuard), guarded);
    Tensor out = guarded.rows(1, rows).view({rows, params.num_heads, kValues});
    gpu_->attention(q, gpu_cache_, Tensor(), seqs, params, out);
    expect_close_values(gpu_->download(out), cpu_attention(q_values, seqs, params), kTensorCores, what);
    const std::vector<float> guard = gpu_->download(guarded);
    for (int64_t i = 0; i < width; ++i) {
      ASSERT_EQ(guard[i], kGuard) << what << ": guard row before the output overwritten at " << i;
      ASSERT_EQ(guard[guard.size() - width + i], kGuard) << what << ": guard row after the output overwritten at " << i;
    }
  }

  std::mt19937 rng_{2024};
  CpuBackend cpu_{4};
  std::unique_ptr<CudaBackend> gpu_;
  Tensor gpu_cache_, cpu_cache_;
  int64_t cache_blocks_ = 0;
};

TEST_F(CudaMlaAttentionTest, SingleRowDecodeMatchesCpuFromOnePositionTo8kContext) {
  for (int64_t context : {1, 37, 1024, 8300}) {
    expect_matches_cpu(make_seqs({{1, context}}), mla_params(16), "B=1 decode, context " + std::to_string(context));
  }
}

TEST_F(CudaMlaAttentionTest, ManyDecodeRowsOfDifferentLengthsMatchCpu) {
  std::uniform_int_distribution<int64_t> context(1, 3000);
  std::vector<SeqShape> shapes;
  for (int i = 0; i < 40; ++i) shapes.push_back({1, context(rng_)});
  shapes.push_back({1, 9000});
  expect_matches_cpu(make_seqs(shapes), mla_params(16), "41 decode rows");
}

TEST_F(CudaMlaAttentionTest, PrefillChunksAndDecodeRowsInOneStepMatchCpu) {
  // A 200-token prompt, a 70-token chunk after 1000 cached tokens, a decode row, a 3-token chunk.
  expect_matches_cpu(make_seqs({{200, 200}, {70, 1070}, {1, 500}, {3, 40}}), mla_params(16), "prefill chunks, H=16");
}

TEST_F(CudaMlaAttentionTest, HeadCountsOfV3AndTensorParallelSlicesMatchCpu) {
  for (int64_t heads : {128, 24, 8}) {
    expect_matches_cpu(make_seqs({{100, 400}, {1, 700}, {5, 5}}), mla_params(heads),
                       "prefill and decode, H=" + std::to_string(heads));
    expect_matches_cpu(make_seqs({{1, 5000}, {1, 33}}), mla_params(heads), "long decode, H=" + std::to_string(heads));
  }
}

// A decode step of 5 rows recorded as a CUDA graph (the second step of its shape) and replayed
// while every row's context moves within the 2048 bucket and its blocks are redrawn: each step
// matches the CPU spec.
TEST_F(CudaMlaAttentionTest, ReplayedDecodeStepFollowsChangingContexts) {
  const AttentionParams params = mla_params(16);
  constexpr int64_t kRows = 5;
  Tensor q = gpu_->alloc({kRows, params.num_heads, kLatent}, DType::kF32);
  Tensor out = gpu_->alloc({kRows, params.num_heads, kValues}, DType::kF32);
  make_cache(700);
  const std::vector<std::vector<int64_t>> steps = {{1100, 20, 1300, 7, 600},    {1101, 21, 1301, 8, 601},
                                                   {1500, 1, 2000, 1025, 300},  {1501, 2, 2001, 1026, 301},
                                                   {3, 1800, 257, 1990, 1024}};
  for (size_t step = 0; step < steps.size(); ++step) {
    std::vector<SeqShape> shapes;
    for (int64_t context : steps[step]) shapes.push_back({1, context});
    const std::vector<AttentionSeq> seqs = make_seqs(shapes);
    const std::vector<float> q_values = random(kRows * params.num_heads * kLatent, 2.0f);
    gpu_->upload_activation(q_values, q);
    gpu_->begin_decode_step(kRows, *std::max_element(steps[step].begin(), steps[step].end()));
    gpu_->attention(q, gpu_cache_, Tensor(), seqs, params, out);
    gpu_->end_decode_step();
    expect_close_values(gpu_->download(out), cpu_attention(q_values, seqs, params), kTensorCores, "replayed decode, step " + std::to_string(step));
  }
}

// mla_attention(): the attention above ending in each head's W_UV (O = 128, as in V2-Lite and V3).
// At ≤ 4 tokens the MLA kernel's merge applies W_UV (kernels::attention_projects()), even over a
// single split: against the CPU spec (attention, then head_matmul with the same bf16-exact weights)
// to kTensorCores, and against attention() then head_matmul() on the same GPU to kReordered — the
// same partial results, merged and summed in another order (fp32 rounding only). Five tokens take
// those two ops. Then a decode step recorded as a CUDA graph and replayed as the contexts move
// (2, 3 and 4 rows for the three head counts: recorded steps are kept per row count and context
// bucket, so each head count needs its own).
TEST_F(CudaMlaAttentionTest, AttentionEndingInWuvMatchesCpuAndTheOpsItFuses) {
  constexpr double kReordered = 1e-5;
  constexpr int64_t kOuts = 128;
  const int64_t head_counts[] = {16, 8, 128};
  for (int64_t i = 0; i < 3; ++i) {
    const int64_t heads = head_counts[i];
    const AttentionParams params = mla_params(heads);
    std::vector<float> w_values = random(heads * kOuts * kValues, 0.05f);
    for (float& value : w_values) value = round_to_bf16(value);
    Tensor cpu_w = cpu_.alloc({heads, kOuts, kValues}, DType::kF32);
    cpu_.upload(w_values, cpu_w);
    Tensor gpu_w = gpu_->alloc({heads, kOuts, kValues}, DType::kF32);
    gpu_->upload(w_values, gpu_w);
    ASSERT_EQ(gpu_w.dtype(), DType::kBF16);
    const std::vector<std::vector<SeqShape>> steps = {
        {{1, 1}}, {{1, 64}}, {{1, 1024}}, {{1, 8300}}, {{1, 37}, {1, 1500}, {1, 5}}, {{4, 600}},
        {{2, 5}, {1, 900}, {1, 70}}, {{5, 300}}};
    for (const std::vector<SeqShape>& shapes : steps) {
      const std::vector<AttentionSeq> seqs = make_seqs(shapes);
      const int64_t rows = rows_of(seqs);
      std::string what = "H=" + std::to_string(heads) + ", rows (new, context):";
      for (const SeqShape& shape : shapes) what += " (" + std::to_string(shape.num_q) + ", " + std::to_string(shape.context) + ")";
      const std::vector<float> q_values = random(rows * heads * kLatent, 2.0f);
      Tensor cpu_q = cpu_.alloc({rows, heads, kLatent}, DType::kF32);
      cpu_.upload(q_values, cpu_q);
      Tensor cpu_out = cpu_.alloc({rows, heads, kOuts}, DType::kF32);
      cpu_.mla_attention(cpu_q, cpu_cache_, seqs, params, cpu_w, cpu_out);
      Tensor q = gpu_->alloc({rows, heads, kLatent}, DType::kF32);
      gpu_->upload_activation(q_values, q);
      Tensor out = gpu_->alloc({rows, heads, kOuts}, DType::kF32);
      gpu_->mla_attention(q, gpu_cache_, seqs, params, gpu_w, out);
      const std::vector<float> fused = gpu_->download(out);
      expect_close_values(fused, cpu_.download(cpu_out), kTensorCores, what + ", against the CPU");
      gpu_->Backend::mla_attention(q, gpu_cache_, seqs, params, gpu_w, out);
      expect_close_values(fused, gpu_->download(out), kReordered, what + ", against attention() + head_matmul()");
    }

    const int64_t rows = 2 + i;
    Tensor q = gpu_->alloc({rows, heads, kLatent}, DType::kF32);
    Tensor out = gpu_->alloc({rows, heads, kOuts}, DType::kF32);
    Tensor cpu_q = cpu_.alloc({rows, heads, kLatent}, DType::kF32);
    Tensor cpu_out = cpu_.alloc({rows, heads, kOuts}, DType::kF32);
    const std::vector<std::vector<int64_t>> contexts = {
        {900, 30, 1200, 77}, {901, 31, 1201, 78}, {3, 2000, 640, 1500}, {4, 2001, 641, 1501}};
    for (size_t step = 0; step < contexts.size(); ++step) {
      std::vector<SeqShape> shapes;
      for (int64_t row = 0; row < rows; ++row) shapes.push_back({1, contexts[step][row]});
      const std::vector<AttentionSeq> seqs = make_seqs(shapes);
      const std::vector<float> q_values = random(rows * heads * kLatent, 2.0f);
      gpu_->upload_activation(q_values, q);
      cpu_.upload(q_values, cpu_q);
      gpu_->begin_decode_step(rows, 2048);
      gpu_->mla_attention(q, gpu_cache_, seqs, params, gpu_w, out);
      gpu_->end_decode_step();
      cpu_.mla_attention(cpu_q, cpu_cache_, seqs, params, cpu_w, cpu_out);
      expect_close_values(gpu_->download(out), cpu_.download(cpu_out), kTensorCores,
                          "H=" + std::to_string(heads) + ", replayed step " + std::to_string(step));
    }
  }
}

}  // namespace
}  // namespace r1b::model
