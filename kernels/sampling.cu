// Token sampling on the GPU for dispatch.h: one thread block per sampled row, so the logits never
// leave the device (a 152k vocabulary is 600 KB per row).
//
// Strategy: logits are compared through an order-preserving 32-bit key, so "the k largest" and
// "the most likely tokens reaching top_p" are thresholds on that key, each found by a 32-step
// bisection whose every step is one block-wide count (top-k) or weight sum (top-p) over the row —
// no sort. The draw is an inverse CDF in token id order: each thread owns a contiguous id chunk,
// a block scan gives each chunk's starting mass, and the thread whose chunk holds the target walks
// it. Weights are exp((logit − max) / temperature), summed in fp64 (an fp32 running sum over a
// flat 152k vocabulary drifts by a fraction of a token's weight and moves ~1% of draws).
#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>

#include <cfloat>

#include "kernels/cuda_check.cuh"
#include "kernels/dependent_launch.cuh"
#include "kernels/dispatch.h"

namespace r1b::kernels {

namespace {

constexpr int kThreads = 1024;

using BlockReduce = cub::BlockReduce<double, kThreads>;
using BlockCount = cub::BlockReduce<int64_t, kThreads>;
using BlockScan = cub::BlockScan<double, kThreads>;

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

__global__ void __launch_bounds__(kThreads) sample_kernel(const float* logits, int64_t vocab, const SampleRow* rows,
                                                          int32_t* tokens) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  __shared__ union {
    BlockReduce::TempStorage reduce;
    BlockCount::TempStorage count;
    BlockScan::TempStorage scan;
  } temp;
  __shared__ float shared_value;
  __shared__ double shared_mass;
  __shared__ int32_t shared_id;
  __shared__ int shared_flag;
  const SampleRow row = rows[blockIdx.x];
  const float* l = logits + int64_t{row.logits_row} * vocab;

  // Greedy, and the maximum every weight is taken relative to: the first argmax.
  ArgMax best{-FLT_MAX, INT32_MAX};
  for (int64_t i = threadIdx.x; i < vocab; i += kThreads) best = better(best, ArgMax{l[i], static_cast<int32_t>(i)});
  for (int offset = 16; offset > 0; offset /= 2) {
    const ArgMax other{__shfl_xor_sync(0xffffffffu, best.value, offset), __shfl_xor_sync(0xffffffffu, best.id, offset)};
    best = better(best, other);
  }
  __shared__ ArgMax warp_best[kThreads / 32];
  if (threadIdx.x % 32 == 0) warp_best[threadIdx.x / 32] = best;
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < kThreads / 32; ++w) best = better(best, warp_best[w]);
    shared_value = best.value;
    shared_id = best.id;
  }
  __syncthreads();
  if (row.temperature <= 0.0f) {
    if (threadIdx.x == 0) tokens[blockIdx.x] = shared_id;
    return;
  }
  const float max_logit = shared_value;
  const float inv_temperature = 1.0f / row.temperature;
  auto weight = [&](int64_t i) { return static_cast<double>(expf((l[i] - max_logit) * inv_temperature)); };

  // top-k: the largest key threshold with at least k logits at or above it.
  uint32_t floor_key = 0;
  if (row.top_k > 0 && row.top_k < vocab) {
    uint32_t lo = 0, hi = 0xffffffffu;  // answer in [lo, hi]
    while (lo < hi) {
      const auto mid = static_cast<uint32_t>(lo + (uint64_t{hi} - lo + 1) / 2);
      int64_t count = 0;
      for (int64_t i = threadIdx.x; i < vocab; i += kThreads) count += order_key(l[i]) >= mid;
      count = BlockCount(temp.count).Sum(count);  // valid in thread 0
      if (threadIdx.x == 0) shared_flag = count >= row.top_k;
      __syncthreads();
      const bool enough = shared_flag != 0;
      __syncthreads();
      if (enough) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    floor_key = lo;
  }
  auto mass_from = [&](uint32_t key) {
    double sum = 0.0;
    for (int64_t i = threadIdx.x; i < vocab; i += kThreads) {
      if (order_key(l[i]) >= key) sum += weight(i);
    }
    sum = BlockReduce(temp.reduce).Sum(sum);
    if (threadIdx.x == 0) shared_mass = sum;
    __syncthreads();
    const double total = shared_mass;
    __syncthreads();
    return total;
  };
  double kept_mass = mass_from(floor_key);
  // top-p: the largest key threshold whose tokens still carry top_p of the kept mass.
  if (row.top_p < 1.0f) {
    const double need = row.top_p * kept_mass;
    uint32_t lo = floor_key, hi = order_key(max_logit);
    while (lo < hi) {
      const auto mid = static_cast<uint32_t>(lo + (uint64_t{hi} - lo + 1) / 2);
      if (mass_from(mid) >= need) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    floor_key = lo;
    kept_mass = mass_from(floor_key);
  }

  // Inverse CDF in id order over the kept tokens.
  const int64_t chunk = (vocab + kThreads - 1) / kThreads;
  const int64_t begin = threadIdx.x * chunk;
  const int64_t end = begin + chunk < vocab ? begin + chunk : vocab;
  double own = 0.0;
  int32_t last_kept = -1;
  for (int64_t i = begin; i < end; ++i) {
    if (order_key(l[i]) >= floor_key) {
      own += weight(i);
      last_kept = static_cast<int32_t>(i);
    }
  }
  double before = 0.0;
  BlockScan(temp.scan).ExclusiveSum(own, before);
  const double target = row.uniform * kept_mass;
  if (threadIdx.x == 0) shared_id = -1;
  __syncthreads();
  if (own > 0.0 && target >= before && target < before + own) {
    double cumulative = before;
    for (int64_t i = begin; i < end; ++i) {
      if (order_key(l[i]) < floor_key) continue;
      cumulative += weight(i);
      if (target < cumulative || i == last_kept) {
        shared_id = static_cast<int32_t>(i);
        break;
      }
    }
  }
  __syncthreads();
  if (shared_id < 0) {
    // Rounding put the target past the scanned total: the last kept token, as the CPU sampler.
    const auto larger = [](int64_t a, int64_t b) { return a > b ? a : b; };
    const int64_t last = BlockCount(temp.count).Reduce(int64_t{last_kept}, larger);
    if (threadIdx.x == 0) shared_id = static_cast<int32_t>(last);
    __syncthreads();
  }
  if (threadIdx.x == 0) tokens[blockIdx.x] = shared_id;
}

}  // namespace

void sample_rows(const float* logits, int64_t vocab, const SampleRow* rows, int64_t count, int32_t* tokens,
                 Stream stream) {
  if (count == 0) return;
  launch_dependent(sample_kernel, static_cast<unsigned>(count), kThreads, 0, as_cuda(stream), logits, vocab, rows, tokens);
}

}  // namespace r1b::kernels
