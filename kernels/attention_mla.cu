// MLA attention on the tensor cores (absorbed form, as DeepSeek's FlashMLA): paged, causal, over
// a bf16 latent cache whose rows are [c_kv 512 | k_pe 64] and whose first 512 columns are the
// values; q [T, H, 576], out [T, H, 512].
//
// Work unit: a block of 8 warps takes the rows (query tokens of one tile) × (up to 64 heads) —
// every head shares the single latent KV head — and one split of the context. Its 16·m rows
// (m = 1, 2 or 4 row groups of 16) are staged once in shared memory as bf16. Key tiles (64 keys,
// or 32 when m = 4, so three stages of 576-wide rows still fit) stream through the block table
// into shared memory with 16-byte cp.async copies, kStages deep, so every latent byte of the
// split is read once per block while the next tiles are in flight. Per tile:
//   scores   each warp takes one row group × a slice of the tile's keys: S = Q·Kᵀ with mma.sync
//            m16n8k16 (bf16 in, fp32 accumulate), Q and K fragments by ldmatrix;
//   softmax  the slices' row maxima meet in shared memory, every warp rescales its running sums
//            and writes its probabilities (rounded to bf16) to a shared P tile;
//   values   each warp owns 64 of the 512 output columns for all rows: O = O·rescale + P·V with
//            V = the tile's first 512 columns read transposed by ldmatrix, O in registers.
// The non-obvious split: scores are cut by keys and values by columns, because one warp cannot
// hold both a 576-wide Q row group and a 512-wide output (400+ registers); the price is the P
// tile and two barriers per key tile.
//
// Decode (one token per tile) has too few blocks for the GPU, so the context is cut into splits
// of ≥ kChunkTile positions until there is about one block per SM (flash-decode); each split writes
// its normalised output and log-sum-exp, and mla_merge_kernel weights them by exp(lse − max),
// spread over (row, head, 64 columns) blocks. With a HeadProjection (MLA's W_UV, a decode step's
// few rows) mla_merge_project_kernel merges instead, even a single split: each of its (row, head,
// 16 outputs) blocks merges the row's 512 columns and multiplies them by its 16 weight rows, which
// it loaded before its wait, so the step has no separate merge kernel before the W_UV product.
// The launch shape depends only on (tiles, rows per tile, max_visible, shape, the projection's
// width), so a recorded decode step replays for any contexts up to its bucket. All three kernels
// are dependent launches (dependent_launch.cuh) that wait before reading anything the step writes
// (the merge-and-project kernel loads its weights before): the step's own cache rows are written
// by the kernel before.
#include <cuda_bf16.h>

#include <cfloat>

#include "kernels/async_copy.cuh"
#include "kernels/attention_mla.cuh"
#include "kernels/attention_tc.cuh"
#include "kernels/cuda_check.cuh"
#include "kernels/dependent_launch.cuh"
#include "kernels/gemv.cuh"
#include "kernels/mma_fragments.cuh"

