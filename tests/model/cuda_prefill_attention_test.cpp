// CudaBackend::attention on its prefill tensor-core path (bf16 activations, width-128 heads: the
// wgmma kernel of kernels/attention_wgmma.cu for a bf16 cache, the mma.sync kernel of
// kernels/attention_tc.cu for an fp32 cache) against CpuBackend on the same bf16-exact cache: a long
// causal prompt, chunks after cached tokens whose first rows are not tile-aligned, row counts that
// are not multiples of the 128-row query tile, prompts at the edges of the 64-row warpgroup and the
// 128-key tile, GQA groups 12/2 and 28/4, shuffled block tables, blocks of 8 to 256 tokens, an fp32
// cache (converted on load), and NaN in the slots past each context (memory no step has written).
// Every test skips when no CUDA device is visible (CI has none).
//
// Error of one (row, head): max_d |gpu − cpu| / max_d |cpu| over its 128 outputs; a case's error
// is the worst over its rows and heads. Per row, not over the whole output: rows deep in a long
// prompt average hundreds of values and come out several times smaller than the first rows, so a
// whole-output normalisation would hide a wrong key there. Bound kBf16Attention: the GPU rounds q
// (each score moves by ~2^-9 of its size, |score · scale| ≲ 4 here) and the probabilities (2^-9
// relative each) to bf16 before fp32 sums; the errors are independent per key, so a row's error
// stays a small multiple of 2^-9 ≈ 2e-3 of its largest output: 5.0e-3 – 6.1e-3 over these cases
// (measured on an H100). 1e-2 leaves room for other draws. A key wrongly masked or let through
// carries ~1/500 of a deep row's weight with q drawn from [-4, 4) (the softmax then concentrates on
// a few hundred keys), which moves that row by an estimated ≳ 2e-2 of its largest output; a wrong
// head, row or tile gives errors near 1.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <numeric>
#include <random>

#include "model/cpu_backend.h"
#include "model/cuda_backend.h"
#include "model/dtype.h"
#include "close_values.h"

