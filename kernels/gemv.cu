// The small-batch product (gemv.cuh): one warp per output column o. Each lane takes 8 consecutive
// weights at a time as one 16-byte load (four, or for long rows eight, such loads in flight per
// lane), the matching x values as two float4 loads per row (the warp reads x contiguously; x stays
// in L1/L2), and the warp sums its lanes with shuffles at the end. Launched as a dependent kernel
// (dependent_launch.cuh): a block prefetches the head of its weight rows into L2 while the kernel
// before it still runs, then waits for x.
#include <cuda_bf16.h>

#include "kernels/cuda_check.cuh"
#include "kernels/dependent_launch.cuh"
#include "kernels/gemv.cuh"

namespace r1b::kernels {

namespace {

constexpr int kWarpsPerBlock = 8;
// 16-byte weight loads each lane issues before using them: more for long rows (a down projection
// has few outputs, hence few warps, each streaming a long row).
constexpr int kShortRowLoads = 4;
constexpr int kLongRowLoads = 8;
constexpr int64_t kLongRow = 4096;
// Bytes of its weights a block prefetches into L2 before waiting for x: the head of its rows. All
// of them was slower (an H100 B=1 decode step of the 1.5B shape: 2.24 against 2.08 ms): the
// resident blocks of a gate|up product would ask for more than L2 holds.
constexpr int64_t kPrefetchBytes = 4096;

__device__ inline void accumulate(const uint4& packed, const float* x_row, int64_t chunk, float& acc) {
  const float4 lo = reinterpret_cast<const float4*>(x_row)[2 * chunk];
  const float4 hi = reinterpret_cast<const float4*>(x_row)[2 * chunk + 1];
  const auto* w = reinterpret_cast<const __nv_bfloat162*>(&packed);
  const float2 w0 = __bfloat1622float2(w[0]);
  const float2 w1 = __bfloat1622float2(w[1]);
  const float2 w2 = __bfloat1622float2(w[2]);
  const float2 w3 = __bfloat1622float2(w[3]);
  acc = fmaf(lo.x, w0.x, acc);
  acc = fmaf(lo.y, w0.y, acc);
  acc = fmaf(lo.z, w1.x, acc);
  acc = fmaf(lo.w, w1.y, acc);
  acc = fmaf(hi.x, w2.x, acc);
  acc = fmaf(hi.y, w2.y, acc);
  acc = fmaf(hi.z, w3.x, acc);
  acc = fmaf(hi.w, w3.y, acc);
}

// Output column o of `outs` (kSwiglu: of outs = F, the weight holding 2F rows): the warp streams
// weight row o, and with kSwiglu also row F + o, and writes Σ + bias, or silu(gate) · up.
template <int kRows, int kLoadsInFlight, bool kSwiglu>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    gemv_kernel(const float* __restrict__ x, const __nv_bfloat16* __restrict__ w, const float* __restrict__ bias,
                int64_t in, int64_t outs, float* __restrict__ out) {
  constexpr int kMatrices = kSwiglu ? 2 : 1;
  const int64_t first = blockIdx.x * int64_t{kWarpsPerBlock};
  if (threadIdx.x < kMatrices) {
    const int64_t rows = outs - first < kWarpsPerBlock ? outs - first : kWarpsPerBlock;
    const int64_t bytes = rows * in * 2 < kPrefetchBytes ? rows * in * 2 : kPrefetchBytes;
    prefetch_to_l2(w + (threadIdx.x * outs + first) * in, static_cast<uint32_t>(bytes));
  }
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int64_t o = first + threadIdx.x / 32;
  if (o >= outs) return;
  const int lane = static_cast<int>(threadIdx.x % 32);
  const int64_t chunks = in / 8;
  const uint4* w_rows[kMatrices];
#pragma unroll
  for (int m = 0; m < kMatrices; ++m) w_rows[m] = reinterpret_cast<const uint4*>(w + (m * outs + o) * in);
  float acc[kMatrices][kRows] = {};
  for (int64_t base = lane; base < chunks; base += 32 * kLoadsInFlight) {
    uint4 packed[kMatrices][kLoadsInFlight];
#pragma unroll
    for (int m = 0; m < kMatrices; ++m) {
#pragma unroll
      for (int u = 0; u < kLoadsInFlight; ++u) {
        const int64_t chunk = base + u * 32;
        packed[m][u] = chunk < chunks ? __ldcs(w_rows[m] + chunk) : make_uint4(0, 0, 0, 0);
      }
    }
#pragma unroll
    for (int u = 0; u < kLoadsInFlight; ++u) {
      const int64_t chunk = base + u * 32;
      if (chunk >= chunks) break;
#pragma unroll
      for (int m = 0; m < kMatrices; ++m) {
#pragma unroll
        for (int r = 0; r < kRows; ++r) accumulate(packed[m][u], x + r * in, chunk, acc[m][r]);
      }
    }
  }
#pragma unroll
  for (int m = 0; m < kMatrices; ++m) {
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      for (int offset = 16; offset > 0; offset /= 2) acc[m][r] += __shfl_xor_sync(0xffffffffu, acc[m][r], offset);
    }
  }
  if (lane != 0) return;
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    const float value = acc[0][r] + (bias != nullptr ? bias[o] : 0.0f);
    if constexpr (kSwiglu) {
      const float up = acc[1][r] + (bias != nullptr ? bias[outs + o] : 0.0f);
      out[r * outs + o] = value / (1.0f + expf(-value)) * up;
    } else {
      out[r * outs + o] = value;
    }
  }
}