namespace r1b::kernels {

namespace {

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;
constexpr int kDim = 576;                // latent key width
constexpr int kValueDim = 512;           // its first columns: the values
constexpr int kPitch = kDim + 8;         // bf16 per shared row: 1168 bytes, 8 ldmatrix rows on distinct banks
constexpr int kVectors = kDim / 8;       // 16-byte copies per row
constexpr int kWarpColumns = kValueDim / kWarps;
constexpr int kMaxBlockRows = 64;
// A split's positions: a multiple of the widest variant's key tile, and at least one such tile.
// At B=1 and 1k context (V2-Lite, H100) 16 splits of one tile took 9.2–9.5 µs against 11.7 for
// 8 of two, the merge 4.0 against 3.6.
constexpr int64_t kChunkTile = 64;
constexpr int64_t kMaxRowsPerTile = 16;
constexpr int kMergeColumns = 64;     // output columns per merge block
constexpr int kMergeLanes = 8;        // splits a merge block reads side by side
constexpr int kMergeThreads = kMergeColumns / 4 * kMergeLanes;
constexpr int kProjectColumns = 16;   // outputs per merge-and-project block
constexpr int kProjectWarps = 8;
constexpr int kProjectThreads = kProjectWarps * 32;
constexpr int kProjectVectors = kValueDim / 4;                          // float4 of a merged row
constexpr int kProjectSplitLanes = kProjectThreads / kProjectVectors;  // split lanes, as in the merge
constexpr int kProjectLoads = 8;                                        // splits a thread loads at once
constexpr int kProjectRowsPerWarp = kProjectColumns / kProjectWarps;
constexpr int kProjectChunksPerLane = kValueDim / 8 / 32;              // 16-byte weight chunks per row
static_assert(kProjectThreads % kProjectVectors == 0 && kProjectColumns % kProjectWarps == 0 &&
              kValueDim % (8 * 32) == 0);
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

struct MlaTiling {
  int64_t heads_per_block = 1;
  int64_t splits = 1;
  int64_t chunk = 0;  // positions per split, a multiple of every variant's key tile
};

template <int kGroups, int kKeys, int kStages>
struct alignas(16) MlaShared {
  static constexpr int kRows = 16 * kGroups;
  static constexpr int kSlices = kWarps / kGroups;  // key slices of the score phase
  static constexpr int kProbPitch = kKeys + 8;
  __nv_bfloat16 q[kRows * kPitch];
  __nv_bfloat16 k[kStages][kKeys * kPitch];
  __nv_bfloat16 p[kRows * kProbPitch];
  float slice_max[kSlices][kRows];  // per tile: the slices' maxima; at the end: their sums
  float rescale[kRows];
  float row_max[kRows];
};

// tiles: int32 [num_tiles, 4] as in attention(); blocks take them last first (the longest
// contexts of a prefill first, so the short ones fill the tail).
template <int kGroups, int kKeys, int kStages>
__global__ void __launch_bounds__(kThreads, 1)
    mla_attention_kernel(const float* q, const __nv_bfloat16* keys, const int32_t* tiles, int64_t num_tiles,
                         const int32_t* block_tables, AttentionShape shape, MlaTiling tiling, float* out,
                         float* partial_out, float* partial_lse) {
  using Shared = MlaShared<kGroups, kKeys, kStages>;
  constexpr int kRows = Shared::kRows;
  constexpr int kProbPitch = Shared::kProbPitch;
  constexpr int kWarpKeys = kKeys / Shared::kSlices;
  constexpr int kScoreBlocks = kWarpKeys / 8;
  static_assert(kWarpKeys % 8 == 0 && kKeys % 16 == 0);
  extern __shared__ __align__(128) unsigned char raw[];
  Shared& sm = *reinterpret_cast<Shared*>(raw);
  let_next_kernel_start();
  wait_for_previous_kernel();

  const int32_t* tile = tiles + 4 * (num_tiles - 1 - blockIdx.x);
  const int64_t first_token = tile[0];
  const int tokens = tile[1];
  const int64_t first_visible = tile[2];
  const int32_t* table = block_tables + tile[3];
  const int heads_per_block = static_cast<int>(tiling.heads_per_block);
  const int64_t head_begin = blockIdx.y * tiling.heads_per_block;
  const int heads_here = static_cast<int>(min(tiling.heads_per_block, shape.heads - head_begin));
  const int64_t split = blockIdx.z;
  const int64_t begin = split * tiling.chunk;
  const int64_t end = min(first_visible + tokens - 1, begin + tiling.chunk);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int quad_row = lane / 4, quad_col = (lane % 4) * 2;

  // Row r of the block: token r / heads_per_block, head head_begin + r % heads_per_block.
  auto q_row = [&](int r) -> int64_t {
    const int token = r / heads_per_block, head = r % heads_per_block;
    return token < tokens && head < heads_here ? (first_token + token) * shape.heads + head_begin + head : -1;
  };

  for (int idx = threadIdx.x; idx < kRows * kVectors; idx += kThreads) {
    const int r = idx / kVectors, c = (idx % kVectors) * 8;
    const int64_t row = q_row(r);
    uint4 packed = {0, 0, 0, 0};
    if (row >= 0) {
      const float4 a = *reinterpret_cast<const float4*>(q + row * kDim + c);
      const float4 b = *reinterpret_cast<const float4*>(q + row * kDim + c + 4);
      packed = make_uint4(pack_bf16(a.x, a.y), pack_bf16(a.z, a.w), pack_bf16(b.x, b.y), pack_bf16(b.z, b.w));
    }
    *reinterpret_cast<uint4*>(sm.q + r * kPitch + c) = packed;
  }

  // kThreads / kKeys threads per key row: one block-table lookup per thread and tile (a lookup per
  // 16-byte copy, with its load latency and division, made decode ~5x slower).
  constexpr int kKeyThreads = kThreads / kKeys;
  static_assert(kVectors % kKeyThreads == 0);
  const int block_size = static_cast<int>(shape.block_size);
  auto load_tile = [&](int64_t tile_begin, int stage) {
    const int j = threadIdx.x / kKeyThreads, part = threadIdx.x % kKeyThreads;
    const int position = static_cast<int>(tile_begin) + j;  // positions fit int32 (the tiles hold them so)
    const bool valid = position < end;
    const int64_t slot = valid ? int64_t{table[position / block_size]} * block_size + position % block_size : 0;
    const __nv_bfloat16* src = keys + slot * shape.k_row;
    __nv_bfloat16* dst = sm.k[stage] + j * kPitch;
#pragma unroll
    for (int v = 0; v < kVectors / kKeyThreads; ++v) {
      const int c = (part + v * kKeyThreads) * 8;
      copy_16_async(dst + c, src + c, valid);  // zeros past the end
    }
    commit_async();
  };

  const int64_t key_tiles = end > begin ? (end - begin + kKeys - 1) / kKeys : 0;
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < key_tiles) {
      load_tile(begin + s * kKeys, s);
    } else {
      commit_async();
    }
  }

