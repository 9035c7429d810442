// Rotary embedding for dispatch.h: rope() / rope_into() and rope_write_qkv take one thread per
// (token, head, pair); rope_write_qkv adds the projection's bias on the way. The angle is
// inv_freq · position in fp32 and cos / sin are the accurate cosf / sinf (never the fast
// intrinsics), as the CPU spec and transformers compute them. rope_write_qkv applies the same
// rotation to the q and k heads of a fused projection on their way to q_out and the KV cache;
// split_mla_projection normalises and rotates MLA's latent rows on their way to the cache, one
// block per row, and copies (or normalises) the query part of the same product beside it;
// rope_query_write_latent does the same latent rows and rotates the query's rope columns, read in
// place from the product, into the absorbed query beside them; given W_UK (a decode step's few
// rows) the same pass also runs the absorbed query's per-head product in blocks of its own, so
// the step has no product kernel before it.
#include <cuda_bf16.h>

#include "kernels/cuda_check.cuh"
#include "kernels/dependent_launch.cuh"
#include "kernels/dispatch.h"
#include "kernels/gemv.cuh"

namespace r1b::kernels {

namespace {

constexpr int kThreads = 256;
constexpr int kLatentThreads = 128;  // a latent row of 512 + 64 columns: 4 + 1 values a thread
// W_UK rows a warp of rope_query_write_latent's product blocks sums; a block's rows.
constexpr int kAbsorbRowsPerWarp = 8;
constexpr int kAbsorbRowsPerBlock = kLatentThreads / 32 * kAbsorbRowsPerWarp;

// Rotates the pair (a, b) of frequency `pair` to `position`, scaled by the attention factor (the
// spec's order of operations: every kernel below must round alike).
__device__ inline void rotate_pair(float& a, float& b, const float* inv_freq, int64_t pair, int32_t position,
                                   const RopeShape& shape) {
  const float angle = inv_freq[pair] * static_cast<float>(position);
  const float cos_value = cosf(angle) * shape.attention_factor;
  const float sin_value = sinf(angle) * shape.attention_factor;
  const float rotated_a = a * cos_value - b * sin_value;
  b = b * cos_value + a * sin_value;
  a = rotated_a;
}

__device__ inline void store(float* dst, float value) { *dst = value; }
__device__ inline void store(__nv_bfloat16* dst, float value) { *dst = __float2bfloat16_rn(value); }

// Rotated pair `pair` of one head: its two columns of `src` (the head's rotated part; pair and
// pair + half, or 2·pair and 2·pair + 1 when interleaved) rotated to `position` and stored at the
// same columns of `dst`. dst may be src (in place).
template <typename T>
__device__ inline void rotate_head_pair(const float* src, T* dst, int64_t pair, int32_t position, const float* inv_freq,
                                        const RopeShape& shape) {
  const int64_t first = shape.interleaved ? 2 * pair : pair;
  const int64_t second = shape.interleaved ? 2 * pair + 1 : pair + shape.half;
  float a = src[first], b = src[second];
  rotate_pair(a, b, inv_freq, pair, position, shape);
  store(dst + first, a);
  store(dst + second, b);
}

// Heads of x and of out are head_dim and out_head_dim apart; the pair's columns start at
// shape.rot_offset in x's head and at out_offset in out's. out may be x (in place).
__global__ void rope_kernel(const float* x, const int32_t* positions, const float* inv_freq, RopeShape shape,
                            float* out, int64_t out_head_dim, int64_t out_offset) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int64_t n = shape.tokens * shape.heads * shape.half;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t head_row = i / shape.half;  // t · heads + h
    rotate_head_pair(x + head_row * shape.head_dim + shape.rot_offset, out + head_row * out_head_dim + out_offset,
                     i % shape.half, positions[head_row / shape.heads], inv_freq, shape);
  }
}

