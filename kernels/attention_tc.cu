// Prefill attention on the tensor cores (FlashAttention-2 style, paged, causal) for head width 128,
// over an fp32 cache (converted to bf16 on load); a bf16 cache runs on Hopper's wgmma instead
// (attention_wgmma.cu), which launch_tensor_core_attention picks.
//
// One block of kWarps warps takes a tile of up to kTensorCoreTileRows consecutive query rows of one
// sequence for kHeadsPerBlock query heads of one KV head; each warp owns 16 · kRowTiles rows of one
// head. The block walks the key positions in tiles of 64: each tile's keys and values are gathered
// through the block table into shared memory as bf16 (double-buffered: the next tile's loads are
// issued before this one is computed). Per tile each warp computes
//   S = Q · Kᵀ            mma.sync m16n8k16 (bf16 in, fp32 out), Q and K by ldmatrix,
//   online softmax        row max / sum in registers (a row's 4 lanes reduce by shuffles),
//   O = O · rescale + P·V P rounded to bf16 in registers as the A operand, V by ldmatrix.trans,
// with O in fp32 registers, normalised once at the end. Key tiles wholly beyond a warp's rows are
// skipped; only tiles that cross a row's causal limit are masked. The grid runs the sequence's
// last (longest) query tiles first, the heads of a KV head side by side (they share its tiles in
// L2). Q and P are rounded to bf16 — the engine's "bf16 activations" precision; every sum is fp32.
//
// Shape, by measurement on an H100 with a bf16 cache (before the wgmma kernel took that case; one
// 8192-token prompt, 12 heads / 2 KV heads: 898 µs, 230 TFLOP/s): 8 warps × 16 rows of one head;
// 64 tokens × 2 heads per block ran the same (898 µs) but idles half a block for odd groups (7B's
// 7 heads per KV head); 4 warps × 32 rows ran slower (959 µs: at 255 registers it spills).
//
// Shared memory rows are padded to 136 bf16 (272 bytes): the 8 rows an ldmatrix reads fall into
// distinct 16-byte bank groups.
#include <cuda_bf16.h>

#include "kernels/attention_tc.cuh"
#include "kernels/cuda_check.cuh"
#include "kernels/mma_fragments.cuh"

