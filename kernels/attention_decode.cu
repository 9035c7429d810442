// Decode attention on the tensor cores with shared prefixes read once per group (cascade
// attention), for dispatch.h's decode_attention(): dense width-128 heads, a bf16 cache.
//
// Work item: one KV head (blockIdx.y) × a run of key positions × a query tile. A suffix item's tile
// is one decode row's GQA group of query heads (≤ 16 MMA rows); a prefix item's tile is up to
// kMaxDecodeTileTokens rows of one sample group × their GQA heads (≤ 64 MMA rows), all of which see
// the whole shared prefix. A block has 4 computing warps and a copy warp, which streams 64-key
// tiles of K and V through the block table into shared memory by TMA (tma.cuh: one copy per run
// of gcd(block_size, 64) positions of a page, all 128 dims), 3 stages (2 for prefix items) on
// mbarriers. The first tiles are requested before the wait for the kernel before — positions of
// earlier steps, which no kernel of this step writes — and the step's new position after it;
// every K/V byte of the run is read once per block. The copies used to be 16-byte cp.async by
// every thread, a third of the computing warps' instructions: the copy warp took B=1 decode steps
// of the 1.5B shape on an H100 from 1.63-1.65 to 1.61 ms, B=64 at 8k from 7.67-7.77 to 7.46-7.48,
// B=512 groups at 8k from 28.5 to 27.8; B=64 at 1k unchanged, B=16 2-5% slower (its items are two
// tiles long, and the copy warp's first copies wait on one block-table read).
// Each warp runs S = Q·Kᵀ and O += P·V with mma.sync m16n8k16 (bf16 in, fp32 accumulate): the
// score accumulator is re-packed in registers as the A operand of P·V (FlashAttention-2), and the
// output stays in registers. A suffix tile has only 16 rows, so its 4 warps split each key tile
// (16 keys each) and are merged through shared memory at the end; a prefix tile gives each warp
// its own 16 rows. Every item writes its normalised output and log-sum-exp as one partial result
// ("entry") — or, when it is its row's only entry, the output itself.
//
// Order: the prefix kernel runs first; the suffix kernel then counts, per (row, KV head), the
// suffix items that have written their entries (an arrival counter in the plan's device arrays,
// which the last arrival sets back to zero), and the last one merges all of the row's entries,
// prefix ones included (the split-K merge: weights exp(lse − max)). Every planned row has at least
// one suffix position, so every row is merged. A step of at most kSeparateMergeRows rows instead
// merges in a last kernel, one block per (row, head): there a row's many entries (B=1 at 8k: 64
// items) would otherwise be read by the one block that arrives last (H100, 1.5B: B=1 2.19 against
// 2.11 ms at 1k, 2.84 against 2.50 at 8k), while with many rows the last arrivals share the merge.
//
// The plan (host): the longest item (≥ total positions / a target item count) bounds the item
// count by target + rows, so capacities — and so the launch shapes of a recorded decode step —
// depend on the row count only; padded items have an empty key run and exit. Short contexts get
// longer items, one wave of blocks, so that each block's fixed costs (its first tile's latency,
// the merge) are paid once. Each run is then cut into items of equal length, so no short last
// item leaves a wave half empty.
#include <cuda_bf16.h>

#include <algorithm>
#include <cfloat>
#include <unordered_map>

#include "kernels/attention_tc.cuh"
#include "kernels/cuda_check.cuh"
#include "kernels/dependent_launch.cuh"
#include "kernels/dispatch.h"
#include "kernels/mma_fragments.cuh"
#include "kernels/tma.cuh"