// Thread u of token row t (grid y, striding) takes two columns of head u / (head_dim / 2) of the
// fused row: a rotated pair of a q or k head, or two neighbouring columns past the rotated ones or
// of a v head. It adds their bias, rotates them, and stores them to q_out or to the cache row. A
// token's threads fill a few blocks, so a decode step of one row is one short pass, not a loop.
template <typename C>
__global__ void __launch_bounds__(kThreads)
    rope_write_qkv_kernel(const float* qkv, const float* bias, const int32_t* positions, const float* inv_freq,
                          RopeShape shape, int kv_heads, const int32_t* slots, float* q_out, C* k_cache, C* v_cache) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int head_dim = static_cast<int>(shape.head_dim);
  const int q_heads = static_cast<int>(shape.heads);
  const int units = head_dim / 2;
  const int u = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (u >= (q_heads + 2 * kv_heads) * units) return;
  const int head = u / units, pair = u % units;
  const bool rotated = head < q_heads + kv_heads && pair < shape.half;
  const int first = rotated && !shape.interleaved ? pair : 2 * pair;
  const int second = rotated && !shape.interleaved ? pair + static_cast<int>(shape.half) : 2 * pair + 1;
  const int64_t width = int64_t{q_heads + 2 * kv_heads} * head_dim;
  const int64_t kv_width = int64_t{kv_heads} * head_dim;
  const float bias_first = bias != nullptr ? bias[head * head_dim + first] : 0.0f;
  const float bias_second = bias != nullptr ? bias[head * head_dim + second] : 0.0f;
  for (int64_t t = blockIdx.y; t < shape.tokens; t += gridDim.y) {
    const float* row = qkv + t * width + head * head_dim;
    float a = row[first] + bias_first;
    float b = row[second] + bias_second;
    if (rotated) rotate_pair(a, b, inv_freq, pair, positions[t], shape);
    if (head < q_heads) {
      float* dst = q_out + (t * q_heads + head) * head_dim;
      dst[first] = a;
      dst[second] = b;
    } else {
      const bool is_key = head < q_heads + kv_heads;
      const int cache_head = head - q_heads - (is_key ? 0 : kv_heads);
      C* dst = (is_key ? k_cache : v_cache) + slots[t] * kv_width + cache_head * head_dim;
      store(dst + first, a);
      store(dst + second, b);
    }
  }
}

// The RMSNorm of the n values of `row` by weight (as norm.cu's: a block reduction for the mean
// square): the block's threads hand value i to put(i, value).
template <typename Put>
__device__ inline void norm_row(const float* row, int n, const float* weight, float eps, float* scratch, Put put) {
  float sum = 0.0f;
  for (int i = threadIdx.x; i < n; i += kLatentThreads) sum += row[i] * row[i];
  const float inv_rms = 1.0f / sqrtf(block_reduce(sum, scratch, /*is_max=*/false) / static_cast<float>(n) + eps);
  for (int i = threadIdx.x; i < n; i += kLatentThreads) put(i, weight[i] * (row[i] * inv_rms));
}

// The latent part `row` of a fused MLA projection row (shape.head_dim columns) to `cache_row`,
// by the block's kLatentThreads threads: its first shape.rot_offset (lora) columns normalised by
// kv_norm, the shape.half pairs after them rotated to `position`.
template <typename C>
__device__ inline void write_latent_row(const float* row, const float* kv_norm, float eps, int32_t position,
                                        const float* inv_freq, const RopeShape& shape, C* cache_row, float* scratch) {
  const auto lora = static_cast<int>(shape.rot_offset);
  norm_row(row, lora, kv_norm, eps, scratch, [&](int i, float value) { store(cache_row + i, value); });
  for (int pair = threadIdx.x; pair < shape.half; pair += kLatentThreads) {
    rotate_head_pair(row + lora, cache_row + lora, pair, position, inv_freq, shape);
  }
}

