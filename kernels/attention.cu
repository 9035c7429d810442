// Paged causal attention for dispatch.h: a general kernel for prefill and decode, a decode fast
// path for the common dense shapes (head width 64 / 128, GQA groups ≤ 8), both split over the
// context when the step has too few query rows to fill the GPU (flash-decode), plus the kernel
// that merges the splits. Prefill tiles of width-128 heads go to the tensor-core kernels
// (attention_tc.cu; attention_wgmma.cu for a bf16 cache) when the shape allows it
// (AttentionShape::tensor_cores). Decode steps that decode_attention_fits() go to
// attention_decode.cu instead (the caller chooses), and MLA's latent shape over a bf16 cache with
// tensor cores allowed goes to attention_mla.cu; these kernels serve the fp32 cache and fp32-exact
// configurations.
//
// General kernel, work unit: a thread block takes one query tile (up to rows_per_tile consecutive new tokens of
// one sequence, which share its block table) × heads_per_tile query heads of one KV head (GQA and
// MLA heads share their keys) × one context split. Its (row, head) pairs walk the split's key
// positions in tiles of kKeyTile: the tile's keys (and values, unless they sit inside the keys as
// in MLA's latent cache) are gathered through the block table into shared memory once, then
//   scores  s[pair][j] = q[pair] · key[j] × scale (−inf beyond the pair's causal limit),
//   softmax an online update per pair (running max and sum, rescaling the accumulator),
//   values  acc[pair][d] += p[pair][j] · value[j][d],
// with the accumulator in shared memory, so MLA's 512-wide values need no per-thread limit.
// Every product and sum is fp32 (a bf16 cache is widened on load), so the result matches the CPU
// spec on the cached values to rounding. One split writes the normalised output directly; several write their partial
// output and log-sum-exp to scratch, and the merge kernel weights them by exp(lse − max lse).
#include <cuda_bf16.h>

#include <cfloat>

#include "kernels/attention_mla.cuh"
#include "kernels/attention_tc.cuh"
#include "kernels/cuda_check.cuh"
#include "kernels/dispatch.h"