namespace r1b::kernels {

namespace {

constexpr int kWarps = 8;
constexpr int kRowTiles = 1;                      // 16-row mma tiles per warp
constexpr int kWarpRows = 16 * kRowTiles;
constexpr int kRows = kWarps * kWarpRows;         // (token, head) rows per block
constexpr int kHeadsPerBlock = 1;                 // query heads of one KV head per block
constexpr int kWarpsPerHead = kWarps / kHeadsPerBlock;
constexpr int kTokens = kRows / kHeadsPerBlock;   // == kTensorCoreTileRows
constexpr int kThreads = kWarps * 32;
constexpr int kKeys = 64;                         // key positions per tile
constexpr int kDim = 128;
constexpr int kPitch = kDim + 8;                  // bf16 per shared row
constexpr int kChunks = kDim / 8;                 // 16-byte chunks per row
constexpr float kLog2e = 1.4426950408889634f;

// ~102 KB: two blocks fit on an SM.
struct alignas(16) Shared {
  __nv_bfloat16 q[kRows * kPitch];
  __nv_bfloat16 k[2][kKeys * kPitch];
  __nv_bfloat16 v[2][kKeys * kPitch];
};

// 8 fp32 cache elements (16-byte aligned source) → 8 bf16 in shared memory; zeros when !valid.
__device__ inline void stage8(__nv_bfloat16* dst, const float* src, bool valid) {
  uint4 packed = {0, 0, 0, 0};
  if (valid) {
    const float4 a = reinterpret_cast<const float4*>(src)[0];
    const float4 b = reinterpret_cast<const float4*>(src)[1];
    packed = {pack_bf16(a.x, a.y), pack_bf16(a.z, a.w), pack_bf16(b.x, b.y), pack_bf16(b.z, b.w)};
  }
  *reinterpret_cast<uint4*>(dst) = packed;
}

__global__ void __launch_bounds__(kThreads, 2) tensor_core_attention_kernel(
    const float* q, const float* keys, const float* values, const int32_t* tiles, const int32_t* block_tables,
    AttentionShape shape, float* out) {
  extern __shared__ __align__(128) unsigned char raw[];
  Shared& sm = *reinterpret_cast<Shared*>(raw);
  // Tiles of a sequence come in row order: the last, which see the most keys, start first.
  const int32_t* tile = tiles + 4 * (gridDim.y - 1 - blockIdx.y);
  const int64_t first_token = tile[0];
  const int rows = tile[1];
  const int first_visible = tile[2];
  const int32_t* table = block_tables + tile[3];
  // Block x: query heads [first_head, first_head + heads_here) of KV head kv_head.
  const int group_size = static_cast<int>(shape.heads / shape.kv_heads);
  const int head_tiles = (group_size + kHeadsPerBlock - 1) / kHeadsPerBlock;
  const int kv_head = static_cast<int>(blockIdx.x) / head_tiles;
  const int group_head = static_cast<int>(blockIdx.x % head_tiles) * kHeadsPerBlock;
  const int first_head = kv_head * group_size + group_head;
  const int heads_here = min(kHeadsPerBlock, group_size - group_head);
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const int group = lane / 4;  // the fragment row this lane holds (and that row + 8)
  const int quad = lane % 4;   // its column pair

  // Gathers key tile `index` (positions index·64 + j < end) into buffer `index` % 2: this thread
  // copies chunk `chunk` of rows j = first_key_row + i · kKeyRowStep.
  const int end = first_visible + rows - 1;  // the last row's visible positions
  const int num_key_tiles = (end + kKeys - 1) / kKeys;
  constexpr int kKeyRowStep = kThreads / kChunks;
  const int first_key_row = threadIdx.x / kChunks;
  const int chunk = (threadIdx.x % kChunks) * 8;
  const float* key_column = keys + int64_t{kv_head} * kDim + chunk;
  const float* value_column = values + kv_head * shape.v_head_stride + chunk;
  const int block_size = static_cast<int>(shape.block_size);
  auto stage_keys = [&](int index) {
    const int buffer = index % 2;
#pragma unroll 1
    for (int j = first_key_row; j < kKeys; j += kKeyRowStep) {
      const int p = index * kKeys + j;
      const bool valid = p < end;
      const int64_t slot = valid ? int64_t{table[p / block_size]} * block_size + p % block_size : 0;
      stage8(sm.k[buffer] + j * kPitch + chunk, key_column + slot * shape.k_row, valid);
      stage8(sm.v[buffer] + j * kPitch + chunk, value_column + slot * shape.v_row, valid);
    }
  };
  stage_keys(0);

  // Shared row h · kTokens + r holds q of token first_token + r, head first_head + h.
  for (int idx = threadIdx.x; idx < kRows * kChunks; idx += kThreads) {
    const int h = idx / kChunks / kTokens, r = idx / kChunks % kTokens, c = (idx % kChunks) * 8;
    float4 a = {0.0f, 0.0f, 0.0f, 0.0f}, b = a;
    if (r < rows && h < heads_here) {
      const float4* src =
          reinterpret_cast<const float4*>(q + ((first_token + r) * shape.heads + first_head + h) * kDim + c);
      a = src[0];
      b = src[1];
    }
    const uint4 packed = {pack_bf16(a.x, a.y), pack_bf16(a.z, a.w), pack_bf16(b.x, b.y), pack_bf16(b.z, b.w)};
    *reinterpret_cast<uint4*>(sm.q + (h * kTokens + r) * kPitch + c) = packed;
  }

  // This warp's rows: tokens [warp_row, warp_row + kWarpRows) of head `head`. Rows past the tile
  // repeat its last row's causal limit (their output is never written); warps wholly past it, or
  // past the group's heads, idle.
  const int head = first_head + warp / kWarpsPerHead;
  const bool warp_active = warp / kWarpsPerHead < heads_here;
  const int warp_row = (warp % kWarpsPerHead) * kWarpRows;
  const int warp_min_visible = first_visible + min(warp_row, rows - 1);
  const int warp_max_visible = first_visible + min(warp_row + kWarpRows - 1, rows - 1);
  int visible[kRowTiles][2];
#pragma unroll
  for (int m = 0; m < kRowTiles; ++m) {
#pragma unroll
    for (int h = 0; h < 2; ++h) visible[m][h] = first_visible + min(warp_row + m * 16 + group + 8 * h, rows - 1);
  }
  const float scale_log2 = shape.scale * kLog2e;

  float o[kRowTiles][kDim / 8][4] = {};
  float row_max[kRowTiles][2], row_sum[kRowTiles][2];  // max of raw scores; this lane's part of the sum
#pragma unroll
  for (int m = 0; m < kRowTiles; ++m) {
#pragma unroll
    for (int h = 0; h < 2; ++h) row_max[m][h] = -INFINITY, row_sum[m][h] = 0.0f;
  }

  for (int index = 0; index < num_key_tiles; ++index) {
    if (index + 1 < num_key_tiles) stage_keys(index + 1);
    __syncthreads();
    const int key_begin = index * kKeys;
    if (warp_active && warp_row < rows && key_begin < warp_max_visible) {
      const __nv_bfloat16* k_tile = sm.k[index % 2];
      const __nv_bfloat16* v_tile = sm.v[index % 2];

      // S = Q · Kᵀ: 16 · kRowTiles rows × 64 keys, 8 steps of 16 dims.
      float s[kRowTiles][kKeys / 8][4] = {};
#pragma unroll
      for (int kk = 0; kk < kDim / 16; ++kk) {
        uint32_t a[kRowTiles][4];
#pragma unroll
        for (int m = 0; m < kRowTiles; ++m) {
          load_matrices(a[m], sm.q + (warp * kWarpRows + m * 16 + lane % 16) * kPitch + kk * 16 + (lane / 16) * 8);
        }
#pragma unroll
        for (int n = 0; n < kKeys / 16; ++n) {
          uint32_t b[4];  // keys n·16 + [0, 8) and [8, 16), dims kk·16 + [0, 16)
          load_matrices(b, k_tile + (n * 16 + (lane / 16) * 8 + lane % 8) * kPitch + kk * 16 + ((lane / 8) % 2) * 8);
#pragma unroll
          for (int m = 0; m < kRowTiles; ++m) {
            mma(s[m][2 * n], a[m], b[0], b[1]);
            mma(s[m][2 * n + 1], a[m], b[2], b[3]);
          }
        }
      }

      // Online softmax; element (n, e) of half h is key key_begin + n·8 + 2·quad + e of row group + 8h.
      const bool masked = key_begin + kKeys > warp_min_visible;
      uint32_t p[kRowTiles][kKeys / 16][4];
#pragma unroll
      for (int m = 0; m < kRowTiles; ++m) {
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          if (masked) {
#pragma unroll
            for (int n = 0; n < kKeys / 8; ++n) {
#pragma unroll
              for (int e = 0; e < 2; ++e) {
                if (key_begin + n * 8 + 2 * quad + e >= visible[m][h]) s[m][n][2 * h + e] = -INFINITY;
              }
            }
          }
          float tile_max = -INFINITY;
#pragma unroll
          for (int n = 0; n < kKeys / 8; ++n) tile_max = fmaxf(tile_max, fmaxf(s[m][n][2 * h], s[m][n][2 * h + 1]));
          tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
          tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 2));
          // Every row sees key 0 in tile 0, so new_max is finite from the first tile on.
          const float new_max = fmaxf(row_max[m][h], tile_max);
          const float rescale = exp2f((row_max[m][h] - new_max) * scale_log2);
          const float offset = new_max * scale_log2;
          row_max[m][h] = new_max;
          float sum = 0.0f;
#pragma unroll
          for (int n = 0; n < kKeys / 8; ++n) {
#pragma unroll
            for (int e = 0; e < 2; ++e) {
              const float prob = exp2f(fmaf(s[m][n][2 * h + e], scale_log2, -offset));  // −inf → 0
              s[m][n][2 * h + e] = prob;
              sum += prob;
            }
          }
          row_sum[m][h] = row_sum[m][h] * rescale + sum;
#pragma unroll
          for (int d = 0; d < kDim / 8; ++d) o[m][d][2 * h] *= rescale, o[m][d][2 * h + 1] *= rescale;
        }
        // The accumulator layout of keys 16kk + [0, 16) is the A layout of P's k-step kk.
#pragma unroll
        for (int kk = 0; kk < kKeys / 16; ++kk) {
          p[m][kk][0] = pack_bf16(s[m][2 * kk][0], s[m][2 * kk][1]);
          p[m][kk][1] = pack_bf16(s[m][2 * kk][2], s[m][2 * kk][3]);
          p[m][kk][2] = pack_bf16(s[m][2 * kk + 1][0], s[m][2 * kk + 1][1]);
          p[m][kk][3] = pack_bf16(s[m][2 * kk + 1][2], s[m][2 * kk + 1][3]);
        }
      }