// Block (t, 0) takes the latent part of proj's row t (write_latent_row, to the cache row
// slots[t]). Block (t, 1) takes the query part: copied to q's row t, or normalised when q_norm is
// not null. The two parts run side by side, so a decode step of one row is one short pass.
template <typename C>
__global__ void __launch_bounds__(kLatentThreads)
    split_mla_projection_kernel(const float* proj, int64_t q_width, const float* q_norm, const float* kv_norm,
                                float eps, const int32_t* positions, const float* inv_freq, RopeShape shape,
                                const int32_t* slots, C* cache, float* q) {
  __shared__ float scratch[32];
  let_next_kernel_start();
  wait_for_previous_kernel();
  const float* row = proj + blockIdx.x * (q_width + shape.head_dim);
  if (blockIdx.y == 0) {
    write_latent_row(row + q_width, kv_norm, eps, positions[blockIdx.x], inv_freq, shape,
                     cache + int64_t{slots[blockIdx.x]} * shape.head_dim, scratch);
    return;
  }
  float* dst = q + blockIdx.x * q_width;
  const auto width = static_cast<int>(q_width);
  if (q_norm != nullptr) {
    norm_row(row, width, q_norm, eps, scratch, [&](int i, float value) { dst[i] = value; });
  } else if (width % 4 == 0 && shape.head_dim % 4 == 0) {  // every row of proj and of q 16-byte aligned
    const auto* from = reinterpret_cast<const float4*>(row);
    auto* to = reinterpret_cast<float4*>(dst);
#pragma unroll 8
    for (int i = threadIdx.x; i < width / 4; i += kLatentThreads) to[i] = from[i];
  } else {
    for (int i = threadIdx.x; i < width; i += kLatentThreads) dst[i] = row[i];
  }
}

// rope_query_write_latent_kernel's product blocks: none without W_UK.
__host__ __device__ inline int64_t absorb_blocks(const RopeShape& q_shape, const QueryAbsorption& absorb) {
  return absorb.w_uk != nullptr ? q_shape.heads * absorb.lora / kAbsorbRowsPerBlock : 0;
}

// A product block of rope_query_write_latent_kernel: warp w of block b sums the kAbsorbRowsPerWarp
// rows from (b · kLatentThreads / 32 + w) · kAbsorbRowsPerWarp of W_UK flattened over
// [heads, lora] (lora a multiple of kAbsorbRowsPerBlock, so they lie in one head) for every token,
// as gemv.cu's kernel sums a row with one warp: lane l takes the 8 nope columns of chunk l, then
// a butterfly over the warp, so the values equal that product's. The weights are in registers
// before the wait (nothing in a step writes them); lane i stores row i.
__device__ inline void absorb_query_rows(const float* proj, int64_t proj_row, const RopeShape& q_shape,
                                         const QueryAbsorption& absorb, float* q_latent, int64_t out_head_dim) {
  const int warp = static_cast<int>(threadIdx.x / 32), lane = static_cast<int>(threadIdx.x % 32);
  const int64_t first = (blockIdx.x * int64_t{kLatentThreads / 32} + warp) * kAbsorbRowsPerWarp;
  const int64_t head = first / absorb.lora;
  const int64_t nope = q_shape.rot_offset;
  const bool loads = lane < nope / 8;
  const auto* rows = reinterpret_cast<const uint4*>(static_cast<const __nv_bfloat16*>(absorb.w_uk) + first * nope);
  uint4 w[kAbsorbRowsPerWarp];
#pragma unroll
  for (int i = 0; i < kAbsorbRowsPerWarp; ++i) w[i] = loads ? __ldg(rows + i * nope / 8 + lane) : make_uint4(0, 0, 0, 0);
  let_next_kernel_start();
  wait_for_previous_kernel();
  for (int64_t t = 0; t < q_shape.tokens; ++t) {
    const float* x = proj + t * proj_row + head * q_shape.head_dim;
    float mine = 0.0f;
#pragma unroll
    for (int i = 0; i < kAbsorbRowsPerWarp; ++i) {
      float acc = 0.0f;
      if (loads) accumulate_bf16x8(w[i], x, lane, acc);
#pragma unroll
      for (int offset = 16; offset > 0; offset /= 2) acc += __shfl_xor_sync(0xffffffffu, acc, offset);
      if (lane == i) mine = acc;
    }
    if (lane < kAbsorbRowsPerWarp) q_latent[(t * q_shape.heads + head) * out_head_dim + first % absorb.lora + lane] = mine;
  }
}