  // Score phase: this warp's row group and key slice; its lane holds rows quad_row and quad_row + 8.
  const int group = warp % kGroups, slice = warp / kGroups;
  int64_t limit[2];  // positions visible to the lane's two rows within this split
  for (int half = 0; half < 2; ++half) {
    const int r = group * 16 + quad_row + half * 8;
    limit[half] = q_row(r) >= 0 ? min(first_visible + r / heads_per_block, end) : 0;
  }
  const float score_scale = shape.scale * kLog2e;  // scores in log2 units: exp2f below
  float run_max[2] = {-FLT_MAX, -FLT_MAX};
  float run_sum[2] = {0.0f, 0.0f};  // this lane's columns only; summed over quads and slices at the end
  float o[kGroups][kWarpColumns / 8][4];
#pragma unroll
  for (int g = 0; g < kGroups; ++g) {
#pragma unroll
    for (int n = 0; n < kWarpColumns / 8; ++n) o[g][n][0] = o[g][n][1] = o[g][n][2] = o[g][n][3] = 0.0f;
  }

  for (int64_t t = 0; t < key_tiles; ++t) {
    const int64_t next = t + kStages - 1;
    if (next < key_tiles) {
      load_tile(begin + next * kKeys, static_cast<int>(next % kStages));
    } else {
      commit_async();  // empty groups keep wait_async<kStages − 1> meaning "tile t has landed"
    }
    wait_async<kStages - 1>();
    __syncthreads();
    const __nv_bfloat16* k_s = sm.k[t % kStages];
    const int64_t slice_begin = begin + t * kKeys + slice * kWarpKeys;

    float s[kScoreBlocks][4];
#pragma unroll
    for (int nb = 0; nb < kScoreBlocks; ++nb) s[nb][0] = s[nb][1] = s[nb][2] = s[nb][3] = 0.0f;
    const __nv_bfloat16* q_s = sm.q + (group * 16 + (lane & 15)) * kPitch + (lane >> 4) * 8;
    const __nv_bfloat16* k_rows = k_s + (slice * kWarpKeys + (lane & 7)) * kPitch + (lane >> 3) * 8;
#pragma unroll 6
    for (int kk = 0; kk < kDim / 16; kk += 2) {
      uint32_t a0[4], a1[4];
      load_matrices(a0, q_s + kk * 16);
      load_matrices(a1, q_s + kk * 16 + 16);
#pragma unroll
      for (int nb = 0; nb < kScoreBlocks; ++nb) {
        uint32_t b[4];  // keys nb·8 + (lane % 8), dims kk·16 + (lane / 8)·8: k-steps kk and kk + 1
        load_matrices(b, k_rows + nb * 8 * kPitch + kk * 16);
        mma(s[nb], a0, b[0], b[1]);
        mma(s[nb], a1, b[2], b[3]);
      }
    }

    float tile_max[2] = {-FLT_MAX, -FLT_MAX};
#pragma unroll
    for (int nb = 0; nb < kScoreBlocks; ++nb) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int64_t p = slice_begin + nb * 8 + quad_col + (e & 1);
        s[nb][e] = p < limit[e / 2] ? s[nb][e] * score_scale : -INFINITY;
        tile_max[e / 2] = fmaxf(tile_max[e / 2], s[nb][e]);
      }
    }
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      tile_max[half] = fmaxf(tile_max[half], __shfl_xor_sync(0xffffffffu, tile_max[half], 1));
      tile_max[half] = fmaxf(tile_max[half], __shfl_xor_sync(0xffffffffu, tile_max[half], 2));
      if (lane % 4 == 0) sm.slice_max[slice][group * 16 + quad_row + half * 8] = tile_max[half];
    }
    __syncthreads();
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int r = group * 16 + quad_row + half * 8;
      float new_max = run_max[half];