namespace r1b::kernels {

namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kKeyTile = 32;              // one key per lane in the softmax update
constexpr int64_t kMaxPairs = 32;         // (row, head) pairs per block
constexpr int64_t kSharedBudget = 160 * 1024;
constexpr int64_t kBlocksPerSm = 2;       // split the context until the grid has this many blocks per SM

struct Tiling {
  int64_t heads_per_tile = 1;
  int64_t head_tiles = 1;
  int64_t rows_per_tile = 1;
  int64_t splits = 1;
  int64_t chunk = 0;                      // key positions per split (a multiple of kKeyTile)
};

// Shared floats of a block with `pairs` pairs: q, key tile (padded pitch), value tile, scores,
// accumulator, and running max / sum / correction.
int64_t shared_floats(const AttentionShape& shape, int64_t pairs) {
  const int64_t values = shape.v_in_k ? 0 : kKeyTile * shape.v_dim;
  return pairs * shape.k_dim + kKeyTile * (shape.k_dim + 1) + values + pairs * kKeyTile + pairs * shape.v_dim +
         3 * pairs;
}

// Pairs a block can hold within the shared-memory budget (a power of two ≤ kMaxPairs).
int64_t max_pairs(const AttentionShape& shape) {
  int64_t pairs = kMaxPairs;
  while (pairs > 1 && shared_floats(shape, pairs) * static_cast<int64_t>(sizeof(float)) > kSharedBudget) pairs /= 2;
  return pairs;
}

// Query heads of one KV head a block takes.
int64_t heads_per_tile(const AttentionShape& shape) {
  const int64_t group = shape.heads / shape.kv_heads;
  const int64_t pairs = max_pairs(shape);
  return group < pairs ? group : pairs;
}

__device__ inline float warp_max(float value) {
  for (int offset = 16; offset > 0; offset /= 2) value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
  return value;
}

__device__ inline float warp_sum(float value) {
  for (int offset = 16; offset > 0; offset /= 2) value += __shfl_xor_sync(0xffffffffu, value, offset);
  return value;
}

// tiles: int32 [num_tiles, 4] = first token row, rows, visible positions of the first row,
// offset of the sequence's block table in block_tables.
template <typename T>
__global__ void __launch_bounds__(kThreads) attention_kernel(const float* q, const T* keys, const T* values,
                                                             const int32_t* tiles, const int32_t* block_tables,
                                                             AttentionShape shape, Tiling tiling, float* out,
                                                             float* partial_out, float* partial_lse) {
  const int32_t* tile = tiles + 4 * blockIdx.x;
  const int64_t first_token = tile[0];
  const int64_t rows = tile[1];
  const int64_t first_visible = tile[2];
  const int32_t* table = block_tables + tile[3];
  const int64_t group = shape.heads / shape.kv_heads;
  const int64_t kv_head = blockIdx.y / tiling.head_tiles;
  const int64_t head_begin = (blockIdx.y % tiling.head_tiles) * tiling.heads_per_tile;
  const int64_t heads_here = min(tiling.heads_per_tile, group - head_begin);
  const int64_t first_head = kv_head * group + head_begin;
  const int64_t pairs = rows * heads_here;  // pair i: row i / heads_here, head i % heads_here
  const int64_t split = blockIdx.z;
  const int64_t begin = split * tiling.chunk;
  const int64_t end = min(first_visible + rows - 1, begin + tiling.chunk);

  const int64_t k_pitch = shape.k_dim + 1;  // odd pitch: lanes reading different keys hit different banks
  const int64_t max_pairs = tiling.rows_per_tile * tiling.heads_per_tile;
  extern __shared__ float shared[];
  float* q_s = shared;                                   // [max_pairs, k_dim]
  float* k_s = q_s + max_pairs * shape.k_dim;            // [kKeyTile, k_pitch]
  float* v_s = k_s + kKeyTile * k_pitch;                 // [kKeyTile, v_dim] unless v_in_k
  const float* v_src = shape.v_in_k ? k_s : v_s;
  const int64_t v_pitch = shape.v_in_k ? k_pitch : shape.v_dim;
  float* s_s = v_s + (shape.v_in_k ? 0 : kKeyTile * shape.v_dim);  // [max_pairs, kKeyTile]
  float* acc = s_s + max_pairs * kKeyTile;               // [max_pairs, v_dim]
  float* run_max = acc + max_pairs * shape.v_dim;        // [max_pairs]
  float* run_sum = run_max + max_pairs;
  float* correction = run_sum + max_pairs;

  for (int64_t idx = threadIdx.x; idx < pairs * shape.k_dim; idx += kThreads) {
    const int64_t i = idx / shape.k_dim, d = idx % shape.k_dim;
    q_s[idx] = q[((first_token + i / heads_here) * shape.heads + first_head + i % heads_here) * shape.k_dim + d];
  }
  for (int64_t idx = threadIdx.x; idx < pairs * shape.v_dim; idx += kThreads) acc[idx] = 0.0f;
  for (int64_t i = threadIdx.x; i < pairs; i += kThreads) {
    run_max[i] = -FLT_MAX;
    run_sum[i] = 0.0f;
  }
  __syncthreads();

  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  for (int64_t key_begin = begin; key_begin < end; key_begin += kKeyTile) {
    const int64_t count = min(static_cast<int64_t>(kKeyTile), end - key_begin);
    for (int64_t idx = threadIdx.x; idx < count * shape.k_dim; idx += kThreads) {
      const int64_t j = idx / shape.k_dim, d = idx % shape.k_dim;
      const int64_t p = key_begin + j;
      const int64_t slot = int64_t{table[p / shape.block_size]} * shape.block_size + p % shape.block_size;
      k_s[j * k_pitch + d] = load_f32(keys, slot * shape.k_row + kv_head * shape.k_dim + d);
    }
    if (!shape.v_in_k) {
      for (int64_t idx = threadIdx.x; idx < count * shape.v_dim; idx += kThreads) {
        const int64_t j = idx / shape.v_dim, d = idx % shape.v_dim;
        const int64_t p = key_begin + j;
        const int64_t slot = int64_t{table[p / shape.block_size]} * shape.block_size + p % shape.block_size;
        v_s[idx] = load_f32(values, slot * shape.v_row + kv_head * shape.v_head_stride + d);
      }
    }
    __syncthreads();
    for (int64_t idx = threadIdx.x; idx < pairs * kKeyTile; idx += kThreads) {
      const int64_t i = idx / kKeyTile, j = idx % kKeyTile;
      const int64_t visible = first_visible + i / heads_here;
      float score = -INFINITY;
      if (j < count && key_begin + j < visible) {
        const float* q_row = q_s + i * shape.k_dim;
        const float* k_row = k_s + j * k_pitch;
        float dot = 0.0f;
        for (int64_t d = 0; d < shape.k_dim; ++d) dot += q_row[d] * k_row[d];
        score = dot * shape.scale;
      }
      s_s[idx] = score;
    }
    __syncthreads();
    for (int64_t i = warp; i < pairs; i += kWarps) {
      const float score = s_s[i * kKeyTile + lane];
      const float old_max = run_max[i];
      const float new_max = fmaxf(old_max, warp_max(score));
      // A pair whose positions all lie beyond this tile keeps max −FLT_MAX: its p are exp(−inf) = 0.
      const float p = expf(score - new_max);
      const float total = warp_sum(p);
      s_s[i * kKeyTile + lane] = p;
      if (lane == 0) {
        const float scale = expf(old_max - new_max);
        correction[i] = scale;
        run_sum[i] = run_sum[i] * scale + total;
        run_max[i] = new_max;
      }
    }
    __syncthreads();
    for (int64_t idx = threadIdx.x; idx < pairs * shape.v_dim; idx += kThreads) {
      const int64_t i = idx / shape.v_dim, d = idx % shape.v_dim;
      const float* p = s_s + i * kKeyTile;
      float sum = acc[idx] * correction[i];
      for (int64_t j = 0; j < count; ++j) sum += p[j] * v_src[j * v_pitch + d];
      acc[idx] = sum;
    }
    __syncthreads();
  }

  for (int64_t idx = threadIdx.x; idx < pairs * shape.v_dim; idx += kThreads) {
    const int64_t i = idx / shape.v_dim, d = idx % shape.v_dim;
    const int64_t row = (first_token + i / heads_here) * shape.heads + first_head + i % heads_here;
    const float value = run_sum[i] > 0.0f ? acc[idx] / run_sum[i] : 0.0f;
    if (tiling.splits == 1) {
      out[row * shape.v_dim + d] = value;
    } else {
      partial_out[(row * tiling.splits + split) * shape.v_dim + d] = value;
      if (d == 0) partial_lse[row * tiling.splits + split] = run_sum[i] > 0.0f ? run_max[i] + logf(run_sum[i]) : -INFINITY;
    }
  }
}

// Decode fast path: one query row per sequence, key/value head width D ∈ {64, 128}, at most
// kMaxDecodeGroup query heads per KV head, separate values. Each warp takes 32 keys at a time, one
// per lane: the lane reads its key row with vector loads and scores it against the group's query
// heads (broadcast from shared memory); the online softmax runs on warp shuffles; for the values
// every lane owns D / 32 columns, so each value row is one coalesced warp load. Warps keep their
// own running max / sum / accumulator in registers and are merged through shared memory at the
// end — no barrier inside the key loop.
constexpr int kDecodeWarps = 4;
constexpr int kMaxDecodeGroup = 8;

__device__ inline float4 load4(const float* p) { return *reinterpret_cast<const float4*>(p); }
__device__ inline float4 load4(const __nv_bfloat16* p) {
  const uint2 raw = *reinterpret_cast<const uint2*>(p);
  const float2 low = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.x));
  const float2 high = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.y));
  return make_float4(low.x, low.y, high.x, high.y);
}

