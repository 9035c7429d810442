// Token sampling on the GPU for dispatch.h: one thread block per sampled row, so the logits never
// leave the device (a 152k vocabulary is 600 KB per row).
//
// Weights are w = exp((logit − max) / temperature) in fixed point, units of 2^-40 of the top
// token's (kWeightScale; a weight below that counts as zero, ~1e-12 of the top token's), so every
// sum is an exact integer whatever order it is taken in: thresholds and draws are deterministic.
// Logits are compared through an order-preserving 32-bit key, so "the k largest" and "the most
// likely tokens reaching top_p of the mass" are thresholds on that key. select_key() finds such a
// threshold exactly in three radix passes over the row (digits of 11, 11 and 10 bits, high to
// low): each pass histograms the keys that share the digits chosen so far by their next digit (a
// count, or the weight) and picks the digit whose bucket the threshold falls in. The draw is an
// inverse CDF in token id order: each thread owns a contiguous id chunk, a block scan gives each
// chunk's starting mass, and the thread whose chunk holds the target walks it. A top_p draw reads
// the row five times (max, three radix passes, the draw).
//
// Measured on an H100 (random logits, 152k vocabulary, T = 0.6, top_p 0.95; 64 / 256 rows):
// 211–227 / 590–613 µs. A 32-step bisection on the key (~34 passes) took 618–724 / 2,198–2,276 µs
// and drew the same tokens; the histograms in 64-bit shared-memory atomics 384–443 / 902–1,007 µs;
// 512 threads a block 318–346 / 976–1,033 µs.
#include <cub/block/block_scan.cuh>

#include <cfloat>
#include <cstdio>
#include <cstdlib>

#include "kernels/cuda_check.cuh"
#include "kernels/dependent_launch.cuh"
#include "kernels/dispatch.h"

namespace r1b::kernels {

namespace {

constexpr int kThreads = 1024;
constexpr float kWeightScale = 1099511627776.0f;  // 2^40: a 152k-token row sums to < 2^58
constexpr int64_t kMaxVocab = int64_t{1} << 24;   // so that a row's weights sum to < 2^64
constexpr int kHighDigitBits = 11;  // the first two radix passes; the third takes the last 10 bits
constexpr int kMaxBuckets = 1 << kHighDigitBits;
constexpr int kBucketsPerThread = kMaxBuckets / kThreads;

using Mass = unsigned long long;
using BlockScan = cub::BlockScan<Mass, kThreads>;

// Monotonic in the float's value: a < b ⇔ key(a) < key(b) (NaN excluded).
__device__ inline uint32_t order_key(float value) {
  const uint32_t bits = __float_as_uint(value);
  return (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u;
}

struct ArgMax {
  float value;
  int32_t id;
};

__device__ inline ArgMax better(ArgMax a, ArgMax b) {
  return (b.value > a.value || (b.value == a.value && b.id < a.id)) ? b : a;
}

struct Shared {
  BlockScan::TempStorage scan;
  // Bucket b's sum is hist_high[b] · 2^32 + hist_low[b]: two 32-bit words, so adding to it takes
  // the native 32-bit shared-memory atomics (add_to_bucket).
  uint32_t hist_low[kMaxBuckets];
  uint32_t hist_high[kMaxBuckets];
  ArgMax warp_best[kThreads / 32];
  uint32_t chosen_key;
  Mass chosen_above;
};

// Adds `value` to bucket b exactly: a low word that wraps carries into the high word.
__device__ inline void add_to_bucket(Shared& sm, int b, Mass value) {
  const auto low = static_cast<uint32_t>(value);
  const uint32_t old = atomicAdd(&sm.hist_low[b], low);
  const uint32_t high = static_cast<uint32_t>(value >> 32) + (old + low < old ? 1u : 0u);
  if (high != 0) atomicAdd(&sm.hist_high[b], high);
}

// The largest key K ≥ floor_key with Σ value(i) over the tokens i with key_i ≥ K at least
// need(total), total being that sum over key ≥ floor_key; value(i) ≥ 0 integer, need(total) in
// [1, total] (so such a K is a token's key). Every thread of the block calls it.
template <typename Value, typename Need>
__device__ uint32_t select_key(const float* l, int64_t vocab, uint32_t floor_key, const Value& value,
                               const Need& need_of, Shared& sm) {
  uint32_t prefix = 0;  // the digits chosen so far, in place
  Mass above = 0;       // value of the keys above the current bucket range
  Mass need = 0;
  int low = 32;         // bits below the digit of this pass
  for (int pass = 0; pass < 3; ++pass) {
    const int bits = pass < 2 ? kHighDigitBits : 32 - 2 * kHighDigitBits;
    low -= bits;
    const int buckets = 1 << bits;
    for (int b = threadIdx.x; b < buckets; b += kThreads) sm.hist_low[b] = sm.hist_high[b] = 0;
    __syncthreads();
    // A thread's tokens mostly share their high digits: it adds runs of one bucket locally, so
    // the shared-memory atomics stay few.
    int run_bucket = 0;
    Mass run = 0;
    for (int64_t i = threadIdx.x; i < vocab; i += kThreads) {
      const uint32_t key = order_key(l[i]);
      if (key < floor_key || (uint64_t{key} >> (low + bits)) != (uint64_t{prefix} >> (low + bits))) continue;
      const int bucket = static_cast<int>((key >> low) & static_cast<uint32_t>(buckets - 1));
      if (bucket != run_bucket && run > 0) {
        add_to_bucket(sm, run_bucket, run);
        run = 0;
      }
      run_bucket = bucket;
      run += value(i);
    }
    if (run > 0) add_to_bucket(sm, run_bucket, run);
    __syncthreads();
    // Thread t holds buckets from the top: buckets − 1 − kBucketsPerThread · t − k.
    Mass own[kBucketsPerThread];
    Mass own_total = 0;
#pragma unroll
    for (int k = 0; k < kBucketsPerThread; ++k) {
      const int b = buckets - 1 - kBucketsPerThread * static_cast<int>(threadIdx.x) - k;
      own[k] = b >= 0 ? (Mass{sm.hist_high[b]} << 32 | sm.hist_low[b]) : 0;
      own_total += own[k];
    }
    Mass before = 0;
    Mass range_total = 0;
    BlockScan(sm.scan).ExclusiveSum(own_total, before, range_total);
    if (pass == 0) need = need_of(range_total);
    Mass cumulative = above + before;
#pragma unroll
    for (int k = 0; k < kBucketsPerThread; ++k) {
      const int b = buckets - 1 - kBucketsPerThread * static_cast<int>(threadIdx.x) - k;
      if (cumulative < need && cumulative + own[k] >= need) {
        sm.chosen_key = prefix | (static_cast<uint32_t>(b) << low);
        sm.chosen_above = cumulative;
      }
      cumulative += own[k];
    }
    __syncthreads();
    prefix = sm.chosen_key;
    above = sm.chosen_above;
    __syncthreads();  // the next pass overwrites hist and the choice
  }
  return prefix;
}

__global__ void __launch_bounds__(kThreads) sample_kernel(const float* logits, int64_t vocab, const SampleRow* rows,
                                                          int32_t* tokens) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  __shared__ Shared sm;
  const SampleRow row = rows[blockIdx.x];
  const float* l = logits + int64_t{row.logits_row} * vocab;

  // Greedy, and the maximum every weight is taken relative to: the first argmax.
  ArgMax best{-FLT_MAX, INT32_MAX};
  for (int64_t i = threadIdx.x; i < vocab; i += kThreads) best = better(best, ArgMax{l[i], static_cast<int32_t>(i)});
  for (int offset = 16; offset > 0; offset /= 2) {
    const ArgMax other{__shfl_xor_sync(0xffffffffu, best.value, offset), __shfl_xor_sync(0xffffffffu, best.id, offset)};
    best = better(best, other);
  }
  if (threadIdx.x % 32 == 0) sm.warp_best[threadIdx.x / 32] = best;
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < kThreads / 32; ++w) best = better(best, sm.warp_best[w]);
    sm.warp_best[0] = best;
  }
  __syncthreads();
  const ArgMax top = sm.warp_best[0];
  if (row.temperature <= 0.0f) {
    if (threadIdx.x == 0) tokens[blockIdx.x] = top.id;
    return;
  }
  const float max_logit = top.value;
  const float inv_temperature = 1.0f / row.temperature;
  const auto weight = [=](int64_t i) { return __float2ull_rn(expf((l[i] - max_logit) * inv_temperature) * kWeightScale); };