namespace r1b::kernels {

namespace {

constexpr int kWarps = 4;                     // warps that compute
constexpr int kThreads = kWarps * 32;         // the computing threads (the merges' too)
constexpr int kBlockThreads = kThreads + 32;  // and one warp that only issues the copies
constexpr int kKeys = 64;              // key positions per shared-memory tile
constexpr int kDim = 128;
constexpr int kRowBytes = 128;                   // a panel row: 64 dims of bf16
constexpr int kTileBytes = kKeys * 2 * kRowBytes;  // a tile's keys (or values): 64 rows × 2 panels
constexpr int kComputeBarrier = 1;  // named barrier of the computing warps (0 is __syncthreads)
// Key tiles in flight per block and blocks per SM (registers and shared memory allow no more).
constexpr int kSuffixStages = 3;
constexpr int kSuffixBlocksPerSm = 2;
constexpr int kPrefixStages = 2;
constexpr int kPrefixBlocksPerSm = 2;  // its 64-row score tiles need more registers than 3 blocks leave
constexpr int kMaxTileRows = kWarps * 16;
constexpr int64_t kMinSharedPrefix = 256;  // shorter common prefixes are attended per row
constexpr int64_t kMinChunk = 2 * kKeys;   // positions per item at least
constexpr int64_t kItemsPerSm = 8;         // suffix items (× KV heads) per SM at most: a few waves
constexpr int64_t kLongChunk = 2048;       // suffix items stay one wave up to this length
constexpr int64_t kPrefixItemsPerSm = 3;   // prefix items (× KV heads) per SM: long items, fewer Q tiles
constexpr int kQuads = kDim / 4;           // float4 columns per head (the merge's unit of work)
constexpr int kMergeUnits = 2;             // (head, 4 columns) units a merging thread takes at once
constexpr int kSuffixInts = 6;
constexpr int64_t kSeparateMergeRows = 4;
constexpr int kPrefixInts = 4;
constexpr int kTileInts = 2 + static_cast<int>(kMaxDecodeTileTokens);
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

// A copy (one TMA box of tma.cuh's panel_map) is a run of 2^box_shift positions of one page ×
// all 128 dims: gcd(block_size, 64) positions (box_shift_for), since tiles start at multiples of
// that (items start at page boundaries or multiples of kKeys) and a page holds a multiple of it.
// Fewer, larger copies stream faster (H100, B=64 at 1k, the suffix kernel of one layer: 8-position
// runs as two 64-dim copies each 38.5 us, as one copy 35.2, 16-position runs 34.1-37.0).
__host__ __device__ inline int box_shift_for(int64_t block_size) {
  int shift = 3;  // block_size is a multiple of 8 (decode_attention_fits)
  while (shift < 6 && block_size % (int64_t{2} << shift) == 0) ++shift;
  return shift;
}
// Key and value tiles as boxes: 16-byte chunk c (dims 8c..8c+7) of tile row r lies in box
// r >> box_shift, 64-dim panel c / 8 of it (each panel 2^box_shift rows of 128 bytes), at row
// byte ((c % 8) ^ (r % 8)) · 16 — the 128-byte swizzle — so the 8 rows an ldmatrix reads hit
// distinct banks.
__device__ inline uint32_t row_offset(int row, int panel, int box_shift) {
  const int box = row >> box_shift, in_box = row & ((1 << box_shift) - 1);
  return (box << (box_shift + 8)) + (panel << (box_shift + 7)) + in_box * kRowBytes;
}
__device__ inline uint32_t tile_offset(int row, int chunk, int box_shift) {
  return row_offset(row, chunk / 8, box_shift) + (((chunk % 8) ^ (row % 8)) << 4);
}

template <int kStages>
struct alignas(1024) Shared {  // 1024: panels start on whole swizzle atoms
  union {
    struct {
      unsigned char k[kStages][kTileBytes];
      unsigned char v[kStages][kTileBytes];
    } tiles;
    struct {
      float out[kWarps][16][kDim + 4];
      float max[kWarps][16];
      float sum[kWarps][16];
    } merge;
  };
  uint64_t full[kStages];   // mbarriers: the stage's copies have landed
  uint64_t empty[kStages];  // every computing warp is done with the stage
  int rows[kMaxDecodeTileTokens];     // q row of each tile token
  int entries[kMaxDecodeTileTokens];  // partial result of each tile token
  // suffix_kernel: whether this block merges its row, and the row's entries
  bool last;
  int entry_begin, entry_end;
};

// The block's shared memory: Shared<kStages> on the first 1024-byte boundary of the dynamic
// allocation (launched with sizeof(Shared) + 1024 bytes), its barriers set up by thread 0.
template <int kStages>
__device__ Shared<kStages>& shared_state(unsigned char* raw) {
  const auto address = reinterpret_cast<uintptr_t>(raw);
  auto& sm = *reinterpret_cast<Shared<kStages>*>((address + 1023) & ~uintptr_t{1023});
  if (threadIdx.x == 0) {
    for (int stage = 0; stage < kStages; ++stage) {
      barrier_init(shared_address(&sm.full[stage]), 1);
      barrier_init(shared_address(&sm.empty[stage]), kWarps);
    }
    fence_barrier_init();
  }
  return sm;
}

// The block's query tile (sm.rows / sm.entries, `tokens` of them, × the GQA group of kv_head)
// over key positions [key_begin, key_end) of `table`; writes one partial result per (token, head):
// the normalised output at partial_out[entry, head] and, unless partial_lse is null, its log-sum-exp.
// kRowWarps: warps with their own 16 rows (1: suffix tiles, 4: prefix tiles); the other
// kWarps / kRowWarps split each key tile. The copy warp (warp kWarps) streams the run's tiles
// through the kStages stages — sm.full[s] counts a tile's bytes in, sm.empty[s] the computing
// warps' arrivals once they are done with it — and returns when it has queued the last; the
// first kStages tiles are requested before the wait for the kernel before (dependent_launch.cuh),
// except, with `last_is_new`, the box holding the run's last position, which that kernel may still
// be writing. `tiles_before`: tiles this block's stages have carried before (each role counts its
// own); the stages' phases follow from it. The computing warps wait for the kernel before, then
// read q. The block's threads must all have passed a barrier since shared_state().
template <int kRowWarps, int kStages>
__device__ void attend(const CUtensorMap& key_map, const CUtensorMap& value_map, const float* q, const int32_t* table,
                       int64_t key_begin, int64_t key_end, bool last_is_new, int tokens, const AttentionShape& shape,
                       int64_t kv_head, float* partial_out, float* partial_lse, Shared<kStages>& sm,
                       int64_t& tiles_before) {
  constexpr int kKeyWarps = kWarps / kRowWarps;
  constexpr int kWarpKeys = kKeys / kKeyWarps;  // keys per warp per tile
  constexpr int kScoreBlocks = kWarpKeys / 8;
  const int group = static_cast<int>(shape.heads / shape.kv_heads);
  const int tile_rows = tokens * group;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t num_tiles = (key_end - key_begin + kKeys - 1) / kKeys;
  const int box_shift = box_shift_for(shape.block_size);
  const int box_rows = 1 << box_shift;
  const int64_t first_tile = tiles_before;
  tiles_before += num_tiles;

  if (warp == kWarps) {
    // Lane b copies box b of a tile (its positions that exist), keys and values, both panels.
    // Its cache row comes from the block table a tile ahead of the copy (box_row), so that the
    // read's latency passes while the warp waits for a free stage rather than after it.
    if (lane == 0) {
      prefetch_tensor_map(key_map);
      prefetch_tensor_map(value_map);
    }
    const int block_size = static_cast<int>(shape.block_size);
    const int key_panel = static_cast<int>(kv_head * kDim / 64);
    const int value_panel = static_cast<int>(kv_head * shape.v_head_stride / 64);
    const int64_t new_position = last_is_new ? key_end - 1 : -1;
    auto box_row = [&](int64_t tile) {
      const int64_t position = key_begin + tile * kKeys + lane * box_rows;
      if (tile >= num_tiles || lane >= kKeys / box_rows || position >= key_end) return 0;
      const int page = static_cast<int>(position / block_size);
      return table[page] * block_size + static_cast<int>(position - int64_t{page} * block_size);
    };
    auto copy_box = [&](int row, int stage) {
      const uint32_t full = shared_address(&sm.full[stage]);
      const uint32_t k_box = shared_address(sm.tiles.k[stage]) + row_offset(lane * box_rows, 0, box_shift);
      const uint32_t v_box = shared_address(sm.tiles.v[stage]) + row_offset(lane * box_rows, 0, box_shift);
      tma_load_panels(k_box, key_map, row, key_panel, full);
      tma_load_panels(v_box, value_map, row, value_panel, full);
    };
    bool waited = false;
    int held_row = -1, held_stage = 0;  // the box with the new position waits for the kernel before
    auto wait_and_copy_held = [&] {
      wait_for_previous_kernel();
      waited = true;
      if (held_row >= 0) copy_box(held_row, held_stage);
    };
    int row = box_row(0);
    for (int64_t t = 0; t < num_tiles; ++t) {
      const int this_row = row;
      row = box_row(t + 1);
      if (t == kStages) wait_and_copy_held();
      const int64_t use = first_tile + t;
      const int stage = static_cast<int>(use % kStages);
      if (use >= kStages) barrier_wait(shared_address(&sm.empty[stage]), static_cast<int>((use / kStages - 1) % 2));
      const int64_t tile_begin = key_begin + t * kKeys;
      const int64_t positions = key_end - tile_begin < kKeys ? key_end - tile_begin : kKeys;
      const int boxes = static_cast<int>((positions + box_rows - 1) >> box_shift);
      if (lane == 0) barrier_arrive_expect(shared_address(&sm.full[stage]), boxes * box_rows * 4 * kRowBytes);
      __syncwarp();
      if (lane >= boxes) continue;
      const int64_t position = tile_begin + lane * box_rows;
      if (!waited && new_position >= position && new_position < position + box_rows) {
        held_row = this_row;  // set on the lane whose box it is
        held_stage = stage;
        continue;
      }
      copy_box(this_row, stage);
    }
    if (!waited) wait_and_copy_held();
    return;
  }

  const int row_group = warp % kRowWarps, key_slice = warp / kRowWarps;
  const int quad_row = lane / 4, quad_col = (lane % 4) * 2;
  wait_for_previous_kernel();  // q is the kernel before's
  // Q fragments (rows quad_row and quad_row + 8 of this warp's 16), rounded to bf16.
  uint32_t q_frag[kDim / 16][4];
  const float* q_rows[2] = {nullptr, nullptr};
  for (int half = 0; half < 2; ++half) {
    const int r = row_group * 16 + quad_row + half * 8;
    if (r < tile_rows) {
      q_rows[half] = q + (int64_t{sm.rows[r / group]} * shape.heads + kv_head * group + r % group) * kDim;
    }
  }
#pragma unroll
  for (int kk = 0; kk < kDim / 16; ++kk) {
#pragma unroll
    for (int part = 0; part < 4; ++part) {
      const float* row = q_rows[part % 2];
      const int col = kk * 16 + quad_col + (part / 2) * 8;
      const float2 value = row != nullptr ? *reinterpret_cast<const float2*>(row + col) : make_float2(0.0f, 0.0f);
      q_frag[kk][part] = pack_bf16(value.x, value.y);
    }
  }

  const float score_scale = shape.scale * kLog2e;  // scores in log2 units: exp2f below
  float o[kDim / 8][4];
#pragma unroll
  for (int n = 0; n < kDim / 8; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;
  float run_max[2] = {-FLT_MAX, -FLT_MAX};
  float run_sum[2] = {0.0f, 0.0f};  // this lane's columns only; summed over the quad at the end

  const int slice_row = key_slice * kWarpKeys;  // this warp's first row of each tile
  for (int64_t t = 0; t < num_tiles; ++t) {
    const int64_t use = first_tile + t;
    const int stage = static_cast<int>(use % kStages);
    barrier_wait(shared_address(&sm.full[stage]), static_cast<int>(use / kStages % 2));
    const unsigned char* k_s = sm.tiles.k[stage];
    unsigned char* v_s = sm.tiles.v[stage];
    const int64_t warp_begin = key_begin + t * kKeys + slice_row;
    // Keys of this warp's slice before the run's end (all but in the last tile).
    const int64_t left = key_end - warp_begin;
    const int warp_keys = left < kWarpKeys ? static_cast<int>(left < 0 ? 0 : left) : kWarpKeys;
    // Value rows past the run were not copied (or hold cache slots never written, possibly NaN):
    // zeros, since their probabilities (0) still multiply them.
    if (warp_keys < kWarpKeys) {
      for (int i = lane; i < (kWarpKeys - warp_keys) * (kDim / 8); i += 32) {
        const int row = slice_row + warp_keys + i / (kDim / 8);
        *reinterpret_cast<uint4*>(v_s + tile_offset(row, i % (kDim / 8), box_shift)) = make_uint4(0, 0, 0, 0);
      }
      fence_shared_for_async();  // before a later copy into this stage
      __syncwarp();
    }

    float s[kScoreBlocks][4];
#pragma unroll
    for (int nb = 0; nb < kScoreBlocks; ++nb) s[nb][0] = s[nb][1] = s[nb][2] = s[nb][3] = 0.0f;
    // ldmatrix x4 over keys nb·8 + (lane % 8), dims kk·16 + (lane / 8)·8: B fragments of k-steps kk, kk + 1.
#pragma unroll
    for (int kk = 0; kk < kDim / 16; kk += 2) {
#pragma unroll
      for (int nb = 0; nb < kScoreBlocks; ++nb) {
        uint32_t b[4];
        load_matrices(b, reinterpret_cast<const __nv_bfloat16*>(
                             k_s + tile_offset(slice_row + nb * 8 + (lane & 7), kk * 2 + (lane >> 3), box_shift)));
        mma(s[nb], q_frag[kk], b[0], b[1]);
        mma(s[nb], q_frag[kk + 1], b[2], b[3]);
      }
    }

    float tile_max[2] = {-FLT_MAX, -FLT_MAX};
#pragma unroll
    for (int nb = 0; nb < kScoreBlocks; ++nb) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        s[nb][e] = nb * 8 + quad_col + (e & 1) < warp_keys ? s[nb][e] * score_scale : -INFINITY;
        tile_max[e / 2] = fmaxf(tile_max[e / 2], s[nb][e]);
      }
    }
    float rescale[2];
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      tile_max[half] = fmaxf(tile_max[half], __shfl_xor_sync(0xffffffffu, tile_max[half], 1));
      tile_max[half] = fmaxf(tile_max[half], __shfl_xor_sync(0xffffffffu, tile_max[half], 2));
      const float new_max = fmaxf(run_max[half], tile_max[half]);
      rescale[half] = exp2f(run_max[half] - new_max);
      run_max[half] = new_max;
      run_sum[half] *= rescale[half];
    }
#pragma unroll
    for (int nb = 0; nb < kScoreBlocks; ++nb) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        s[nb][e] = exp2f(s[nb][e] - run_max[e / 2]);  // masked: exp2(−inf) = 0
        run_sum[e / 2] += s[nb][e];
      }
    }
    // Once the running maxima settle, most tiles leave them as they are (rescale exactly 1):
    // the warp then skips the 64 multiplications.
    if (__any_sync(0xffffffffu, rescale[0] != 1.0f || rescale[1] != 1.0f)) {
#pragma unroll
      for (int n = 0; n < kDim / 8; ++n) {
        o[n][0] *= rescale[0];
        o[n][1] *= rescale[0];
        o[n][2] *= rescale[1];
        o[n][3] *= rescale[1];
      }
    }
    // O += P · V per 16 keys: the score accumulators of key blocks 2j, 2j + 1 are P's A fragment;
    // ldmatrix x4 transposed over keys j·16 + (lane % 8) + ((lane / 8) % 2)·8, dims (n + lane / 16)·8.