#pragma unroll
      for (int other = 0; other < Shared::kSlices; ++other) new_max = fmaxf(new_max, sm.slice_max[other][r]);
      // A row with nothing visible yet keeps max −FLT_MAX: its p are exp2(−inf) = 0.
      const float rescale = exp2f(run_max[half] - new_max);
      run_max[half] = new_max;
      run_sum[half] *= rescale;
      if (slice == 0 && lane % 4 == 0) sm.rescale[r] = rescale;
    }
#pragma unroll
    for (int nb = 0; nb < kScoreBlocks; ++nb) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        s[nb][e] = exp2f(s[nb][e] - run_max[e / 2]);
        run_sum[e / 2] += s[nb][e];
      }
      __nv_bfloat16* p_s = sm.p + (group * 16 + quad_row) * kProbPitch + slice * kWarpKeys + nb * 8 + quad_col;
      *reinterpret_cast<uint32_t*>(p_s) = pack_bf16(s[nb][0], s[nb][1]);
      *reinterpret_cast<uint32_t*>(p_s + 8 * kProbPitch) = pack_bf16(s[nb][2], s[nb][3]);
    }
    __syncthreads();

    // Value phase: columns [warp · 64, warp · 64 + 64) of every row.
#pragma unroll
    for (int g = 0; g < kGroups; ++g) {
      const float low = sm.rescale[g * 16 + quad_row], high = sm.rescale[g * 16 + quad_row + 8];
#pragma unroll
      for (int n = 0; n < kWarpColumns / 8; ++n) {
        o[g][n][0] *= low;
        o[g][n][1] *= low;
        o[g][n][2] *= high;
        o[g][n][3] *= high;
      }
    }
    // ldmatrix x4 transposed over keys j·16 + (lane % 8) + ((lane / 8) % 2)·8, columns (2·nn + lane / 16)·8.
    const __nv_bfloat16* v_rows =
        k_s + ((lane & 7) + ((lane >> 3) & 1) * 8) * kPitch + warp * kWarpColumns + (lane >> 4) * 8;
    const __nv_bfloat16* p_rows = sm.p + (lane & 15) * kProbPitch + (lane >> 4) * 8;
