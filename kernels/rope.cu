// Rotary embedding for dispatch.h: one thread per (token, head, pair). The angle is
// inv_freq · position in fp32 and cos / sin are the accurate cosf / sinf (never the fast
// intrinsics), as the CPU spec and transformers compute them.
#include "kernels/cuda_check.cuh"
#include "kernels/dispatch.h"

namespace r1b::kernels {

namespace {

constexpr int kThreads = 256;

__global__ void rope_kernel(float* x, const int32_t* positions, const float* inv_freq, RopeShape shape) {
  const int64_t n = shape.tokens * shape.heads * shape.half;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t pair = i % shape.half;
    const int64_t head_row = i / shape.half;  // t · heads + h
    const int64_t t = head_row / shape.heads;
    const float angle = inv_freq[pair] * static_cast<float>(positions[t]);
    const float cos_value = cosf(angle) * shape.attention_factor;
    const float sin_value = sinf(angle) * shape.attention_factor;
    float* head = x + head_row * shape.head_dim + shape.rot_offset;
    float* first = shape.interleaved ? head + 2 * pair : head + pair;
    float* second = shape.interleaved ? head + 2 * pair + 1 : head + pair + shape.half;
    const float a = *first;
    const float b = *second;
    *first = a * cos_value - b * sin_value;
    *second = b * cos_value + a * sin_value;
  }
}

}  // namespace

void rope(float* x, const int32_t* positions, const float* inv_freq, const RopeShape& shape, Stream stream) {
  const int64_t n = shape.tokens * shape.heads * shape.half;
  if (n == 0) return;
  rope_kernel<<<grid_for(n, kThreads), kThreads, 0, as_cuda(stream)>>>(x, positions, inv_freq, shape);
  R1B_CUDA_CHECK_LAUNCH();
}

}  // namespace r1b::kernels
