// RMSNorm for dispatch.h: one thread block per row; the mean square is a block reduction in
// fp32 (the CPU spec accumulates in double: rows of a few thousand elements differ by ~1e-7).
#include "kernels/cuda_check.cuh"
#include "kernels/dispatch.h"

namespace r1b::kernels {

namespace {

constexpr int kThreads = 256;

__global__ void rmsnorm_kernel(const float* x, const float* weight, float eps, int64_t width, float* out) {
  __shared__ float scratch[32];
  const float* row = x + blockIdx.x * width;
  float* dst = out + blockIdx.x * width;
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < width; i += blockDim.x) sum += row[i] * row[i];
  const float mean_square = block_reduce(sum, scratch, /*is_max=*/false) / static_cast<float>(width);
  // As transformers: x · rsqrt(mean(x²) + eps) in fp32, then × weight.
  const float inv_rms = 1.0f / sqrtf(mean_square + eps);
  for (int64_t i = threadIdx.x; i < width; i += blockDim.x) dst[i] = weight[i] * (row[i] * inv_rms);
}

}  // namespace

void rmsnorm(const float* x, const float* weight, float eps, int64_t rows, int64_t width, float* out, Stream stream) {
  if (rows == 0) return;
  rmsnorm_kernel<<<static_cast<unsigned>(rows), kThreads, 0, as_cuda(stream)>>>(x, weight, eps, width, out);
  R1B_CUDA_CHECK_LAUNCH();
}

}  // namespace r1b::kernels