namespace r1b::model {
namespace {

using testing::uniform_values;

constexpr double kBf16Attention = 1e-2;
constexpr int64_t kDim = 128;

// One sequence of a step: `num_q` new rows after `context − num_q` cached tokens.
struct SeqShape {
  int64_t num_q = 0;
  int64_t context = 0;
};

class CudaPrefillAttentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!CudaBackend::device_available()) GTEST_SKIP() << "no CUDA device visible";
    Result<std::unique_ptr<CudaBackend>> created = CudaBackend::create();  // bf16 activations
    ASSERT_TRUE(created.is_ok()) << created.status().message();
    gpu_ = std::move(created).value();
  }

  std::vector<float> random(int64_t count, float scale) { return uniform_values(rng_, count, scale); }

  // Runs the sequences as one step on both backends (cache of `cache_type`, block ids shuffled
  // over the whole cache) and returns the worst per-(row, head) error.
  double compare(const std::vector<SeqShape>& shapes, int64_t heads, int64_t kv_heads, int64_t block_size,
                 DType cache_type) {
    int64_t num_blocks = 0;
    for (const SeqShape& shape : shapes) num_blocks += (shape.context + block_size - 1) / block_size;
    std::vector<int32_t> ids(num_blocks);
    std::iota(ids.begin(), ids.end(), 0);
    std::shuffle(ids.begin(), ids.end(), rng_);
    std::vector<AttentionSeq> seqs;
    int64_t q_rows = 0;
    size_t next = 0;
    for (const SeqShape& shape : shapes) {
      AttentionSeq seq{q_rows, shape.num_q, shape.context, {}};
      while (static_cast<int64_t>(seq.block_table.size()) * block_size < shape.context) {
        seq.block_table.push_back(ids[next++]);
      }
      q_rows += shape.num_q;
      seqs.push_back(std::move(seq));
    }

    const int64_t slots = num_blocks * block_size;
    const int64_t width = kv_heads * kDim;
    std::vector<Tensor> cpu_cache(2), gpu_cache(2);
    for (int i = 0; i < 2; ++i) {
      std::vector<float> rows = random(slots * width, 1.0f);
      for (float& value : rows) value = round_to_bf16(value);
      if (nan_past_context_) {
        for (const AttentionSeq& seq : seqs) {
          for (int64_t position = seq.context_len;
               position < static_cast<int64_t>(seq.block_table.size()) * block_size; ++position) {
            const int64_t slot = seq.block_table[position / block_size] * block_size + position % block_size;
            std::fill_n(rows.begin() + slot * width, width, std::numeric_limits<float>::quiet_NaN());
          }
        }
      }
      cpu_cache[i] = cpu_.alloc({slots, width}, DType::kF32);
      cpu_.upload(rows, cpu_cache[i]);
      gpu_cache[i] = gpu_->alloc({slots, width}, cache_type);
      if (cache_type == DType::kF32) {
        gpu_->upload_activation(rows, gpu_cache[i]);
      } else {
        Tensor staged = gpu_->alloc({slots, width}, DType::kF32);
        gpu_->upload_activation(rows, staged);
        std::vector<int32_t> all_slots(slots);
        std::iota(all_slots.begin(), all_slots.end(), 0);
        gpu_->write_kv(staged, all_slots, gpu_cache[i]);
      }
    }
    const AttentionParams params{heads, kv_heads, kDim, kDim, false, 1.0f / std::sqrt(static_cast<float>(kDim)),
                                 block_size};
    const std::vector<float> q_values = random(q_rows * heads * kDim, 4.0f);
    Tensor cpu_q = cpu_.alloc({q_rows, heads, kDim}, DType::kF32);
    cpu_.upload(q_values, cpu_q);
    Tensor gpu_q = gpu_->alloc({q_rows, heads, kDim}, DType::kF32);
    gpu_->upload_activation(q_values, gpu_q);
    Tensor cpu_out = cpu_.alloc({q_rows, heads, kDim}, DType::kF32);
    Tensor gpu_out = gpu_->alloc({q_rows, heads, kDim}, DType::kF32);
    cpu_.attention(cpu_q, cpu_cache[0], cpu_cache[1], seqs, params, cpu_out);
    gpu_->attention(gpu_q, gpu_cache[0], gpu_cache[1], seqs, params, gpu_out);

    const std::vector<float> gpu = gpu_->download(gpu_out);
    const std::vector<float> cpu = cpu_.download(cpu_out);
    double worst = 0.0;
    for (int64_t row = 0; row < q_rows * heads; ++row) {
      double max_ref = 0.0, max_diff = 0.0;
      for (int64_t d = 0; d < kDim; ++d) {
        const float ref = cpu[row * kDim + d];
        max_ref = std::max(max_ref, std::fabs(static_cast<double>(ref)));
        const double diff = std::fabs(static_cast<double>(gpu[row * kDim + d]) - ref);
        if (!(diff <= max_diff)) max_diff = diff;  // NaN counts as worst
      }
      const double error = max_ref > 0 ? max_diff / max_ref : max_diff;
      if (!(error <= worst)) worst = error;
    }
    return worst;
  }

  void expect_close(const std::vector<SeqShape>& shapes, int64_t heads, int64_t kv_heads, int64_t block_size,
                    DType cache_type, const std::string& what) {
    const double error = compare(shapes, heads, kv_heads, block_size, cache_type);
    std::cout << what << ": error " << error << " (bound " << kBf16Attention << ")\n";
    EXPECT_LE(error, kBf16Attention) << what;
  }

  std::mt19937 rng_{2718};
  bool nan_past_context_ = false;  // the unused slots of each sequence's last block hold NaN
  CpuBackend cpu_{0};
  std::unique_ptr<CudaBackend> gpu_;
};