template <int D, typename T>
__global__ void __launch_bounds__(kDecodeWarps * 32) decode_attention_kernel(
    const float* q, const T* keys, const T* values, const int32_t* tiles, const int32_t* block_tables,
    AttentionShape shape, Tiling tiling, float* out, float* partial_out, float* partial_lse) {
  constexpr int kVec = D / 32;  // value columns per lane
  const int32_t* tile = tiles + 4 * blockIdx.x;
  const int64_t token = tile[0];
  const int64_t visible = tile[2];
  const int32_t* table = block_tables + tile[3];
  const int group = static_cast<int>(shape.heads / shape.kv_heads);
  const int64_t kv_head = blockIdx.y;
  const int64_t first_head = kv_head * group;
  const int64_t split = blockIdx.z;
  const int64_t begin = split * tiling.chunk;
  const int64_t end = min(visible, begin + tiling.chunk);
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;

  __shared__ float4 q_s[kMaxDecodeGroup][D / 4];
  __shared__ float warp_max_s[kDecodeWarps][kMaxDecodeGroup];
  __shared__ float warp_sum_s[kDecodeWarps][kMaxDecodeGroup];
  __shared__ float warp_acc_s[kDecodeWarps][kMaxDecodeGroup][D];
  for (int idx = threadIdx.x; idx < group * D; idx += blockDim.x) {
    reinterpret_cast<float*>(q_s[idx / D])[idx % D] = q[(token * shape.heads + first_head + idx / D) * D + idx % D];
  }
  __syncthreads();

  float run_max[kMaxDecodeGroup], run_sum[kMaxDecodeGroup], acc[kMaxDecodeGroup][kVec];
#pragma unroll
  for (int h = 0; h < kMaxDecodeGroup; ++h) {
    run_max[h] = -FLT_MAX;
    run_sum[h] = 0.0f;
#pragma unroll
    for (int c = 0; c < kVec; ++c) acc[h][c] = 0.0f;
  }
  for (int64_t key_begin = begin + warp * 32; key_begin < end; key_begin += kDecodeWarps * 32) {
    const int64_t p = key_begin + lane;
    const bool valid = p < end;
    const int64_t slot = valid ? int64_t{table[p / shape.block_size]} * shape.block_size + p % shape.block_size : 0;
    float score[kMaxDecodeGroup];
#pragma unroll
    for (int h = 0; h < kMaxDecodeGroup; ++h) score[h] = 0.0f;
    if (valid) {
      const T* key = keys + slot * shape.k_row + kv_head * D;
#pragma unroll 4
      for (int d = 0; d < D / 4; ++d) {
        const float4 k = load4(key + 4 * d);
#pragma unroll
        for (int h = 0; h < kMaxDecodeGroup; ++h) {
          if (h < group) {
            const float4 qv = q_s[h][d];
            score[h] += qv.x * k.x + qv.y * k.y + qv.z * k.z + qv.w * k.w;
          }
        }
      }
    }
    float prob[kMaxDecodeGroup];
#pragma unroll
    for (int h = 0; h < kMaxDecodeGroup; ++h) {
      if (h >= group) break;
      const float s = valid ? score[h] * shape.scale : -INFINITY;
      const float new_max = fmaxf(run_max[h], warp_max(s));
      prob[h] = expf(s - new_max);
      const float scale = expf(run_max[h] - new_max);
      run_sum[h] = run_sum[h] * scale + warp_sum(prob[h]);
      run_max[h] = new_max;
#pragma unroll
      for (int c = 0; c < kVec; ++c) acc[h][c] *= scale;
    }
    const int count = static_cast<int>(min(int64_t{32}, end - key_begin));
    for (int j = 0; j < count; ++j) {
      const int64_t slot_j = __shfl_sync(0xffffffffu, slot, j);
      const T* value = values + slot_j * shape.v_row + kv_head * shape.v_head_stride + lane * kVec;
      float v[kVec];
      if constexpr (kVec == 4) {
        const float4 loaded = load4(value);
        v[0] = loaded.x, v[1] = loaded.y, v[2] = loaded.z, v[3] = loaded.w;
      } else {
#pragma unroll
        for (int c = 0; c < kVec; ++c) v[c] = load_f32(value, c);
      }
#pragma unroll
      for (int h = 0; h < kMaxDecodeGroup; ++h) {
        if (h >= group) break;
        const float pj = __shfl_sync(0xffffffffu, prob[h], j);
#pragma unroll
        for (int c = 0; c < kVec; ++c) acc[h][c] += pj * v[c];
      }
    }
  }
  for (int h = 0; h < group; ++h) {
    if (lane == 0) {
      warp_max_s[warp][h] = run_max[h];
      warp_sum_s[warp][h] = run_sum[h];
    }
#pragma unroll
    for (int c = 0; c < kVec; ++c) warp_acc_s[warp][h][lane * kVec + c] = acc[h][c];
  }
  __syncthreads();
  for (int idx = threadIdx.x; idx < group * D; idx += blockDim.x) {
    const int h = idx / D, d = idx % D;
    float max_all = -FLT_MAX;
    for (int w = 0; w < kDecodeWarps; ++w) max_all = fmaxf(max_all, warp_max_s[w][h]);
    float sum = 0.0f, value = 0.0f;
    for (int w = 0; w < kDecodeWarps; ++w) {
      const float weight = expf(warp_max_s[w][h] - max_all);
      sum += warp_sum_s[w][h] * weight;
      value += warp_acc_s[w][h][d] * weight;
    }
    const int64_t row = token * shape.heads + first_head + h;
    const float normalised = sum > 0.0f ? value / sum : 0.0f;
    if (tiling.splits == 1) {
      out[row * D + d] = normalised;
    } else {
      partial_out[(row * tiling.splits + split) * D + d] = normalised;
      if (d == 0) partial_lse[row * tiling.splits + split] = sum > 0.0f ? max_all + logf(sum) : -INFINITY;
    }
  }
}