#pragma unroll
    for (int j = 0; j < kScoreBlocks / 2; ++j) {
      const uint32_t p_frag[4] = {pack_bf16(s[2 * j][0], s[2 * j][1]), pack_bf16(s[2 * j][2], s[2 * j][3]),
                                  pack_bf16(s[2 * j + 1][0], s[2 * j + 1][1]),
                                  pack_bf16(s[2 * j + 1][2], s[2 * j + 1][3])};
      const int v_row = slice_row + j * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
#pragma unroll
      for (int n = 0; n < kDim / 8; n += 2) {
        uint32_t b[4];
        load_matrices_transposed(
            b, reinterpret_cast<const __nv_bfloat16*>(v_s + tile_offset(v_row, n + (lane >> 4), box_shift)));
        mma(o[n], p_frag, b[0], b[1]);
        mma(o[n + 1], p_frag, b[2], b[3]);
      }
    }
    __syncwarp();
    if (lane == 0) barrier_arrive(shared_address(&sm.empty[stage]));  // the copy warp may refill it
  }
  // Every tile has landed and been read: the tiles' shared memory becomes the merge area.
  named_barrier_sync(kComputeBarrier, kThreads);

  for (int half = 0; half < 2; ++half) {
    run_sum[half] += __shfl_xor_sync(0xffffffffu, run_sum[half], 1);
    run_sum[half] += __shfl_xor_sync(0xffffffffu, run_sum[half], 2);
    if (lane % 4 == 0) {
      sm.merge.max[warp][quad_row + half * 8] = run_max[half];
      sm.merge.sum[warp][quad_row + half * 8] = run_sum[half];
    }
  }