// Blocks b < absorb_blocks(): absorb_query_rows. Then per token t two blocks: the first as block
// (t, 0) of split_mla_projection_kernel (the latent row), the second rotating the rope pairs of
// token t's query heads, read in place from proj's row t (q_shape: heads of q_shape.head_dim
// columns, pairs from q_shape.rot_offset), into q_latent's heads (out_head_dim apart) from column
// out_offset, as rope_into() does.
template <typename C>
__global__ void __launch_bounds__(kLatentThreads)
    rope_query_write_latent_kernel(const float* proj, RopeShape q_shape, const float* kv_norm, float eps,
                                   const int32_t* positions, const float* inv_freq, RopeShape shape,
                                   const int32_t* slots, C* cache, float* q_latent, int64_t out_head_dim,
                                   int64_t out_offset, QueryAbsorption absorb) {
  __shared__ float scratch[32];
  const int64_t q_width = q_shape.heads * q_shape.head_dim;
  const int64_t proj_row = q_width + shape.head_dim;
  const int64_t product_blocks = absorb_blocks(q_shape, absorb);
  if (blockIdx.x < product_blocks) {
    absorb_query_rows(proj, proj_row, q_shape, absorb, q_latent, out_head_dim);
    return;
  }
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int64_t j = blockIdx.x - product_blocks;  // 2t: token t's latent row; 2t + 1: its query
  const int64_t t = j / 2;
  const float* row = proj + t * proj_row;
  if (j % 2 == 0) {
    write_latent_row(row + q_width, kv_norm, eps, positions[t], inv_freq, shape,
                     cache + int64_t{slots[t]} * shape.head_dim, scratch);
    return;
  }
  for (int64_t i = threadIdx.x; i < q_shape.heads * q_shape.half; i += kLatentThreads) {
    const int64_t h = i / q_shape.half;
    rotate_head_pair(row + h * q_shape.head_dim + q_shape.rot_offset,
                     q_latent + (t * q_shape.heads + h) * out_head_dim + out_offset, i % q_shape.half, positions[t],
                     inv_freq, q_shape);
  }
}

}  // namespace

void rope_write_qkv(const float* qkv, const float* bias, const int32_t* positions, const float* inv_freq,
                    const RopeShape& shape, int64_t kv_heads, const int32_t* slots, float* q_out, void* k_cache,
                    void* v_cache, ElementType cache_type, Stream stream) {
  if (shape.tokens == 0) return;
  const int64_t units = (shape.heads + 2 * kv_heads) * (shape.head_dim / 2);
  const dim3 grid(grid_for(units, kThreads), static_cast<unsigned>(shape.tokens < 65535 ? shape.tokens : 65535));
  const auto kv = static_cast<int>(kv_heads);
  if (cache_type == ElementType::kBF16) {
    launch_dependent(rope_write_qkv_kernel<__nv_bfloat16>, grid, kThreads, 0, as_cuda(stream), qkv, bias, positions,
                     inv_freq, shape, kv, slots, q_out, static_cast<__nv_bfloat16*>(k_cache),
                     static_cast<__nv_bfloat16*>(v_cache));
  } else {
    launch_dependent(rope_write_qkv_kernel<float>, grid, kThreads, 0, as_cuda(stream), qkv, bias, positions,
                     inv_freq, shape, kv, slots, q_out, static_cast<float*>(k_cache), static_cast<float*>(v_cache));
  }
}