// Block (query row slot, head): out = Σ_s w_s · partial_s / Σ_s w_s, w_s = exp(lse_s − max lse).
__global__ void merge_splits_kernel(const int32_t* tiles, int64_t rows_per_tile, int64_t heads, int64_t v_dim,
                                    int64_t splits, const float* partial_out, const float* partial_lse, float* out) {
  const int32_t* tile = tiles + 4 * (blockIdx.x / rows_per_tile);
  const int64_t r = blockIdx.x % rows_per_tile;
  if (r >= tile[1]) return;
  const int64_t row = (tile[0] + r) * heads + blockIdx.y;
  const float* lse = partial_lse + row * splits;
  float max_lse = -INFINITY;
  for (int64_t s = 0; s < splits; ++s) max_lse = fmaxf(max_lse, lse[s]);
  float total = 0.0f;
  for (int64_t s = 0; s < splits; ++s) total += expf(lse[s] - max_lse);
  for (int64_t d = threadIdx.x; d < v_dim; d += blockDim.x) {
    float sum = 0.0f;
    for (int64_t s = 0; s < splits; ++s) sum += expf(lse[s] - max_lse) * partial_out[(row * splits + s) * v_dim + d];
    out[row * v_dim + d] = sum / total;
  }
}

}  // namespace