  // top-k: the largest key with at least k logits at or above it.
  uint32_t floor_key = 0;
  if (row.top_k > 0 && row.top_k < vocab) {
    const auto one = [](int64_t) { return Mass{1}; };
    const auto k = [top_k = row.top_k](Mass) { return static_cast<Mass>(top_k); };
    floor_key = select_key(l, vocab, 0, one, k, sm);
  }
  // top-p: the largest key whose tokens still carry top_p of the kept mass.
  if (row.top_p < 1.0f) {
    const auto share = [top_p = row.top_p](Mass total) {
      const auto need = static_cast<Mass>(ceil(static_cast<double>(top_p) * static_cast<double>(total)));
      return need < 1 ? Mass{1} : (need > total ? total : need);
    };
    floor_key = select_key(l, vocab, floor_key, weight, share, sm);
  }

  // Inverse CDF in id order over the kept tokens.
  const int64_t chunk = (vocab + kThreads - 1) / kThreads;
  const int64_t begin = threadIdx.x * chunk;
  const int64_t end = begin + chunk < vocab ? begin + chunk : vocab;
  Mass own = 0;
  for (int64_t i = begin; i < end; ++i) {
    if (order_key(l[i]) >= floor_key) own += weight(i);
  }
  Mass before = 0;
  Mass kept = 0;
  BlockScan(sm.scan).ExclusiveSum(own, before, kept);
  const auto drawn = static_cast<Mass>(static_cast<double>(row.uniform) * static_cast<double>(kept));
  const Mass target = drawn < kept ? drawn : kept - 1;  // the top token's weight keeps kept ≥ 2^40
  if (target >= before && target - before < own) {
    Mass cumulative = before;
    for (int64_t i = begin; i < end; ++i) {
      if (order_key(l[i]) < floor_key) continue;
      cumulative += weight(i);
      if (target < cumulative) {
        tokens[blockIdx.x] = static_cast<int32_t>(i);
        break;
      }
    }
  }
}

}  // namespace

void sample_rows(const float* logits, int64_t vocab, const SampleRow* rows, int64_t count, int32_t* tokens,
                 Stream stream) {
  if (count == 0) return;
  if (vocab >= kMaxVocab) {
    std::fprintf(stderr, "r1bench: sampling over %lld logits: fixed-point weights hold at most %lld at %s:%d\n",
                 static_cast<long long>(vocab), static_cast<long long>(kMaxVocab), __FILE__, __LINE__);
    std::abort();
  }
  launch_dependent(sample_kernel, static_cast<unsigned>(count), kThreads, 0, as_cuda(stream), logits, vocab, rows, tokens);
}

}  // namespace r1b::kernels