// `outs` output columns per row (kSwiglu: F, of a weight with 2F rows).
template <int kRows, bool kSwiglu>
void launch_rows(const float* x, const __nv_bfloat16* w, const float* bias, int64_t in, int64_t outs, float* out,
                 cudaStream_t stream) {
  const auto blocks = static_cast<unsigned>((outs + kWarpsPerBlock - 1) / kWarpsPerBlock);
  auto* kernel = in >= kLongRow ? gemv_kernel<kRows, kLongRowLoads, kSwiglu> : gemv_kernel<kRows, kShortRowLoads, kSwiglu>;
  launch_dependent(kernel, blocks, kWarpsPerBlock * 32, 0, stream, x, w, bias, in, outs, out);
}

template <bool kSwiglu>
void launch(const float* x, const void* w, const float* bias, int64_t rows, int64_t in, int64_t outs, float* out,
            cudaStream_t stream) {
  const auto* weights = static_cast<const __nv_bfloat16*>(w);
  switch (rows) {
    case 1: launch_rows<1, kSwiglu>(x, weights, bias, in, outs, out, stream); break;
    case 2: launch_rows<2, kSwiglu>(x, weights, bias, in, outs, out, stream); break;
    case 3: launch_rows<3, kSwiglu>(x, weights, bias, in, outs, out, stream); break;
    default: launch_rows<4, kSwiglu>(x, weights, bias, in, outs, out, stream); break;
  }
}

}  // namespace

bool gemv_fits(const GemmShape& shape, ElementType w_type) {
  return w_type == ElementType::kBF16 && shape.batch == 1 && shape.rows >= 1 && shape.rows <= kGemvMaxRows &&
         shape.in % 8 == 0 && shape.x_row_stride == shape.in && shape.out_row_stride == shape.outs;
}

void launch_gemv(const float* x, const void* w, const float* bias, const GemmShape& shape, float* out,
                 cudaStream_t stream) {
  launch<false>(x, w, bias, shape.rows, shape.in, shape.outs, out, stream);
}

void launch_gemv_swiglu(const float* x, const void* w, const float* bias, const GemmShape& shape, float* out,
                        cudaStream_t stream) {
  launch<true>(x, w, bias, shape.rows, shape.in, shape.outs / 2, out, stream);
}

}  // namespace r1b::kernels