      // O += P · V: 4 steps of 16 keys, 16 column tiles of 8 dims.
#pragma unroll
      for (int kk = 0; kk < kKeys / 16; ++kk) {
#pragma unroll
        for (int d = 0; d < kDim / 16; ++d) {
          uint32_t b[4];  // keys kk·16 + [0, 16), dims d·16 + [0, 8) and [8, 16)
          load_matrices_transposed(b, v_tile + (kk * 16 + lane % 8 + ((lane / 8) % 2) * 8) * kPitch + d * 16 + (lane / 16) * 8);
#pragma unroll
          for (int m = 0; m < kRowTiles; ++m) {
            mma(o[m][2 * d], p[m][kk], b[0], b[1]);
            mma(o[m][2 * d + 1], p[m][kk], b[2], b[3]);
          }
        }
      }
    }
    __syncthreads();  // this buffer is refilled two tiles on
  }

#pragma unroll
  for (int m = 0; m < kRowTiles; ++m) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      float sum = row_sum[m][h];
      sum += __shfl_xor_sync(0xffffffffu, sum, 1);
      sum += __shfl_xor_sync(0xffffffffu, sum, 2);
      const int r = warp_row + m * 16 + group + 8 * h;
      if (!warp_active || r >= rows) continue;
      const float inverse = 1.0f / sum;
      float* dst = out + ((first_token + r) * shape.heads + head) * kDim + 2 * quad;