#pragma unroll
    for (int j = 0; j < kKeys / 16; ++j) {
      uint32_t b[kWarpColumns / 16][4];
#pragma unroll
      for (int nn = 0; nn < kWarpColumns / 16; ++nn) load_matrices_transposed(b[nn], v_rows + j * 16 * kPitch + nn * 16);
#pragma unroll
      for (int g = 0; g < kGroups; ++g) {
        uint32_t a[4];
        load_matrices(a, p_rows + g * 16 * kProbPitch + j * 16);
#pragma unroll
        for (int nn = 0; nn < kWarpColumns / 16; ++nn) {
          mma(o[g][2 * nn], a, b[nn][0], b[nn][1]);
          mma(o[g][2 * nn + 1], a, b[nn][2], b[nn][3]);
        }
      }
    }
    __syncthreads();  // this stage is refilled kStages − 1 tiles on; P and the maxima are rewritten
  }
  wait_async<0>();

#pragma unroll
  for (int half = 0; half < 2; ++half) {
    run_sum[half] += __shfl_xor_sync(0xffffffffu, run_sum[half], 1);
    run_sum[half] += __shfl_xor_sync(0xffffffffu, run_sum[half], 2);
    const int r = group * 16 + quad_row + half * 8;
    if (lane % 4 == 0) sm.slice_max[slice][r] = run_sum[half];
    if (slice == 0 && lane % 4 == 0) sm.row_max[r] = run_max[half];
  }
  __syncthreads();

#pragma unroll
  for (int g = 0; g < kGroups; ++g) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int r = g * 16 + quad_row + half * 8;
      const int64_t row = q_row(r);
      if (row < 0) continue;
      float sum = 0.0f;
#pragma unroll
      for (int other = 0; other < Shared::kSlices; ++other) sum += sm.slice_max[other][r];
      const float inverse = sum > 0.0f ? 1.0f / sum : 0.0f;
      float* dst = partial_out == nullptr ? out + row * kValueDim : partial_out + (row * tiling.splits + split) * kValueDim;
#pragma unroll
      for (int n = 0; n < kWarpColumns / 8; ++n) {
        *reinterpret_cast<float2*>(dst + warp * kWarpColumns + n * 8 + quad_col) =
            make_float2(o[g][n][2 * half] * inverse, o[g][n][2 * half + 1] * inverse);
      }
      if (partial_out != nullptr && warp == 0 && lane % 4 == 0) {
        partial_lse[row * tiling.splits + split] = sum > 0.0f ? (sm.row_max[r] + log2f(sum)) * kLn2 : -INFINITY;
      }
    }
  }
}

// Block (query row slot, head, 64-column chunk): out = Σ_s w_s · partial_s / Σ_s w_s with
// w_s = exp(lse_s − max lse) over the splits. Thread (split lane, 4 columns): the split lanes sum
// every kMergeLanes-th split and meet in shared memory, so a decode row's merge is spread over
// many SMs and has many loads in flight (one block per row and head left it the larger cost).
__global__ void __launch_bounds__(kMergeThreads) mla_merge_kernel(const int32_t* tiles, int64_t rows_per_tile,
                                                                  int64_t heads, int64_t splits,
                                                                  const float* partial_out, const float* partial_lse,
                                                                  float* out) {
  constexpr int kVectorsPerChunk = kMergeColumns / 4;
  __shared__ float4 sum_s[kMergeLanes][kVectorsPerChunk];
  __shared__ float total_s[kMergeLanes];
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int32_t* tile = tiles + 4 * (blockIdx.x / rows_per_tile);
  const int64_t r = blockIdx.x % rows_per_tile;
  if (r >= tile[1]) return;
  const int64_t row = (tile[0] + r) * heads + blockIdx.y;
  const int vector = static_cast<int>(threadIdx.x) % kVectorsPerChunk;
  const int split_lane = static_cast<int>(threadIdx.x) / kVectorsPerChunk;
  const float* lse = partial_lse + row * splits;
  float max_lse = -INFINITY;
  for (int64_t s = 0; s < splits; ++s) max_lse = fmaxf(max_lse, lse[s]);
  const float4* column =
      reinterpret_cast<const float4*>(partial_out + row * splits * kValueDim + blockIdx.z * kMergeColumns) + vector;
  float total = 0.0f;
  float4 sum = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
#pragma unroll 4
  for (int64_t s = split_lane; s < splits; s += kMergeLanes) {
    const float weight = expf(lse[s] - max_lse);
    const float4 value = column[s * (kValueDim / 4)];
    total += weight;
    sum = make_float4(sum.x + weight * value.x, sum.y + weight * value.y, sum.z + weight * value.z,
                      sum.w + weight * value.w);
  }
  sum_s[split_lane][vector] = sum;
  if (vector == 0) total_s[split_lane] = total;
  __syncthreads();
  if (split_lane != 0) return;
  for (int lane = 1; lane < kMergeLanes; ++lane) {
    const float4 other = sum_s[lane][vector];
    sum = make_float4(sum.x + other.x, sum.y + other.y, sum.z + other.z, sum.w + other.w);
    total += total_s[lane];
  }
  reinterpret_cast<float4*>(out + row * kValueDim + blockIdx.z * kMergeColumns)[vector] =
      make_float4(sum.x / total, sum.y / total, sum.z / total, sum.w / total);
}