int num_sms() {
  static const int count = [] {
    int device = 0, sms = 0;
    R1B_CUDA_CHECK(cudaGetDevice(&device));
    R1B_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    return sms;
  }();
  return count;
}

int64_t attention_rows_per_tile(const AttentionShape& shape, ElementType cache_type, int64_t max_rows_per_seq) {
  int64_t rows = max_pairs(shape) / heads_per_tile(shape);
  if (mla_attention_fits(shape, cache_type)) {
    rows = mla_rows_per_tile(shape);
  } else if (max_rows_per_seq > 1 && tensor_core_attention_fits(shape, cache_type)) {
    rows = kTensorCoreTileRows;
  }
  return rows < max_rows_per_seq ? rows : (max_rows_per_seq < 1 ? 1 : max_rows_per_seq);
}

namespace {

// Queues the attention kernel(s) for cache elements of type T.
template <typename T>
void launch_attention(const float* q, const T* keys, const T* values, const int32_t* tiles, int64_t num_tiles,
                      const int32_t* block_tables, const AttentionShape& shape, const Tiling& tiling,
                      bool decode_path, float* out, float* partial_out, float* partial_lse, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>(num_tiles), static_cast<unsigned>(shape.kv_heads * tiling.head_tiles),
                  static_cast<unsigned>(tiling.splits));
  if (decode_path) {
    auto* kernel = shape.k_dim == 128 ? decode_attention_kernel<128, T> : decode_attention_kernel<64, T>;
    kernel<<<grid, kDecodeWarps * 32, 0, stream>>>(q, keys, values, tiles, block_tables, shape, tiling, out,
                                                   partial_out, partial_lse);
  } else {
    const size_t shared_bytes =
        static_cast<size_t>(shared_floats(shape, tiling.rows_per_tile * tiling.heads_per_tile)) * sizeof(float);
    R1B_CUDA_CHECK(cudaFuncSetAttribute(attention_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(shared_bytes)));
    attention_kernel<T><<<grid, kThreads, shared_bytes, stream>>>(q, keys, values, tiles, block_tables, shape, tiling,
                                                                  out, partial_out, partial_lse);
  }
  R1B_CUDA_CHECK_LAUNCH();
}

}  // namespace