#pragma unroll
  for (int n = 0; n < kDim / 8; ++n) {
    *reinterpret_cast<float2*>(&sm.merge.out[warp][quad_row][n * 8 + quad_col]) = make_float2(o[n][0], o[n][1]);
    *reinterpret_cast<float2*>(&sm.merge.out[warp][quad_row + 8][n * 8 + quad_col]) = make_float2(o[n][2], o[n][3]);
  }
  named_barrier_sync(kComputeBarrier, kThreads);
  // The key warps' parts of each tile row r, 4 columns a thread: weights exp2(max_w − max) once
  // per (row, warp), then float4 reads of the parts.
  for (int unit = threadIdx.x; unit < tile_rows * (kDim / 4); unit += kThreads) {
    const int r = unit / (kDim / 4), d = (unit % (kDim / 4)) * 4;
    const int rg = r / 16, rr = r % 16;
    float max_all = -FLT_MAX;
#pragma unroll
    for (int kw = 0; kw < kKeyWarps; ++kw) max_all = fmaxf(max_all, sm.merge.max[kw * kRowWarps + rg][rr]);
    float sum = 0.0f;
    float4 value = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
#pragma unroll
    for (int kw = 0; kw < kKeyWarps; ++kw) {
      const int w = kw * kRowWarps + rg;
      const float weight = exp2f(sm.merge.max[w][rr] - max_all);
      const float4 part = *reinterpret_cast<const float4*>(&sm.merge.out[w][rr][d]);
      sum += sm.merge.sum[w][rr] * weight;
      value.x += part.x * weight;
      value.y += part.y * weight;
      value.z += part.z * weight;
      value.w += part.w * weight;
    }
    const int64_t entry_head = int64_t{sm.entries[r / group]} * shape.heads + kv_head * group + r % group;
    const float inverse = sum > 0.0f ? 1.0f / sum : 0.0f;
    *reinterpret_cast<float4*>(partial_out + entry_head * kDim + d) =
        make_float4(value.x * inverse, value.y * inverse, value.z * inverse, value.w * inverse);
    if (d == 0 && partial_lse != nullptr) {
      partial_lse[entry_head] = sum > 0.0f ? (max_all + log2f(sum)) * kLn2 : -INFINITY;
    }
  }
  fence_shared_for_async();  // the merge area's accesses come before later copies into the tiles
}

