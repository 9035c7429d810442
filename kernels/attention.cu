// Paged causal attention for dispatch.h.
//
// Strategy: one thread block per (query row, head), walking the row's visible positions in tiles
// of kTile keys with an online softmax (running max and sum, rescaled per tile), so any context
// length fits in a fixed amount of shared memory. Within a tile each thread scores whole keys
// (a serial dot product against the query held in shared memory), then each thread owns output
// columns d, d + blockDim, ... and accumulates Σ p · value[d] over the tile. The accumulator lives
// in shared memory ([v_dim] floats) rather than registers so that MLA's 512-wide latent values
// need no per-thread limit. Correct for every shape, not fast (speed is a later step).
#include <cfloat>

#include "kernels/cuda_check.cuh"
#include "kernels/dispatch.h"

namespace r1b::kernels {

namespace {

constexpr int kThreads = 128;
constexpr int kTile = 128;

__global__ void attention_kernel(const float* q, const float* keys, const float* values, const int32_t* row_info,
                                 const int32_t* block_tables, AttentionShape shape, float* out) {
  extern __shared__ float shared[];
  float* q_head = shared;                       // [k_dim]
  float* accum = q_head + shape.k_dim;          // [v_dim]
  float* probs = accum + shape.v_dim;           // [kTile]
  __shared__ int64_t slots[kTile];
  __shared__ float scratch[32];

  const int64_t r = blockIdx.x;
  const int64_t h = blockIdx.y;
  const int64_t token = row_info[r];
  const int64_t visible = row_info[shape.num_rows + r];
  const int32_t* table = block_tables + row_info[2 * shape.num_rows + r];
  const int64_t kv_head = h / (shape.heads / shape.kv_heads);
  const float* q_src = q + (token * shape.heads + h) * shape.k_dim;
  for (int64_t d = threadIdx.x; d < shape.k_dim; d += blockDim.x) q_head[d] = q_src[d];
  for (int64_t d = threadIdx.x; d < shape.v_dim; d += blockDim.x) accum[d] = 0.0f;
  __syncthreads();

  float running_max = -FLT_MAX;
  float running_sum = 0.0f;
  for (int64_t begin = 0; begin < visible; begin += kTile) {
    const int64_t count = visible - begin < kTile ? visible - begin : kTile;
    float tile_max = -FLT_MAX;
    for (int64_t j = threadIdx.x; j < count; j += blockDim.x) {
      const int64_t p = begin + j;
      const int64_t slot = int64_t{table[p / shape.block_size]} * shape.block_size + p % shape.block_size;
      slots[j] = slot;
      const float* key = keys + slot * shape.k_row + kv_head * shape.k_dim;
      float dot = 0.0f;
      for (int64_t d = 0; d < shape.k_dim; ++d) dot += q_head[d] * key[d];
      probs[j] = dot * shape.scale;
      tile_max = fmaxf(tile_max, probs[j]);
    }
    tile_max = block_reduce(tile_max, scratch, /*is_max=*/true);  // also a barrier for probs / slots
    const float new_max = fmaxf(running_max, tile_max);
    const float correction = expf(running_max - new_max);
    float tile_sum = 0.0f;
    for (int64_t j = threadIdx.x; j < count; j += blockDim.x) {
      probs[j] = expf(probs[j] - new_max);
      tile_sum += probs[j];
    }
    tile_sum = block_reduce(tile_sum, scratch, /*is_max=*/false);
    running_sum = running_sum * correction + tile_sum;
    running_max = new_max;
    for (int64_t d = threadIdx.x; d < shape.v_dim; d += blockDim.x) {
      float sum = accum[d] * correction;
      for (int64_t j = 0; j < count; ++j) sum += probs[j] * values[slots[j] * shape.v_row + kv_head * shape.v_head_stride + d];
      accum[d] = sum;
    }
    __syncthreads();  // probs and slots are rewritten by the next tile
  }
  float* dst = out + (token * shape.heads + h) * shape.v_dim;
  for (int64_t d = threadIdx.x; d < shape.v_dim; d += blockDim.x) dst[d] = accum[d] / running_sum;
}

}  // namespace

void attention(const float* q, const float* keys, const float* values, const int32_t* row_info,
               const int32_t* block_tables, const AttentionShape& shape, float* out, Stream stream) {
  if (shape.num_rows == 0 || shape.heads == 0) return;
  const size_t shared_bytes = static_cast<size_t>(shape.k_dim + shape.v_dim + kTile) * sizeof(float);
  if (shared_bytes > 48 * 1024) {
    R1B_CUDA_CHECK(cudaFuncSetAttribute(attention_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(shared_bytes)));
  }
  const dim3 grid(static_cast<unsigned>(shape.num_rows), static_cast<unsigned>(shape.heads));
  attention_kernel<<<grid, kThreads, shared_bytes, as_cuda(stream)>>>(q, keys, values, row_info, block_tables, shape,
                                                                      out);
  R1B_CUDA_CHECK_LAUNCH();
}

}  // namespace r1b::kernels