// Block (query row slot, head h, kProjectColumns outputs from o0): the merge of mla_merge_kernel
// over all 512 columns of (row, h) into shared memory, then out[row, h, o0 + j] = w[h, o0 + j] ·
// merged, warp w taking outputs 2w and 2w + 1 (kProjectRowsPerWarp). Its weight rows are in
// registers before the wait: nothing in a step writes weights. Thread (split lane, float4 column)
// keeps its own running maximum, rescaled once per kProjectLoads splits loaded together, so no
// load waits for the splits' maximum; the split lanes meet in shared memory. Each block of a
// (row, head) repeats its merge (32 KB of L2 reads at 16 splits) rather than wait for a merge
// kernel. out [q_rows, heads, outs].
__global__ void __launch_bounds__(kProjectThreads)
    mla_merge_project_kernel(const int32_t* tiles, int64_t rows_per_tile, int64_t heads, int64_t splits,
                             const float* partial_out, const float* partial_lse, const __nv_bfloat16* w,
                             int64_t outs, float* out) {
  __shared__ float4 sum_s[kProjectSplitLanes][kProjectVectors];
  __shared__ float max_s[kProjectSplitLanes];
  __shared__ float total_s[kProjectSplitLanes];
  __shared__ float4 merged_s[kProjectVectors];
  const int warp = static_cast<int>(threadIdx.x / 32);
  const int lane = static_cast<int>(threadIdx.x % 32);
  const int64_t head = blockIdx.y;
  const int64_t first_out = blockIdx.z * int64_t{kProjectColumns} + warp * kProjectRowsPerWarp;
  uint4 weights[kProjectRowsPerWarp][kProjectChunksPerLane];
#pragma unroll
  for (int i = 0; i < kProjectRowsPerWarp; ++i) {
    const auto* row = reinterpret_cast<const uint4*>(w + ((head * outs) + first_out + i) * kValueDim);
#pragma unroll
    for (int j = 0; j < kProjectChunksPerLane; ++j) weights[i][j] = __ldg(row + lane + 32 * j);
  }
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int32_t* tile = tiles + 4 * (blockIdx.x / rows_per_tile);
  const int64_t r = blockIdx.x % rows_per_tile;
  if (r >= tile[1]) return;
  const int64_t row = (tile[0] + r) * heads + head;

  const int vector = static_cast<int>(threadIdx.x) % kProjectVectors;
  const int split_lane = static_cast<int>(threadIdx.x) / kProjectVectors;
  const float* lse = partial_lse + row * splits;
  const float4* column = reinterpret_cast<const float4*>(partial_out + row * splits * kValueDim) + vector;
  float run_max = -INFINITY;
  float total = 0.0f;
  float4 sum = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
  for (int64_t base = split_lane; base < splits; base += kProjectSplitLanes * kProjectLoads) {
    float part_lse[kProjectLoads];
    float4 part[kProjectLoads];
    float batch_max = run_max;
#pragma unroll
    for (int u = 0; u < kProjectLoads; ++u) {
      const int64_t s = base + u * kProjectSplitLanes;
      part_lse[u] = s < splits ? lse[s] : -INFINITY;
      part[u] = s < splits ? column[s * kProjectVectors] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      batch_max = fmaxf(batch_max, part_lse[u]);
    }
    if (batch_max == -INFINITY) continue;  // no position of these splits is visible
    const float rescale = expf(run_max - batch_max);
    total *= rescale;
    sum = make_float4(sum.x * rescale, sum.y * rescale, sum.z * rescale, sum.w * rescale);
#pragma unroll
    for (int u = 0; u < kProjectLoads; ++u) {
      const float weight = expf(part_lse[u] - batch_max);
      total += weight;
      sum = make_float4(sum.x + weight * part[u].x, sum.y + weight * part[u].y, sum.z + weight * part[u].z,
                        sum.w + weight * part[u].w);
    }
    run_max = batch_max;
  }
  sum_s[split_lane][vector] = sum;
  if (vector == 0) {
    max_s[split_lane] = run_max;
    total_s[split_lane] = total;
  }
  __syncthreads();
  if (split_lane == 0) {
    float row_max = -INFINITY;
    for (int other = 0; other < kProjectSplitLanes; ++other) row_max = fmaxf(row_max, max_s[other]);
    float row_total = 0.0f;
    float4 merged = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    for (int other = 0; other < kProjectSplitLanes; ++other) {
      if (max_s[other] == -INFINITY) continue;
      const float weight = expf(max_s[other] - row_max);
      const float4 value = sum_s[other][vector];
      row_total += weight * total_s[other];
      merged = make_float4(merged.x + weight * value.x, merged.y + weight * value.y, merged.z + weight * value.z,
                           merged.w + weight * value.w);
    }
    merged_s[vector] =
        make_float4(merged.x / row_total, merged.y / row_total, merged.z / row_total, merged.w / row_total);
  }
  __syncthreads();

  const auto* merged = reinterpret_cast<const float*>(merged_s);
#pragma unroll
  for (int i = 0; i < kProjectRowsPerWarp; ++i) {
    float acc = 0.0f;
#pragma unroll
    for (int j = 0; j < kProjectChunksPerLane; ++j) accumulate_bf16x8(weights[i][j], merged, lane + 32 * j, acc);
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) acc += __shfl_xor_sync(0xffffffffu, acc, offset);
    if (lane == 0) out[row * outs + first_out + i] = acc;
  }
}