// The last suffix block of (row, kv_head): out[row, h] = Σ_e w_e · partial_e / Σ_e w_e over the
// row's entries [begin, end), w_e = exp(lse_e − max lse), for each head h of the KV head's GQA
// group. A thread takes kMergeUnits (head, 4 columns) units at once and merges their entries in
// one pass (online softmax), so the loads of several entries and units are in flight together.
// Entries are read through L2 (__ldcg), where the other blocks' writes are.
__device__ void merge_entries(int begin, int end, int64_t row, int64_t kv_head, const AttentionShape& shape,
                              const float* partial_out, const float* partial_lse, float* out) {
  const int group = static_cast<int>(shape.heads / shape.kv_heads);
  for (int first = threadIdx.x; first < group * kQuads; first += kMergeUnits * kThreads) {
    float max_lse[kMergeUnits], total[kMergeUnits];
    float4 sum[kMergeUnits];
#pragma unroll
    for (int u = 0; u < kMergeUnits; ++u) {
      max_lse[u] = -INFINITY;
      total[u] = 0.0f;
      sum[u] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    }
#pragma unroll 4
    for (int e = begin; e < end; ++e) {
#pragma unroll
      for (int u = 0; u < kMergeUnits; ++u) {
        const int unit = first + u * kThreads;
        if (unit >= group * kQuads) break;
        const int64_t head = kv_head * group + unit / kQuads;
        const float lse = __ldcg(partial_lse + e * shape.heads + head);
        const float4 value = __ldcg(reinterpret_cast<const float4*>(partial_out + (e * shape.heads + head) * kDim) +
                                    unit % kQuads);
        const float new_max = fmaxf(max_lse[u], lse);  // finite: every entry saw a position
        const float rescale = expf(max_lse[u] - new_max), weight = expf(lse - new_max);
        max_lse[u] = new_max;
        total[u] = total[u] * rescale + weight;
        sum[u].x = sum[u].x * rescale + weight * value.x;
        sum[u].y = sum[u].y * rescale + weight * value.y;
        sum[u].z = sum[u].z * rescale + weight * value.z;
        sum[u].w = sum[u].w * rescale + weight * value.w;
      }
    }
#pragma unroll
    for (int u = 0; u < kMergeUnits; ++u) {
      const int unit = first + u * kThreads;
      if (unit >= group * kQuads) break;
      const int64_t head = kv_head * group + unit / kQuads;
      reinterpret_cast<float4*>(out + (row * shape.heads + head) * kDim)[unit % kQuads] =
          make_float4(sum[u].x / total[u], sum[u].y / total[u], sum[u].z / total[u], sum[u].w / total[u]);
    }
  }
}

// The separate merge (plan.separate_merge): block (row, head), one thread per column: out = Σ_e
// w_e · partial_e / Σ_e w_e over the row's entries, w_e = exp(lse_e − max lse).
__global__ void __launch_bounds__(kDim) merge_entries_kernel(const int32_t* entry_offsets, int64_t heads,
                                                             const float* partial_out, const float* partial_lse,
                                                             float* out) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  __shared__ float weight_s[kDim];
  __shared__ float max_s[kDim / 32];
  const int64_t row = blockIdx.x, head = blockIdx.y;
  const int begin = entry_offsets[row], end = entry_offsets[row + 1];
  if (end - begin <= 1) return;  // no work, or its only item wrote the output
  float max_lse = -INFINITY;
  for (int e = begin + threadIdx.x; e < end; e += kDim) max_lse = fmaxf(max_lse, partial_lse[e * heads + head]);
  for (int offset = 16; offset > 0; offset /= 2) {
    max_lse = fmaxf(max_lse, __shfl_xor_sync(0xffffffffu, max_lse, offset));
  }
  if (threadIdx.x % 32 == 0) max_s[threadIdx.x / 32] = max_lse;
  __syncthreads();
  for (int w = 0; w < kDim / 32; ++w) max_lse = fmaxf(max_lse, max_s[w]);
  float total = 0.0f, sum = 0.0f;
  for (int base = begin; base < end; base += kDim) {
    const int e = base + static_cast<int>(threadIdx.x);
    __syncthreads();  // the previous batch's weights are read
    weight_s[threadIdx.x] = e < end ? expf(partial_lse[e * heads + head] - max_lse) : 0.0f;
    __syncthreads();
    const int count = min(kDim, end - base);
    const float* column = partial_out + (base * heads + head) * kDim + threadIdx.x;
#pragma unroll 8
    for (int i = 0; i < count; ++i) {
      total += weight_s[i];
      sum += weight_s[i] * column[i * heads * kDim];
    }
  }
  out[(row * heads + head) * kDim + threadIdx.x] = sum / total;
}