void rope_into(const float* x, const int32_t* positions, const float* inv_freq, const RopeShape& shape, float* out,
               int64_t out_head_dim, int64_t out_offset, Stream stream) {
  const int64_t n = shape.tokens * shape.heads * shape.half;
  if (n == 0) return;
  launch_dependent(rope_kernel, grid_for(n, kThreads), kThreads, 0, as_cuda(stream), x, positions, inv_freq, shape, out,
                   out_head_dim, out_offset);
}

void rope(float* x, const int32_t* positions, const float* inv_freq, const RopeShape& shape, Stream stream) {
  rope_into(x, positions, inv_freq, shape, x, shape.head_dim, shape.rot_offset, stream);
}

void split_mla_projection(const float* proj, int64_t q_width, const float* q_norm, const float* kv_norm, float eps,
                          const int32_t* positions, const float* inv_freq, const RopeShape& shape,
                          const int32_t* slots, void* cache, ElementType cache_type, float* q, Stream stream) {
  if (shape.tokens == 0) return;
  const dim3 grid(static_cast<unsigned>(shape.tokens), 2);
  if (cache_type == ElementType::kBF16) {
    launch_dependent(split_mla_projection_kernel<__nv_bfloat16>, grid, kLatentThreads, 0, as_cuda(stream), proj,
                     q_width, q_norm, kv_norm, eps, positions, inv_freq, shape, slots,
                     static_cast<__nv_bfloat16*>(cache), q);
  } else {
    launch_dependent(split_mla_projection_kernel<float>, grid, kLatentThreads, 0, as_cuda(stream), proj, q_width,
                     q_norm, kv_norm, eps, positions, inv_freq, shape, slots, static_cast<float*>(cache), q);
  }
}

bool query_absorption_fits(const float* proj, int64_t proj_row, const RopeShape& q_shape,
                           const QueryAbsorption& absorb, ElementType w_type) {
  const int64_t nope = q_shape.rot_offset;
  const auto aligned = [](const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; };
  return w_type == ElementType::kBF16 && q_shape.tokens >= 1 && q_shape.tokens <= kGemvMaxRows && nope >= 8 &&
         nope % 8 == 0 && nope / 8 <= 32 && absorb.lora >= kAbsorbRowsPerBlock &&
         absorb.lora % kAbsorbRowsPerBlock == 0 && q_shape.head_dim % 4 == 0 && proj_row % 4 == 0 && aligned(proj) &&
         aligned(absorb.w_uk);
}

void rope_query_write_latent(const float* proj, const RopeShape& q_shape, const float* kv_norm, float eps,
                             const int32_t* positions, const float* inv_freq, const RopeShape& shape,
                             const int32_t* slots, void* cache, ElementType cache_type, float* q_latent,
                             int64_t out_head_dim, int64_t out_offset, const QueryAbsorption& absorb, Stream stream) {
  if (shape.tokens == 0) return;
  const auto grid = static_cast<unsigned>(absorb_blocks(q_shape, absorb) + 2 * shape.tokens);
  if (cache_type == ElementType::kBF16) {
    launch_dependent(rope_query_write_latent_kernel<__nv_bfloat16>, grid, kLatentThreads, 0, as_cuda(stream), proj,
                     q_shape, kv_norm, eps, positions, inv_freq, shape, slots, static_cast<__nv_bfloat16*>(cache),
                     q_latent, out_head_dim, out_offset, absorb);
  } else {
    launch_dependent(rope_query_write_latent_kernel<float>, grid, kLatentThreads, 0, as_cuda(stream), proj, q_shape,
                     kv_norm, eps, positions, inv_freq, shape, slots, static_cast<float*>(cache), q_latent,
                     out_head_dim, out_offset, absorb);
  }
}

}  // namespace r1b::kernels