void attention(const float* q, int64_t q_rows, const void* keys, const void* values, ElementType cache_type,
               const int32_t* tiles, int64_t num_tiles, int64_t rows_per_tile, int64_t max_visible,
               const int32_t* block_tables, const AttentionShape& shape, float* out, Scratch& scratch, Stream stream,
               const HeadProjection& projection) {
  if (num_tiles == 0 || shape.heads == 0) return;
  if (rows_per_tile > 1 && tensor_core_attention_fits(shape, cache_type)) {
    launch_tensor_core_attention(q, keys, values, cache_type, tiles, num_tiles, block_tables, shape, out,
                                 as_cuda(stream));
    return;
  }
  // MLA's latent shape (v_in_k, which the tensor-core kernels above never take); the only one
  // that takes a projection (attention_projects()).
  if (mla_attention_fits(shape, cache_type)) {
    launch_mla_attention(q, q_rows, keys, tiles, num_tiles, rows_per_tile, max_visible, block_tables, shape, out,
                         scratch, as_cuda(stream), projection);
    return;
  }
  const int64_t group = shape.heads / shape.kv_heads;
  const bool decode_path = rows_per_tile == 1 && !shape.v_in_k && shape.k_dim == shape.v_dim &&
                           (shape.k_dim == 64 || shape.k_dim == 128) && group <= kMaxDecodeGroup;
  Tiling tiling;
  tiling.heads_per_tile = decode_path ? group : heads_per_tile(shape);
  tiling.head_tiles = (group + tiling.heads_per_tile - 1) / tiling.heads_per_tile;
  tiling.rows_per_tile = rows_per_tile;
  const int64_t blocks = num_tiles * shape.kv_heads * tiling.head_tiles;
  const int64_t key_tiles = (max_visible + kKeyTile - 1) / kKeyTile;
  const int64_t wanted = (kBlocksPerSm * num_sms() + blocks - 1) / blocks;
  const int64_t splits = wanted < key_tiles ? wanted : key_tiles;
  tiling.chunk = (key_tiles + splits - 1) / splits * kKeyTile;
  tiling.splits = (max_visible + tiling.chunk - 1) / tiling.chunk;

  float* partial_out = nullptr;
  float* partial_lse = nullptr;
  if (tiling.splits > 1) {
    const int64_t entries = q_rows * shape.heads * tiling.splits;
    partial_out = static_cast<float*>(
        reserve(scratch, entries * (shape.v_dim + 1) * static_cast<int64_t>(sizeof(float)), stream));
    partial_lse = partial_out + entries * shape.v_dim;
  }
  if (cache_type == ElementType::kBF16) {
    launch_attention(q, static_cast<const __nv_bfloat16*>(keys), static_cast<const __nv_bfloat16*>(values), tiles,
                     num_tiles, block_tables, shape, tiling, decode_path, out, partial_out, partial_lse, as_cuda(stream));
  } else {
    launch_attention(q, static_cast<const float*>(keys), static_cast<const float*>(values), tiles, num_tiles,
                     block_tables, shape, tiling, decode_path, out, partial_out, partial_lse, as_cuda(stream));
  }
  if (tiling.splits > 1) {
    const dim3 merge_grid(static_cast<unsigned>(num_tiles * rows_per_tile), static_cast<unsigned>(shape.heads));
    merge_splits_kernel<<<merge_grid, 128, 0, as_cuda(stream)>>>(tiles, rows_per_tile, shape.heads, shape.v_dim,
                                                                 tiling.splits, partial_out, partial_lse, out);
    R1B_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace r1b::kernels