// suffix_items [capacity, 6]: q row, first key, end key, entry, table offset, arrivals (the row's
// suffix items; 0 when this item is the row's only entry; -1 under a separate merge). An only entry
// is written as the output; otherwise the item writes its entry and, unless a merge kernel follows,
// counts itself in arrivals[row, kv_head], and the row's last suffix item merges the row.
__global__ void __launch_bounds__(kBlockThreads, kSuffixBlocksPerSm)
    suffix_kernel(const __grid_constant__ CUtensorMap key_map, const __grid_constant__ CUtensorMap value_map,
                  const float* q, const int32_t* items, const int32_t* entry_offsets, int32_t* arrivals,
                  const int32_t* block_tables, AttentionShape shape, float* partial_out, float* partial_lse,
                  float* out) {
  let_next_kernel_start();  // attend() waits for the kernel before
  const int32_t* item = items + int64_t{kSuffixInts} * blockIdx.x;
  if (item[2] <= item[1]) {  // padding: still waits, so that this kernel ends after the one before
    wait_for_previous_kernel();
    return;
  }
  extern __shared__ unsigned char raw[];
  auto& sm = shared_state<kSuffixStages>(raw);
  const int row = item[0];
  const bool only = item[5] == 0;
  if (threadIdx.x == 0) {
    sm.rows[0] = row;
    sm.entries[0] = only ? row : item[3];
  }
  __syncthreads();
  int64_t tiles_before = 0;
  attend<1, kSuffixStages>(key_map, value_map, q, block_tables + item[4], item[1], item[2], true, 1, shape, blockIdx.y,
                           only ? out : partial_out, only ? nullptr : partial_lse, sm, tiles_before);
  if (threadIdx.x >= kThreads || only || item[5] < 0) return;  // the copy warp is done
  __threadfence();  // this block's entry is visible before its arrival is
  named_barrier_sync(kComputeBarrier, kThreads);
  int32_t* arrival = arrivals + int64_t{row} * shape.kv_heads + blockIdx.y;
  if (threadIdx.x == 0) {
    sm.entry_begin = entry_offsets[row];  // read while the atomic is in flight
    sm.entry_end = entry_offsets[row + 1];
    sm.last = atomicAdd(arrival, 1) == item[5] - 1;
    if (sm.last) *arrival = 0;  // every item of the row has arrived: ready for the next launch
  }
  named_barrier_sync(kComputeBarrier, kThreads);
  if (!sm.last) return;
  __threadfence();
  merge_entries(sm.entry_begin, sm.entry_end, row, blockIdx.y, shape, partial_out, partial_lse, out);
}

// prefix_items [capacity, 4]: tile, chunk, first key, end key; prefix_tiles [capacity, kTileInts]:
// rows, table offset, q rows. Entry of row r for chunk c: entry_offsets[r] + c. The grid is one
// wave (kPrefixBlocksPerSm per SM), each block taking every gridDim.x-th item: a step without
// shared prefixes (all items padding) costs one wave of empty blocks, not the capacity's.
__global__ void __launch_bounds__(kBlockThreads, kPrefixBlocksPerSm)
    prefix_kernel(const __grid_constant__ CUtensorMap key_map, const __grid_constant__ CUtensorMap value_map,
                  const float* q, const int32_t* items, int capacity, const int32_t* tiles,
                  const int32_t* entry_offsets, const int32_t* block_tables, AttentionShape shape, float* partial_out,
                  float* partial_lse) {
  let_next_kernel_start();  // attend() waits for the kernel before
  extern __shared__ unsigned char raw[];
  auto& sm = shared_state<kPrefixStages>(raw);
  int64_t tiles_before = 0;
  for (int i = blockIdx.x; i < capacity; i += gridDim.x) {
    const int32_t* item = items + int64_t{kPrefixInts} * i;
    if (item[3] <= item[2]) {  // padding, which only follows the items
      // A step without shared prefixes runs no item here: the wait keeps the chain's guarantee
      // (dependent_launch.cuh) that this kernel ends only after the kernel before it, which the
      // suffix kernel's wait relies on for q and the new KV rows.
      wait_for_previous_kernel();
      return;
    }
    const int32_t* tile = tiles + int64_t{kTileInts} * item[0];
    __syncthreads();  // the previous item is done with sm.rows / sm.entries and the merge area
    if (threadIdx.x < tile[0]) {
      const int row = tile[2 + threadIdx.x];
      sm.rows[threadIdx.x] = row;
      sm.entries[threadIdx.x] = entry_offsets[row] + item[1];
    }
    __syncthreads();
    attend<kWarps, kPrefixStages>(key_map, value_map, q, block_tables + tile[1], item[2], item[3], false, tile[0],
                                  shape, blockIdx.y, partial_out, partial_lse, sm, tiles_before);
  }
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// `positions` / `items` rounded up to whole key tiles.
int64_t tiles_for(int64_t positions, int64_t items) { return ceil_div(ceil_div(positions, items), kKeys) * kKeys; }

// Most positions per work item (≥ kMinChunk): at least total / target, so that
// Σ ceil(length / chunk) ≤ target + number of runs; and, up to `long_chunk`, total / `wave` (the
// blocks of one wave), so that short contexts run in one wave (each block's fixed costs paid
// once) rather than in many waves of short items.
int64_t chunk_for(int64_t total_positions, int64_t target, int64_t wave = 1, int64_t long_chunk = 0) {
  return std::max({kMinChunk, tiles_for(total_positions, target),
                   std::min(tiles_for(total_positions, wave), long_chunk)});
}

// A run of `length` positions in as few items as `chunk` allows, of equal length (whole key tiles):
// no short last item that would leave the last wave of blocks half empty.
int64_t balanced_chunk(int64_t length, int64_t chunk) {
  return length == 0 ? chunk : tiles_for(length, ceil_div(length, chunk));
}

}  // namespace

bool decode_attention_fits(const AttentionShape& shape, ElementType cache_type) {
  const int64_t group = shape.kv_heads > 0 ? shape.heads / shape.kv_heads : 0;
  return shape.tensor_cores && cache_type == ElementType::kBF16 && !shape.v_in_k && shape.k_dim == kDim &&
         shape.v_dim == kDim && group >= 1 && group <= 16 && shape.k_row % 64 == 0 && shape.v_row % 64 == 0 &&
         shape.v_head_stride % 64 == 0 && shape.block_size % 8 == 0;  // whole 64-column panels (tma.cuh)
}