// One 3000-token prompt (23 full query tiles and one of 56 rows; the last tile's keys end mid
// key tile), R1-Distill-Qwen-1.5B's and -7B's head groups.
TEST_F(CudaPrefillAttentionTest, LongCausalPromptMatchesCpu) {
  for (const auto& [heads, kv_heads] : {std::pair<int64_t, int64_t>{12, 2}, {28, 4}}) {
    expect_close({{3000, 3000}}, heads, kv_heads, 16, DType::kBF16,
                 "3000-token prompt H=" + std::to_string(heads) + " KH=" + std::to_string(kv_heads));
  }
}

// Chunked prefill in one step: 300 rows after 1000 cached tokens (the first row sees 1001
// positions, 41 into a key tile), 77 rows after 45, a prompt of 130 rows (a tile of 2 rows), and
// a decode row riding along; with a bf16 cache and blocks of 16, then an fp32 cache and blocks of 32.
TEST_F(CudaPrefillAttentionTest, ChunksAfterCachedTokensMatchCpu) {
  const std::vector<SeqShape> shapes = {{300, 1300}, {77, 122}, {130, 130}, {1, 500}};
  for (const auto& [heads, kv_heads] : {std::pair<int64_t, int64_t>{12, 2}, {28, 4}}) {
    const std::string group = " H=" + std::to_string(heads) + " KH=" + std::to_string(kv_heads);
    expect_close(shapes, heads, kv_heads, 16, DType::kBF16, "chunks, bf16 cache" + group);
    expect_close(shapes, heads, kv_heads, 32, DType::kF32, "chunks, fp32 cache" + group);
  }
}

// Prompts at the wgmma kernel's edges in one step: shorter than a warpgroup's 64 rows (3, 20: the
// second warpgroup has no rows), 64 / 65 rows (one row past the first warpgroup), one key tile of
// 128 and one key past it, two key tiles and one past; then chunks whose cached prefix ends on a
// key tile (128 and 256 cached tokens) or one short of it, with blocks of 16 and of 64.
TEST_F(CudaPrefillAttentionTest, PromptsAtTileEdgesMatchCpu) {
  const std::vector<SeqShape> prompts = {{3, 3},     {20, 20},   {64, 64},   {65, 65},
                                         {128, 128}, {129, 129}, {256, 256}, {257, 257}};
  const std::vector<SeqShape> chunks = {{100, 228}, {64, 320}, {200, 455}, {129, 385}};
  for (const auto& [heads, kv_heads] : {std::pair<int64_t, int64_t>{12, 2}, {28, 4}}) {
    const std::string group = " H=" + std::to_string(heads) + " KH=" + std::to_string(kv_heads);
    expect_close(prompts, heads, kv_heads, 16, DType::kBF16, "prompts at tile edges" + group);
    expect_close(chunks, heads, kv_heads, 16, DType::kBF16, "chunks at key tile edges, blocks of 16" + group);
    expect_close(chunks, heads, kv_heads, 64, DType::kBF16, "chunks at key tile edges, blocks of 64" + group);
  }
}

// A cache whose slots past each sequence's context hold NaN (memory no step has written): the last
// key tile's rows past the context are masked and their values never reach the output, with blocks
// of 16, of 8 (the smallest copy box) and of 256 (a block spans two key tiles; copy boxes of 128).
TEST_F(CudaPrefillAttentionTest, UnwrittenSlotsPastTheContextAreIgnored) {
  nan_past_context_ = true;
  const std::vector<SeqShape> shapes = {{100, 300}, {50, 50}, {200, 1001}, {130, 130}};
  for (const int64_t block_size : {16, 8, 256}) {
    expect_close(shapes, 12, 2, block_size, DType::kBF16, "NaN past the context, blocks of " + std::to_string(block_size));
  }
}

}  // namespace
}  // namespace r1b::model
