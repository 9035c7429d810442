// Rotary embedding for dispatch.h: rope() takes one thread per (token, head, pair), rope_write_qkv
// one block per token, adding the projection's bias on the way. The angle is
// inv_freq · position in fp32 and cos / sin are the accurate cosf / sinf (never the fast
// intrinsics), as the CPU spec and transformers compute them. rope_write_qkv applies the same
// rotation to the q and k heads of a fused projection on their way to q_out and the KV cache.
#include <cuda_bf16.h>

#include "kernels/cuda_check.cuh"
#include "kernels/dependent_launch.cuh"
#include "kernels/dispatch.h"

namespace r1b::kernels {

namespace {

constexpr int kThreads = 256;

__global__ void rope_kernel(float* x, const int32_t* positions, const float* inv_freq, RopeShape shape) {
  let_next_kernel_start();
  wait_for_previous_kernel();
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

__device__ inline void store(float* dst, float value) { *dst = value; }
__device__ inline void store(__nv_bfloat16* dst, float value) { *dst = __float2bfloat16_rn(value); }


// One block per token (grid-stride): its cos / sin pairs are computed once into shared memory,
// then each thread takes columns of the fused row: the rotated (or copied) value goes to q_out or
// to its cache row.
template <typename C>
__global__ void __launch_bounds__(kThreads)
    rope_write_qkv_kernel(const float* qkv, const float* bias, const int32_t* positions, const float* inv_freq,
                          RopeShape shape, int64_t kv_heads, const int32_t* slots, float* q_out, C* k_cache,
                          C* v_cache) {
  __shared__ float cos_s[kRopeWriteMaxPairs];
  __shared__ float sin_s[kRopeWriteMaxPairs];
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int64_t q_width = shape.heads * shape.head_dim;
  const int64_t kv_width = kv_heads * shape.head_dim;
  const int64_t width = q_width + 2 * kv_width;
  for (int64_t t = blockIdx.x; t < shape.tokens; t += gridDim.x) {
    __syncthreads();  // the previous token's angles are no longer read
    const auto position = static_cast<float>(positions[t]);
    for (int64_t pair = threadIdx.x; pair < shape.half; pair += blockDim.x) {
      const float angle = inv_freq[pair] * position;
      cos_s[pair] = cosf(angle) * shape.attention_factor;
      sin_s[pair] = sinf(angle) * shape.attention_factor;
    }
    __syncthreads();
    const float* row = qkv + t * width;
    const int64_t slot = slots[t];
    const auto column = [&](int64_t c) { return row[c] + (bias != nullptr ? bias[c] : 0.0f); };
    for (int64_t c = threadIdx.x; c < width; c += blockDim.x) {
      float value = column(c);
      const int64_t j = c % shape.head_dim;
      if (c < q_width + kv_width && j < 2 * shape.half) {
        const int64_t head = c - j;
        const int64_t pair = shape.interleaved ? j / 2 : j % shape.half;
        const bool first = shape.interleaved ? j % 2 == 0 : j < shape.half;
        const float a = column(shape.interleaved ? head + 2 * pair : head + pair);
        const float b = column(shape.interleaved ? head + 2 * pair + 1 : head + pair + shape.half);
        value = first ? a * cos_s[pair] - b * sin_s[pair] : b * cos_s[pair] + a * sin_s[pair];
      }
      if (c < q_width) {
        q_out[t * q_width + c] = value;
      } else if (c < q_width + kv_width) {
        store(k_cache + slot * kv_width + (c - q_width), value);
      } else {
        store(v_cache + slot * kv_width + (c - q_width - kv_width), value);
      }
    }
  }
}

}  // namespace

void rope_write_qkv(const float* qkv, const float* bias, const int32_t* positions, const float* inv_freq,
                    const RopeShape& shape, int64_t kv_heads, const int32_t* slots, float* q_out, void* k_cache,
                    void* v_cache, ElementType cache_type, Stream stream) {
  const int64_t n = shape.tokens * (shape.heads + 2 * kv_heads) * shape.head_dim;
  if (n == 0) return;
  const auto blocks = static_cast<unsigned>(shape.tokens < 65535 ? shape.tokens : 65535);
  if (cache_type == ElementType::kBF16) {
    launch_dependent(rope_write_qkv_kernel<__nv_bfloat16>, blocks, kThreads, 0, as_cuda(stream), qkv, bias, positions,
                     inv_freq, shape, kv_heads, slots, q_out, static_cast<__nv_bfloat16*>(k_cache),
                     static_cast<__nv_bfloat16*>(v_cache));
  } else {
    launch_dependent(rope_write_qkv_kernel<float>, blocks, kThreads, 0, as_cuda(stream), qkv, bias, positions,
                     inv_freq, shape, kv_heads, slots, q_out, static_cast<float*>(k_cache),
                     static_cast<float*>(v_cache));
  }
}

void rope(float* x, const int32_t* positions, const float* inv_freq, const RopeShape& shape, Stream stream) {
  const int64_t n = shape.tokens * shape.heads * shape.half;
  if (n == 0) return;
  launch_dependent(rope_kernel, grid_for(n, kThreads), kThreads, 0, as_cuda(stream), x, positions, inv_freq, shape);
}

}  // namespace r1b::kernels
