// The small-batch product (gemv.cuh): one warp per output column o. Each lane takes 8 consecutive
// weights at a time as one 16-byte load (four, or for long rows eight, such loads in flight per
// lane), the matching x values as two float4 loads per row (the warp reads x contiguously; x stays
// in L1/L2), and the warp sums its lanes with shuffles at the end.
#include <cuda_bf16.h>

#include "kernels/cuda_check.cuh"
#include "kernels/gemv.cuh"

namespace r1b::kernels {

namespace {

constexpr int kWarpsPerBlock = 8;
// 16-byte weight loads each lane issues before using them: more for long rows (a down projection
// has few outputs, hence few warps, each streaming a long row).
constexpr int kShortRowLoads = 4;
constexpr int kLongRowLoads = 8;
constexpr int64_t kLongRow = 4096;

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

template <int kRows, int kLoadsInFlight>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    gemv_kernel(const float* __restrict__ x, const __nv_bfloat16* __restrict__ w, const float* __restrict__ bias,
                int64_t in, int64_t outs, float* __restrict__ out) {
  const int64_t o = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / 32;
  if (o >= outs) return;
  const int lane = static_cast<int>(threadIdx.x % 32);
  const int64_t chunks = in / 8;
  const auto* w_row = reinterpret_cast<const uint4*>(w + o * in);
  float acc[kRows] = {};
  for (int64_t base = lane; base < chunks; base += 32 * kLoadsInFlight) {
    uint4 packed[kLoadsInFlight];
#pragma unroll
    for (int u = 0; u < kLoadsInFlight; ++u) {
      const int64_t chunk = base + u * 32;
      packed[u] = chunk < chunks ? __ldcs(w_row + chunk) : make_uint4(0, 0, 0, 0);
    }
#pragma unroll
    for (int u = 0; u < kLoadsInFlight; ++u) {
      const int64_t chunk = base + u * 32;
      if (chunk >= chunks) break;
#pragma unroll
      for (int r = 0; r < kRows; ++r) accumulate(packed[u], x + r * in, chunk, acc[r]);
    }
  }
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    for (int offset = 16; offset > 0; offset /= 2) acc[r] += __shfl_xor_sync(0xffffffffu, acc[r], offset);
  }
  if (lane == 0) {
    const float b = bias != nullptr ? bias[o] : 0.0f;
#pragma unroll
    for (int r = 0; r < kRows; ++r) out[r * outs + o] = acc[r] + b;
  }
}

template <int kRows>
void launch_rows(const float* x, const __nv_bfloat16* w, const float* bias, const GemmShape& shape, float* out,
                 cudaStream_t stream) {
  const auto blocks = static_cast<unsigned>((shape.outs + kWarpsPerBlock - 1) / kWarpsPerBlock);
  if (shape.in >= kLongRow) {
    gemv_kernel<kRows, kLongRowLoads><<<blocks, kWarpsPerBlock * 32, 0, stream>>>(x, w, bias, shape.in, shape.outs, out);
  } else {
    gemv_kernel<kRows, kShortRowLoads><<<blocks, kWarpsPerBlock * 32, 0, stream>>>(x, w, bias, shape.in, shape.outs,
                                                                                   out);
  }
  R1B_CUDA_CHECK_LAUNCH();
}

}  // namespace

bool gemv_fits(const GemmShape& shape, ElementType w_type) {
  return w_type == ElementType::kBF16 && shape.batch == 1 && shape.rows >= 1 && shape.rows <= kGemvMaxRows &&
         shape.in % 8 == 0 && shape.x_row_stride == shape.in && shape.out_row_stride == shape.outs;
}

void launch_gemv(const float* x, const void* w, const float* bias, const GemmShape& shape, float* out,
                 cudaStream_t stream) {
  const auto* weights = static_cast<const __nv_bfloat16*>(w);
  switch (shape.rows) {
    case 1: launch_rows<1>(x, weights, bias, shape, out, stream); break;
    case 2: launch_rows<2>(x, weights, bias, shape, out, stream); break;
    case 3: launch_rows<3>(x, weights, bias, shape, out, stream); break;
    default: launch_rows<4>(x, weights, bias, shape, out, stream); break;
  }
}

}  // namespace r1b::kernels