DecodePlan plan_decode_attention(const DecodeRow* rows, int64_t num_rows, int64_t q_rows, const AttentionShape& shape) {
  const int64_t group = shape.heads / shape.kv_heads;
  const int64_t tile_tokens = std::min(kMaxDecodeTileTokens, kMaxTileRows / group);
  // Suffix items: one wave of blocks per KV head, kItemsPerSm per SM at most, no more than a wave
  // per row (a few rows rather launch no waves of padding). Prefix items: kPrefixItemsPerSm.
  const int64_t wave = ceil_div(kSuffixBlocksPerSm * num_sms(), shape.kv_heads);
  const int64_t target = std::min(ceil_div(kItemsPerSm * num_sms(), shape.kv_heads), num_rows * wave);
  const int64_t prefix_target = ceil_div(kPrefixItemsPerSm * num_sms(), shape.kv_heads);
  // A group has ≥ 2 rows and ceil(n / tile_tokens) ≤ n / 2 tiles (tile_tokens ≥ 4).
  const int64_t tile_capacity = num_rows / 2;
  DecodePlan plan;
  plan.suffix_items.assign((target + num_rows) * kSuffixInts, 0);
  plan.prefix_items.assign((tile_capacity > 0 ? prefix_target + tile_capacity : 0) * kPrefixInts, 0);
  plan.prefix_tiles.assign(tile_capacity * kTileInts, 0);
  plan.entry_offsets.assign(q_rows + 1 + q_rows * shape.kv_heads, 0);  // offsets, then arrival counters
  plan.q_rows = q_rows;
  plan.separate_merge = num_rows <= kSeparateMergeRows;
  // Suffix entries ≤ target + rows; prefix entries Σ_g n_g · chunks_g ≤ tile_tokens · prefix_target + rows.
  plan.entry_capacity = target + num_rows + (tile_capacity > 0 ? tile_tokens * prefix_target + num_rows : 0);

  // Groups: rows by first block id, in order of first appearance.
  struct Group {
    std::vector<int64_t> members;
    int64_t prefix = 0;  // shared positions
    int64_t chunk = 0;   // positions per prefix item
    int64_t chunks = 0;
  };
  std::vector<Group> groups;
  std::unordered_map<int32_t, size_t> by_first_block;
  for (int64_t i = 0; i < num_rows; ++i) {
    if (rows[i].table_blocks == 0) continue;
    const auto [it, added] = by_first_block.try_emplace(rows[i].block_table_host[0], groups.size());
    if (added) groups.emplace_back();
    groups[it->second].members.push_back(i);
  }
  std::vector<int64_t> shared_len(num_rows, 0);
  std::vector<int64_t> group_of(num_rows, -1);
  int64_t prefix_positions = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    Group& grp = groups[g];
    if (grp.members.size() < 2) continue;
    const DecodeRow& lead = rows[grp.members[0]];
    int64_t blocks = lead.table_blocks;
    for (int64_t m : grp.members) {
      const DecodeRow& row = rows[m];
      // Whole blocks short of the row's last position: every row keeps a suffix item (its merge).
      blocks = std::min({blocks, row.table_blocks, (row.context_len - 1) / shape.block_size});
      blocks = std::mismatch(lead.block_table_host, lead.block_table_host + blocks, row.block_table_host).first -
               lead.block_table_host;
    }
    if (blocks * shape.block_size < kMinSharedPrefix) continue;
    grp.prefix = blocks * shape.block_size;
    prefix_positions += ceil_div(static_cast<int64_t>(grp.members.size()), tile_tokens) * grp.prefix;
    for (int64_t m : grp.members) {
      shared_len[m] = grp.prefix;
      group_of[m] = static_cast<int64_t>(g);
    }
  }

  const int64_t prefix_chunk = chunk_for(prefix_positions, prefix_target);
  int64_t suffix_positions = 0;
  for (int64_t i = 0; i < num_rows; ++i) suffix_positions += rows[i].context_len - shared_len[i];
  const int64_t suffix_chunk = chunk_for(suffix_positions, target, wave, kLongChunk);

  // Entries per q row: its prefix chunks first, then its suffix chunks.
  for (Group& grp : groups) {
    grp.chunk = balanced_chunk(grp.prefix, prefix_chunk);
    grp.chunks = ceil_div(grp.prefix, grp.chunk);
  }
  std::vector<int64_t> row_chunk(num_rows);
  for (int64_t i = 0; i < num_rows; ++i) {
    const int64_t length = rows[i].context_len - shared_len[i];
    row_chunk[i] = balanced_chunk(length, suffix_chunk);
    const int64_t prefix_chunks = group_of[i] >= 0 ? groups[group_of[i]].chunks : 0;
    plan.entry_offsets[rows[i].q_row + 1] = static_cast<int32_t>(prefix_chunks + ceil_div(length, row_chunk[i]));
  }
  for (int64_t r = 0; r < q_rows; ++r) plan.entry_offsets[r + 1] += plan.entry_offsets[r];

  int64_t item = 0;
  for (int64_t i = 0; i < num_rows; ++i) {
    const int64_t prefix_chunks = group_of[i] >= 0 ? groups[group_of[i]].chunks : 0;
    int64_t entry = plan.entry_offsets[rows[i].q_row] + prefix_chunks;
    const int64_t row_items = ceil_div(rows[i].context_len - shared_len[i], row_chunk[i]);
    for (int64_t begin = shared_len[i]; begin < rows[i].context_len; begin += row_chunk[i]) {
      int32_t* out = plan.suffix_items.data() + item++ * kSuffixInts;
      out[0] = static_cast<int32_t>(rows[i].q_row);
      out[1] = static_cast<int32_t>(begin);
      out[2] = static_cast<int32_t>(std::min(rows[i].context_len, begin + row_chunk[i]));
      out[3] = static_cast<int32_t>(entry++);
      out[4] = static_cast<int32_t>(rows[i].table_offset);
      const bool only = row_items == 1 && prefix_chunks == 0;
      out[5] = static_cast<int32_t>(only ? 0 : plan.separate_merge ? -1 : row_items);
    }
  }
  // Prefix items chunk-major within a group, so the tiles reading one chunk run side by side (L2).
  int64_t tile = 0, prefix_item = 0;
  for (const Group& grp : groups) {
    if (grp.prefix == 0) continue;
    const int64_t first_tile = tile;
    for (size_t m = 0; m < grp.members.size(); m += tile_tokens) {
      int32_t* out = plan.prefix_tiles.data() + tile++ * kTileInts;
      const auto count = std::min<int64_t>(tile_tokens, static_cast<int64_t>(grp.members.size() - m));
      out[0] = static_cast<int32_t>(count);
      out[1] = static_cast<int32_t>(rows[grp.members[0]].table_offset);
      for (int64_t k = 0; k < count; ++k) out[2 + k] = static_cast<int32_t>(rows[grp.members[m + k]].q_row);
    }
    for (int64_t c = 0; c < grp.chunks; ++c) {
      for (int64_t t = first_tile; t < tile; ++t) {
        int32_t* out = plan.prefix_items.data() + prefix_item++ * kPrefixInts;
        out[0] = static_cast<int32_t>(t);
        out[1] = static_cast<int32_t>(c);
        out[2] = static_cast<int32_t>(c * grp.chunk);
        out[3] = static_cast<int32_t>(std::min(grp.prefix, (c + 1) * grp.chunk));
      }
    }
  }
  if (item * kSuffixInts > static_cast<int64_t>(plan.suffix_items.size()) ||
      prefix_item * kPrefixInts > static_cast<int64_t>(plan.prefix_items.size()) ||
      plan.entry_offsets[q_rows] > plan.entry_capacity) {
    std::fprintf(stderr, "r1bench: decode attention plan over capacity at %s:%d\n", __FILE__, __LINE__);
    std::abort();
  }
  return plan;
}