#pragma unroll
      for (int d = 0; d < kDim / 8; ++d) {
        *reinterpret_cast<float2*>(dst + d * 8) = make_float2(o[m][d][2 * h] * inverse, o[m][d][2 * h + 1] * inverse);
      }
    }
  }
}

}  // namespace

bool tensor_core_attention_fits(const AttentionShape& shape, ElementType cache_type) {
  // Rows are read as 16-byte vectors: widths must keep them aligned.
  return shape.tensor_cores && !shape.v_in_k && shape.k_dim == kDim && shape.v_dim == kDim && shape.k_row % 8 == 0 &&
         shape.v_row % 8 == 0 && shape.v_head_stride % 8 == 0 &&
         (cache_type != ElementType::kBF16 || shape.block_size % 8 == 0);
}

void launch_tensor_core_attention(const float* q, const void* keys, const void* values, ElementType cache_type,
                                  const int32_t* tiles, int64_t num_tiles, const int32_t* block_tables,
                                  const AttentionShape& shape, float* out, cudaStream_t stream) {
  static_assert(kTokens == kTensorCoreTileRows && kWarps % kHeadsPerBlock == 0);
  if (cache_type == ElementType::kBF16) {
    launch_wgmma_attention(q, static_cast<const __nv_bfloat16*>(keys), static_cast<const __nv_bfloat16*>(values),
                           tiles, num_tiles, block_tables, shape, out, stream);
    return;
  }
  // Heads fastest: the query heads of one KV head run side by side and share its tiles in L2.
  const int64_t group_size = shape.heads / shape.kv_heads;
  const int64_t head_tiles = (group_size + kHeadsPerBlock - 1) / kHeadsPerBlock;
  const dim3 grid(static_cast<unsigned>(shape.kv_heads * head_tiles), static_cast<unsigned>(num_tiles));
  R1B_CUDA_CHECK(cudaFuncSetAttribute(tensor_core_attention_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                      static_cast<int>(sizeof(Shared))));
  tensor_core_attention_kernel<<<grid, kThreads, sizeof(Shared), stream>>>(
      q, static_cast<const float*>(keys), static_cast<const float*>(values), tiles, block_tables, shape, out);
  R1B_CUDA_CHECK_LAUNCH();
}

}  // namespace r1b::kernels
