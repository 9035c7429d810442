// RMSNorm for dispatch.h: one thread block per row; the mean square is a block reduction in
// fp32 (the CPU spec accumulates in double: rows of a few thousand elements differ by ~1e-7).
// Rows (16-byte aligned) whose width is a multiple of 4 and at most kThreads · 4 · kMaxVectors are read once, as
// float4 loads held in registers (a decode step's single row is then one round trip, not two
// passes of dependent loads); other widths take the plain two-pass loop. add_rmsnorm adds the
// residual delta on the way in and writes the sum back. Both are dependent launches
// (dependent_launch.cuh).
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

// With delta (add_rmsnorm): x += delta first (x written back), then the norm of the sum.
__global__ void rmsnorm_kernel(float* x, const float* delta, const float* weight, float eps, int64_t width,
                               float* out) {
  __shared__ float scratch[32];
  let_next_kernel_start();
  wait_for_previous_kernel();
  float* row = x + blockIdx.x * width;
  float* dst = out + blockIdx.x * width;
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < width; i += blockDim.x) {
    if (delta != nullptr) row[i] += delta[blockIdx.x * width + i];
    sum += row[i] * row[i];
  }
  const float inv_rms = inverse_rms(sum, scratch, eps, width);
  for (int64_t i = threadIdx.x; i < width; i += blockDim.x) dst[i] = weight[i] * (row[i] * inv_rms);
}

template <int kVectors>
__global__ void rmsnorm_vector_kernel(float* x, const float* delta, const float* weight, float eps, int64_t width,
                                      float* out) {
  __shared__ float scratch[32];
  let_next_kernel_start();
  wait_for_previous_kernel();
  auto* row = reinterpret_cast<float4*>(x + blockIdx.x * width);
  const auto* add = reinterpret_cast<const float4*>(delta + blockIdx.x * width);
  auto* dst = reinterpret_cast<float4*>(out + blockIdx.x * width);
  const auto* w = reinterpret_cast<const float4*>(weight);
  const int64_t vectors = width / 4;
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
    const float4 g = w[i];
    dst[i] = make_float4(g.x * (values[k].x * inv_rms), g.y * (values[k].y * inv_rms), g.z * (values[k].z * inv_rms),
                         g.w * (values[k].w * inv_rms));
  }
}

template <int kVectors>
void launch_vector(float* x, const float* delta, const float* weight, float eps, int64_t rows, int64_t width,
                   float* out, cudaStream_t stream) {
  launch_dependent(rmsnorm_vector_kernel<kVectors>, static_cast<unsigned>(rows), kThreads, 0, stream, x, delta, weight,
                   eps, width, out);
}

// rmsnorm() and add_rmsnorm(): delta null for the plain norm.
void launch_norm(float* x, const float* delta, const float* weight, float eps, int64_t rows, int64_t width,
                 float* out, Stream stream) {
  if (rows == 0) return;
  const int64_t vectors_per_thread = (width / 4 + kThreads - 1) / kThreads;
  cudaStream_t s = as_cuda(stream);
  const bool aligned = (reinterpret_cast<uintptr_t>(x) | reinterpret_cast<uintptr_t>(delta) |
                        reinterpret_cast<uintptr_t>(weight) | reinterpret_cast<uintptr_t>(out)) % 16 == 0;
  if (!aligned || width % 4 != 0 || vectors_per_thread > kMaxVectors) {
    launch_dependent(rmsnorm_kernel, static_cast<unsigned>(rows), kThreads, 0, s, x, delta, weight, eps, width, out);
  } else if (vectors_per_thread <= 2) {
    launch_vector<2>(x, delta, weight, eps, rows, width, out, s);
  } else if (vectors_per_thread <= 4) {
    launch_vector<4>(x, delta, weight, eps, rows, width, out, s);
  } else {
    launch_vector<kMaxVectors>(x, delta, weight, eps, rows, width, out, s);
  }
}

}  // namespace

void rmsnorm(const float* x, const float* weight, float eps, int64_t rows, int64_t width, float* out, Stream stream) {
  // Without a delta the kernels only read x.
  launch_norm(const_cast<float*>(x), nullptr, weight, eps, rows, width, out, stream);
}

void add_rmsnorm(float* x, const float* delta, const float* weight, float eps, int64_t rows, int64_t width, float* out,
                 Stream stream) {
  launch_norm(x, delta, weight, eps, rows, width, out, stream);
}

}  // namespace r1b::kernels