void decode_attention(const float* q, const void* keys, const void* values, const DecodePlan& plan,
                      const DecodePlanOnDevice& on_device, const int32_t* block_tables, const AttentionShape& shape,
                      float* out, Scratch& scratch, Stream stream) {
  if (plan.q_rows <= 0 || plan.entry_capacity == 0) return;
  const int64_t entries = plan.entry_capacity * shape.heads;
  auto* partial_out = static_cast<float*>(
      reserve(scratch, entries * (kDim + 1) * static_cast<int64_t>(sizeof(float)), stream));
  float* partial_lse = partial_out + entries * kDim;
  // The arrival counters after the entry offsets: device memory the caller lets the kernels write.
  auto* arrivals = const_cast<int32_t*>(on_device.entry_offsets + plan.q_rows + 1);
  const auto* keys_bf16 = static_cast<const __nv_bfloat16*>(keys);
  const auto* values_bf16 = static_cast<const __nv_bfloat16*>(values);
  const cudaStream_t cuda_stream = as_cuda(stream);
  constexpr int kSuffixBytes = sizeof(Shared<kSuffixStages>) + 1024;  // + room to align it (shared_state)
  constexpr int kPrefixBytes = sizeof(Shared<kPrefixStages>) + 1024;
  const int box_rows = 1 << box_shift_for(shape.block_size);
  const CUtensorMap key_map = panel_map(keys_bf16, shape.k_row, box_rows);
  const CUtensorMap value_map = panel_map(values_bf16, shape.v_row, box_rows);
  // Per call, not once per process: the attribute belongs to the current device (tensor-parallel
  // ranks run on several).
  R1B_CUDA_CHECK(cudaFuncSetAttribute(suffix_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSuffixBytes));
  R1B_CUDA_CHECK(cudaFuncSetAttribute(prefix_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kPrefixBytes));
  const auto kv_heads = static_cast<unsigned>(shape.kv_heads);
  const auto prefix_capacity = static_cast<int>(plan.prefix_items.size() / kPrefixInts);
  if (prefix_capacity > 0) {
    const auto blocks = static_cast<unsigned>(
        std::min<int64_t>(prefix_capacity, ceil_div(kPrefixBlocksPerSm * num_sms(), shape.kv_heads)));
    launch_dependent(prefix_kernel, dim3(blocks, kv_heads), kBlockThreads, kPrefixBytes, cuda_stream, key_map,
                     value_map, q, on_device.prefix_items, prefix_capacity, on_device.prefix_tiles,
                     on_device.entry_offsets, block_tables, shape, partial_out, partial_lse);
  }
  const auto suffix_capacity = static_cast<unsigned>(plan.suffix_items.size() / kSuffixInts);
  launch_dependent(suffix_kernel, dim3(suffix_capacity, kv_heads), kBlockThreads, kSuffixBytes, cuda_stream, key_map,
                   value_map, q, on_device.suffix_items, on_device.entry_offsets, arrivals, block_tables, shape,
                   partial_out, partial_lse, out);
  if (plan.separate_merge) {
    launch_dependent(merge_entries_kernel, dim3(static_cast<unsigned>(plan.q_rows), static_cast<unsigned>(shape.heads)),
                     kDim, 0, cuda_stream, on_device.entry_offsets, shape.heads, partial_out, partial_lse, out);
  }
}

}  // namespace r1b::kernels