template <int kGroups, int kKeys, int kStages>
void launch_variant(dim3 grid, const float* q, const __nv_bfloat16* keys, const int32_t* tiles, int64_t num_tiles,
                    const int32_t* block_tables, const AttentionShape& shape, const MlaTiling& tiling, float* out,
                    float* partial_out, float* partial_lse, cudaStream_t stream) {
  auto* kernel = mla_attention_kernel<kGroups, kKeys, kStages>;
  constexpr int kSharedBytes = sizeof(MlaShared<kGroups, kKeys, kStages>);
  R1B_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSharedBytes));
  launch_dependent(kernel, grid, kThreads, kSharedBytes, stream, q, keys, tiles, num_tiles, block_tables, shape, tiling,
                   out, partial_out, partial_lse);
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

bool mla_attention_fits(const AttentionShape& shape, ElementType cache_type) {
  return shape.tensor_cores && shape.v_in_k && shape.kv_heads == 1 && shape.heads >= 1 && shape.k_dim == kDim &&
         shape.v_dim == kValueDim && shape.k_row == kDim && shape.block_size >= 1 && cache_type == ElementType::kBF16;
}

bool attention_projects(const AttentionShape& shape, ElementType cache_type, int64_t q_rows, int64_t outs) {
  return mla_attention_fits(shape, cache_type) && q_rows >= 1 && q_rows <= kGemvMaxRows && outs >= kProjectColumns &&
         outs % kProjectColumns == 0;
}

