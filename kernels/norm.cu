// RMSNorm for dispatch.h: one thread block per row; the mean square is a block reduction in
// fp32 (the CPU spec accumulates in double: rows of a few thousand elements differ by ~1e-7).
// Rows (16-byte aligned) whose width is a multiple of 4 and at most kThreads · 4 · kMaxVectors are read once, as
// float4 loads held in registers (a decode step's single row is then one round trip, not two
// passes of dependent loads); other widths take the plain two-pass loop. add_rmsnorm adds the
// residual delta on the way in and writes the sum back. out is fp32, or bf16 (rounded to nearest
// even) for a norm whose only reader is a product that takes bf16 input. Both are dependent
// launches (dependent_launch.cuh).
#include <cuda_bf16.h>

#include <cstdint>

#include "kernels/cuda_check.cuh"
#include "kernels/dependent_launch.cuh"
#include "kernels/dispatch.h"

namespace r1b::kernels {

namespace {

constexpr int kThreads = 256;
constexpr int kMaxVectors = 8;  // float4s per thread: widths up to 8192

// As transformers: x · rsqrt(mean(x²) + eps) in fp32, then × weight.
__device__ inline float inverse_rms(float sum_squares, float* scratch, float eps, int64_t width) {
  const float mean_square = block_reduce(sum_squares, scratch, /*is_max=*/false) / static_cast<float>(width);
  return 1.0f / sqrtf(mean_square + eps);
}

__device__ inline void store(float* dst, int64_t i, float value) { dst[i] = value; }
__device__ inline void store(__nv_bfloat16* dst, int64_t i, float value) { dst[i] = __float2bfloat16_rn(value); }

// Four values at dst[4·i ..]: one 16-byte store in fp32, one 8-byte store in bf16.
__device__ inline void store4(float* dst, int64_t i, float4 value) { reinterpret_cast<float4*>(dst)[i] = value; }
__device__ inline void store4(__nv_bfloat16* dst, int64_t i, float4 value) {
  const __nv_bfloat162 pairs[2] = {__floats2bfloat162_rn(value.x, value.y), __floats2bfloat162_rn(value.z, value.w)};
  reinterpret_cast<uint2*>(dst)[i] = *reinterpret_cast<const uint2*>(pairs);
}

// With delta (add_rmsnorm): x += delta first (x written back), then the norm of the sum.
template <typename Out>
__global__ void rmsnorm_kernel(float* x, const float* delta, const float* weight, float eps, int64_t width,
                               Out* out) {
  __shared__ float scratch[32];
  let_next_kernel_start();
  wait_for_previous_kernel();
  float* row = x + blockIdx.x * width;
  Out* dst = out + blockIdx.x * width;
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < width; i += blockDim.x) {
    if (delta != nullptr) row[i] += delta[blockIdx.x * width + i];
    sum += row[i] * row[i];
  }
  const float inv_rms = inverse_rms(sum, scratch, eps, width);
  for (int64_t i = threadIdx.x; i < width; i += blockDim.x) store(dst, i, weight[i] * (row[i] * inv_rms));
}

// The norm weights (which no op of a step writes) are loaded before the wait for x.
template <int kVectors, typename Out>
__global__ void rmsnorm_vector_kernel(float* x, const float* delta, const float* weight, float eps, int64_t width,
                                      Out* out) {
  __shared__ float scratch[32];
  const auto* w = reinterpret_cast<const float4*>(weight);
  const int64_t vectors = width / 4;
  float4 gains[kVectors];
#pragma unroll
  for (int k = 0; k < kVectors; ++k) {
    const int64_t i = threadIdx.x + int64_t{k} * kThreads;
    gains[k] = i < vectors ? w[i] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
  }
  let_next_kernel_start();
  wait_for_previous_kernel();
  auto* row = reinterpret_cast<float4*>(x + blockIdx.x * width);
  const auto* add = reinterpret_cast<const float4*>(delta + blockIdx.x * width);
  Out* dst = out + blockIdx.x * width;
  float4 values[kVectors];
  float sum = 0.0f;
#pragma unroll
  for (int k = 0; k < kVectors; ++k) {
    const int64_t i = threadIdx.x + int64_t{k} * kThreads;
    values[k] = i < vectors ? row[i] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    if (delta != nullptr && i < vectors) {
      const float4 d = add[i];
      values[k] = make_float4(values[k].x + d.x, values[k].y + d.y, values[k].z + d.z, values[k].w + d.w);
      row[i] = values[k];
    }
    sum += values[k].x * values[k].x + values[k].y * values[k].y + values[k].z * values[k].z + values[k].w * values[k].w;
  }
  const float inv_rms = inverse_rms(sum, scratch, eps, width);
#pragma unroll
  for (int k = 0; k < kVectors; ++k) {
    const int64_t i = threadIdx.x + int64_t{k} * kThreads;
    if (i >= vectors) break;
    const float4 g = gains[k];
    store4(dst, i,
           make_float4(g.x * (values[k].x * inv_rms), g.y * (values[k].y * inv_rms), g.z * (values[k].z * inv_rms),
                       g.w * (values[k].w * inv_rms)));
  }
}

template <int kVectors, typename Out>
void launch_vector(float* x, const float* delta, const float* weight, float eps, int64_t rows, int64_t width,
                   Out* out, cudaStream_t stream) {
  launch_dependent(rmsnorm_vector_kernel<kVectors, Out>, static_cast<unsigned>(rows), kThreads, 0, stream, x, delta,
                   weight, eps, width, out);
}

// rmsnorm() and add_rmsnorm(): delta null for the plain norm.
template <typename Out>
void launch_norm(float* x, const float* delta, const float* weight, float eps, int64_t rows, int64_t width, Out* out,
                 cudaStream_t stream) {
  const int64_t vectors_per_thread = (width / 4 + kThreads - 1) / kThreads;
  const bool aligned = (reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(delta) |
                        reinterpret_cast<uintptr_t>(weight) | reinterpret_cast<uintptr_t>(out)) % 16 == 0;
  if (!aligned || width % 4 != 0 || vectors_per_thread > kMaxVectors) {
    launch_dependent(rmsnorm_kernel<Out>, static_cast<unsigned>(rows), kThreads, 0, stream, x, delta, weight, eps,
                     width, out);
  } else if (vectors_per_thread <= 2) {
    launch_vector<2>(x, delta, weight, eps, rows, width, out, stream);
  } else if (vectors_per_thread <= 4) {
    launch_vector<4>(x, delta, weight, eps, rows, width, out, stream);
  } else {
    launch_vector<kMaxVectors>(x, delta, weight, eps, rows, width, out, stream);
  }
}

void launch_norm(float* x, const float* delta, const float* weight, float eps, int64_t rows, int64_t width, void* out,
                 ElementType out_type, Stream stream) {
  if (rows == 0) return;
  if (out_type == ElementType::kBF16) {
    launch_norm(x, delta, weight, eps, rows, width, static_cast<__nv_bfloat16*>(out), as_cuda(stream));
  } else {
    launch_norm(x, delta, weight, eps, rows, width, static_cast<float*>(out), as_cuda(stream));
  }
}

}  // namespace

void rmsnorm(const float* x, const float* weight, float eps, int64_t rows, int64_t width, void* out,
             ElementType out_type, Stream stream) {
  // Without a delta the kernels only read x.
  launch_norm(const_cast<float*>(x), nullptr, weight, eps, rows, width, out, out_type, stream);
}

void add_rmsnorm(float* x, const float* delta, const float* weight, float eps, int64_t rows, int64_t width, void* out,
                 ElementType out_type, Stream stream) {
  launch_norm(x, delta, weight, eps, rows, width, out, out_type, stream);
}

}  // namespace r1b::kernels