int64_t mla_rows_per_tile(const AttentionShape& shape) {
  const int64_t heads_per_block = shape.heads < kMaxBlockRows ? shape.heads : kMaxBlockRows;
  const int64_t rows = kMaxBlockRows / heads_per_block;
  return rows < kMaxRowsPerTile ? rows : kMaxRowsPerTile;
}

void launch_mla_attention(const float* q, int64_t q_rows, const void* keys, const int32_t* tiles, int64_t num_tiles,
                          int64_t rows_per_tile, int64_t max_visible, const int32_t* block_tables,
                          const AttentionShape& shape, float* out, Scratch& scratch, cudaStream_t stream,
                          const HeadProjection& projection) {
  MlaTiling tiling;
  tiling.heads_per_block = shape.heads < kMaxBlockRows ? shape.heads : kMaxBlockRows;
  const int64_t head_blocks = ceil_div(shape.heads, tiling.heads_per_block);
  const int64_t block_rows = rows_per_tile * tiling.heads_per_block;
  // About one block per SM (each holds ~170–190 KB of shared memory): split the context until then.
  const int64_t blocks = num_tiles * head_blocks;
  const int64_t wanted = ceil_div(num_sms(), blocks);
  const int64_t most = ceil_div(max_visible, kChunkTile);
  const int64_t splits = wanted < most ? wanted : most;
  tiling.chunk = ceil_div(ceil_div(max_visible, splits), kChunkTile) * kChunkTile;
  tiling.splits = ceil_div(max_visible, tiling.chunk);

  const bool merged = tiling.splits > 1 || projection.w != nullptr;
  float* partial_out = nullptr;
  float* partial_lse = nullptr;
  if (merged) {
    const int64_t entries = q_rows * shape.heads * tiling.splits;
    partial_out = static_cast<float*>(
        reserve(scratch, entries * (kValueDim + 1) * static_cast<int64_t>(sizeof(float)), stream));
    partial_lse = partial_out + entries * kValueDim;
  }
  const dim3 grid(static_cast<unsigned>(num_tiles), static_cast<unsigned>(head_blocks),
                  static_cast<unsigned>(tiling.splits));
  const auto* keys_bf16 = static_cast<const __nv_bfloat16*>(keys);
  if (block_rows <= 16) {
    launch_variant<1, 64, 2>(grid, q, keys_bf16, tiles, num_tiles, block_tables, shape, tiling, out, partial_out,
                             partial_lse, stream);
  } else if (block_rows <= 32) {
    launch_variant<2, 64, 2>(grid, q, keys_bf16, tiles, num_tiles, block_tables, shape, tiling, out, partial_out,
                             partial_lse, stream);
  } else {
    launch_variant<4, 32, 3>(grid, q, keys_bf16, tiles, num_tiles, block_tables, shape, tiling, out, partial_out,
                             partial_lse, stream);
  }
  if (projection.w != nullptr) {
    const dim3 project_grid(static_cast<unsigned>(num_tiles * rows_per_tile), static_cast<unsigned>(shape.heads),
                            static_cast<unsigned>(projection.outs / kProjectColumns));
    launch_dependent(mla_merge_project_kernel, project_grid, kProjectThreads, 0, stream, tiles, rows_per_tile,
                     shape.heads, tiling.splits, partial_out, partial_lse,
                     static_cast<const __nv_bfloat16*>(projection.w), projection.outs, out);
  } else if (merged) {
    const dim3 merge_grid(static_cast<unsigned>(num_tiles * rows_per_tile), static_cast<unsigned>(shape.heads),
                          kValueDim / kMergeColumns);
    launch_dependent(mla_merge_kernel, merge_grid, kMergeThreads, 0, stream, tiles, rows_per_tile, shape.heads,
                     tiling.splits, partial_out, partial_lse, out);
  }
}

}  // namespace r1b::kernels
