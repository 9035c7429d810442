// Prefill attention on Hopper's warpgroup tensor cores (wgmma, sm_90a) for width-128 heads over a
// bf16 cache: the bf16 case of launch_tensor_core_attention (attention_tc.cuh), FlashAttention-3 style.
//
// One block takes a tile of up to 128 (kTensorCoreTileRows) consecutive query rows of one sequence
// and one query head, with three warpgroups: a producer that only moves key and value tiles, and
// two consumers; consumer w owns rows [64w, 64w + 64) (wgmma's m64). The producer gives up its
// registers (setmaxnreg: 24 a thread) so that the consumers may hold 240. The block walks the key
// positions in tiles of 128. Per key tile j each consumer warpgroup issues
//   S = Q · Kⱼᵀ             8 × wgmma m64n128k16, Q and K from shared memory (both K-major),
//   O += P(j−1) · V(j−1)    8 × wgmma m64n128k16, P from registers, V N-major (transposed);
// once S is in, the online softmax (row max / sum over a row's 4 lanes by shuffles) runs while
// P · V still does; then O is rescaled and P(j) rounded to bf16 in place. O stays in fp32
// registers, normalised once at the end. Key tiles wholly past a warpgroup's rows are skipped; only
// tiles that cross a row's causal limit are masked. The grid runs a sequence's last (longest) query
// tiles first, the heads of a KV head side by side (they share its tiles in L2). Q and P are rounded
// to bf16 — the engine's "bf16 activations" precision; every sum is fp32.
//
// Copies: TMA (cp.async.bulk.tensor) through tensor maps over the layer's whole key and value cache
// (tma.cuh's cache_map).
// A box is one page's run of positions in a key tile (gcd(block_size, 128) rows: 16 in the engine)
// × 64 dims, written 128-byte swizzled; per 128-key tile the producer's lanes look up one page each
// in the block table and issue one box per 64-dim panel (16 boxes at blocks of 16). Keys and values
// each have three stages, with mbarrier pipelines: "full" completes on the copies' bytes
// (arrive.expect_tx), "empty" on one arrival per consumer warpgroup past the wgmma that read the
// stage; the producer loads keys j + 1 before values j. Positions past the tile's last visible one
// are not loaded: their scores are masked, and the consumers zero the last value tile's rows there
// (stale or unwritten cache slots could hold NaN, and 0 · NaN is not 0).
//
// Measured on an H100 (ncu, one 8192-token prompt, 12 heads / 2 KV heads): 424–428 µs, 481–486
// TFLOP/s causal; the engine's 8192-token prefill of the 1.5B shape 52.6–53.8 ms (51–52% MFU). The
// kernel before this one gathered the pages itself with cp.async from both consumer warpgroups:
// 597 µs, bound by issue slots (~950 instructions a warp per key tile). Now issue slots are 26%
// busy and the tensor pipe 51% of the cycles: latency-bound. Tried and dropped: ping-pong between
// the consumers (named barriers: each issues its tile's wgmma in turn, so that one's softmax
// overlaps the other's products) 438 µs; rescaling O while the next tile's S runs (FA3's order)
// 439 µs. 128-key tiles: three stages of keys and values fill 225 KB (one block per SM).
//
// Shared memory: a tile of R rows × 128 dims is two panels of R rows × 64 dims (128 bytes a row);
// 16-byte chunk c of row r sits at chunk c ^ (r % 8) of its row (the 128-byte swizzle, as TMA writes
// it), every panel and box starts on a 1024-byte boundary (one swizzle atom is 8 rows).
#include <cuda_bf16.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>

#include "kernels/attention_tc.cuh"
#include "kernels/cuda_check.cuh"
#include "kernels/mma_fragments.cuh"
#include "kernels/tma.cuh"

namespace r1b::kernels {

namespace {

constexpr int kDim = 128;
constexpr int kRows = 128;            // query rows per block
constexpr int kGroupRows = 64;        // query rows per consumer warpgroup
constexpr int kGroupThreads = 128;    // one warpgroup
constexpr int kThreads = 3 * kGroupThreads;  // the producer, then two consumers
constexpr int kProducerRegisters = 24;
constexpr int kConsumerRegisters = 240;  // 128 · 24 + 256 · 240 ≤ 64K registers
constexpr int kKeys = 128;            // key positions per tile
constexpr int kStages = 3;
constexpr int kRowBytes = 128;        // one panel row: 64 bf16
constexpr int kQBytes = kRows * kDim * 2;
constexpr int kTileBytes = kKeys * kDim * 2;  // the keys (or values) of one tile
constexpr int kBarrierOffset = kQBytes + 2 * kStages * kTileBytes;
constexpr int kBarriers = 4 * kStages;        // full and empty, of keys and of values
constexpr int kSharedBytes = kBarrierOffset + 8 * kBarriers + 1024;  // + alignment slack: 225 KB
constexpr int kChunks = kDim / 8;             // 16-byte chunks per row
constexpr float kLog2e = 1.4426950408889634f;
// Named barriers (0 is __syncthreads): the consumers clearing the last value tile's tail, and each
// consumer warpgroup's Q.
constexpr int kTailBarrier = 1;
constexpr int kQBarrier = 2;

// Byte offset of the 16-byte chunk holding columns [column, column + 8) of row `row` in a tile of
// `rows` rows (see "Shared memory" above).
__device__ inline uint32_t swizzled(int row, int column, int rows) {
  return (column / 64) * rows * kRowBytes + row * kRowBytes + (((column % 64) / 8) ^ (row % 8)) * 16;
}

// wgmma matrix descriptor of a 128-byte-swizzled operand at shared address `address`: `leading`
// bytes between 64-column panels along N (N-major operands; unused for K-major ones), `stride`
// bytes between groups of 8 rows (K-major) or 8 keys (N-major).
__device__ inline uint64_t descriptor(uint32_t address, uint32_t leading, uint32_t stride) {
  return uint64_t{(address & 0x3FFFF) >> 4} | uint64_t{leading >> 4} << 16 | uint64_t{stride >> 4} << 32 |
         uint64_t{1} << 62;
}

#define R1B_WGMMA_D \
  "{" "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, " \
  "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, " \
  "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, " \
  "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63" "}"
#define R1B_WGMMA_D_OPERANDS \
  "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), \
  "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), \
  "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), \
  "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), \
  "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), \
  "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), \
  "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), \
  "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])

// d (64 × 128 fp32, accumulator layout) = A · Bᵀ (+ d when `accumulate`): A 64 × 16 and B 128 × 16,
// both K-major in shared memory. Asynchronous: d is only valid after wgmma_wait.
__device__ inline void wgmma_shared(float (&d)[64], uint64_t a, uint64_t b, bool accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 " R1B_WGMMA_D ", %64, %65, p, 1, 1, 0, 0;\n}\n"
      : R1B_WGMMA_D_OPERANDS
      : "l"(a), "l"(b), "r"(static_cast<int>(accumulate)));
}

// d += A · B: A 64 × 16 bf16 from registers (the m16n8k16 A fragment of each warp's 16 rows), B
// 16 × 128 N-major in shared memory. Asynchronous like wgmma_shared; `a` must stay unchanged until
// the wait.
__device__ inline void wgmma_registers(float (&d)[64], const uint32_t (&a)[4], uint64_t b) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 " R1B_WGMMA_D
      ", {%64, %65, %66, %67}, %68, p, 1, 1, 1;\n}\n"
      : R1B_WGMMA_D_OPERANDS
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "n"(1));
}

#undef R1B_WGMMA_D
#undef R1B_WGMMA_D_OPERANDS

// Orders this warpgroup's register writes before the wgmma instructions that follow.
__device__ inline void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
// Closes the group of wgmma instructions issued since the last commit.
__device__ inline void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
// Waits until at most kPending committed groups are still running.
template <int kPending>
__device__ inline void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(kPending) : "memory");
}
// Keep the compiler from moving reads or writes of `values` across this point (an asynchronous
// wgmma owns them between its issue and its wait).
template <int kCount>
__device__ inline void pin(float (&values)[kCount]) {
#pragma unroll
  for (int i = 0; i < kCount; ++i) asm volatile("" : "+f"(values[i])::"memory");
}
template <int kSteps>
__device__ inline void pin(uint32_t (&fragments)[kSteps][4]) {
#pragma unroll
  for (int i = 0; i < kSteps; ++i) {
    asm volatile("" : "+r"(fragments[i][0]), "+r"(fragments[i][1]), "+r"(fragments[i][2]), "+r"(fragments[i][3])
                 :
                 : "memory");
  }
}
// 2^x by the special function unit (flushing subnormal results to 0; −inf → 0).
__device__ inline float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

__global__ void __launch_bounds__(kThreads, 1)
    wgmma_attention_kernel(const __grid_constant__ CUtensorMap key_map, const __grid_constant__ CUtensorMap value_map,
                           const float* q, const int32_t* tiles, const int32_t* block_tables, AttentionShape shape,
                           int box_rows, float* out) {
  extern __shared__ unsigned char raw[];
  const auto raw_address = static_cast<uint32_t>(__cvta_generic_to_shared(raw));
  const uint32_t base = (raw_address + 1023) & ~1023u;
  unsigned char* const shared = raw + (base - raw_address);
  // Shared layout: Q, the key tiles of the kStages stages, their value tiles, the barriers.
  auto key_offset = [](int stage) { return kQBytes + stage * kTileBytes; };
  auto value_offset = [](int stage) { return kQBytes + (kStages + stage) * kTileBytes; };
  // Stage s's keys (values) are in when full_keys(s) (full_values(s)) completes, free once
  // empty_keys(s) (empty_values(s)) does.
  const uint32_t barriers = base + kBarrierOffset;
  auto full_keys = [=](int stage) { return barriers + 8 * stage; };
  auto full_values = [=](int stage) { return barriers + 8 * (kStages + stage); };
  auto empty_keys = [=](int stage) { return barriers + 8 * (2 * kStages + stage); };
  auto empty_values = [=](int stage) { return barriers + 8 * (3 * kStages + stage); };

  // Tiles of a sequence come in row order: the last, which see the most keys, start first.
  const int32_t* tile = tiles + 4 * (gridDim.y - 1 - blockIdx.y);
  const int64_t first_token = tile[0];
  const int rows = tile[1];
  const int first_visible = tile[2];
  const int32_t* table = block_tables + tile[3];
  const int head = static_cast<int>(blockIdx.x);
  const int kv_head = head / static_cast<int>(shape.heads / shape.kv_heads);
  const int end = first_visible + rows - 1;  // the last row's visible positions
  const int num_key_tiles = (end + kKeys - 1) / kKeys;
  // Consumer warpgroups with rows: both, or only the first (they free each stage together).
  const int consumers = rows > kGroupRows ? 2 : 1;

  if (threadIdx.x == 0) {
    for (int stage = 0; stage < kStages; ++stage) {
      barrier_init(full_keys(stage), 1);
      barrier_init(full_values(stage), 1);
      barrier_init(empty_keys(stage), consumers);
      barrier_init(empty_values(stage), consumers);
    }
    fence_barrier_init();
  }
  __syncthreads();  // the last block-wide barrier: the roles part here

  // Read through a shuffle so that the compiler sees it (and the branches on it) as uniform: wgmma
  // under branches it cannot prove uniform gets serialized.
  const int warpgroup = __shfl_sync(0xffffffffu, static_cast<int>(threadIdx.x) / kGroupThreads, 0);
  const int lane = static_cast<int>(threadIdx.x) % 32;
  if (warpgroup == 0) {
    // The producer: its first warp loads tile j's keys, then the values of tile j − 1, each into
    // stage j % kStages once the consumers have freed it. Lane i loads box i (box_rows positions of
    // one page) of both 64-dim panels; boxes wholly past `end` are not loaded (the table ends there).
    asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(kProducerRegisters));
    if (threadIdx.x >= 32) return;
    const int block_size = static_cast<int>(shape.block_size);
    const int boxes = kKeys / box_rows;
    const int box_bytes = box_rows * kRowBytes;
    auto load = [&](const CUtensorMap& map, int column, int index, uint32_t tile_address, uint32_t full,
                    uint32_t empty) {
      barrier_wait(empty, (index / kStages + 1) % 2);
      const int first = index * kKeys;
      const int loaded = min(boxes, (end - first + box_rows - 1) / box_rows);
      if (lane == 0) barrier_arrive_expect(full, 2 * loaded * box_bytes);
      __syncwarp();
      if (lane < loaded) {
        const int position = first + lane * box_rows;
        const int page = position / block_size;
        const int slot = table[page] * block_size + position - page * block_size;
        const uint32_t destination = tile_address + lane * box_bytes;
        tma_load(destination, map, column, slot, full);
        tma_load(destination + kTileBytes / 2, map, column + 64, slot, full);
      }
    };
    const int key_column = kv_head * kDim;
    const int value_column = kv_head * static_cast<int>(shape.v_head_stride);
    auto load_keys = [&](int index) {
      const int stage = index % kStages;
      load(key_map, key_column, index, base + key_offset(stage), full_keys(stage), empty_keys(stage));
    };
    auto load_values = [&](int index) {
      const int stage = index % kStages;
      load(value_map, value_column, index, base + value_offset(stage), full_values(stage), empty_values(stage));
    };
    load_keys(0);
    for (int index = 0; index < num_key_tiles; ++index) {
      if (index + 1 < num_key_tiles) load_keys(index + 1);
      load_values(index);
    }
    return;
  }
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(kConsumerRegisters));

  // A consumer warpgroup: rows [group_row, group_row + 64) of the tile. This thread holds
  // accumulator rows group_row + 16·warp + lane/4 (h = 0) and that + 8 (h = 1), columns
  // 8n + 2·(lane % 4) + e at index 4n + 2h + e. Rows past the tile repeat its last row's causal
  // limit (their output is never written); a warpgroup wholly past the tile's rows exits.
  const int consumer = warpgroup - 1;
  const int group_row = consumer * kGroupRows;
  if (group_row >= rows) return;
  const int thread = static_cast<int>(threadIdx.x) % kGroupThreads;
  const int warp = thread / 32;
  const int quad = lane % 4;

  // Q row r holds q of token first_token + r (zeros past the tile's rows), rounded to bf16; each
  // warpgroup stores (and alone reads) its own rows.
  for (int idx = thread; idx < kGroupRows * kChunks; idx += kGroupThreads) {
    const int r = group_row + idx / kChunks, c = (idx % kChunks) * 8;
    float4 a = {0.0f, 0.0f, 0.0f, 0.0f}, b = a;
    if (r < rows) {
      const float4* src = reinterpret_cast<const float4*>(q + ((first_token + r) * shape.heads + head) * kDim + c);
      a = src[0];
      b = src[1];
    }
    const uint4 packed = {pack_bf16(a.x, a.y), pack_bf16(a.z, a.w), pack_bf16(b.x, b.y), pack_bf16(b.z, b.w)};
    *reinterpret_cast<uint4*>(shared + swizzled(r, c, kRows)) = packed;
  }
  fence_shared_for_async();
  named_barrier_sync(kQBarrier + consumer, kGroupThreads);

  const int group_min_visible = first_visible + group_row;
  int visible[2];
#pragma unroll
  for (int h = 0; h < 2; ++h) visible[h] = first_visible + min(group_row + 16 * warp + lane / 4 + 8 * h, rows - 1);
  const float scale_log2 = shape.scale * kLog2e;
  // A descriptor's start address is its low field: adding offset / 16 moves it (no carry: shared
  // addresses stay below 256 KB).
  const uint64_t q_descriptor = descriptor(base + group_row * kRowBytes, 16, 8 * kRowBytes);

  // Key tiles the warpgroup of rows from `first_row` computes: those before its last row's limit.
  // That is all of the block's tiles or all but the last (kKeys ≥ kGroupRows); the last is never
  // staged over (no later tile uses its stage), so the first warpgroup may leave it without freeing it.
  static_assert(kKeys >= kGroupRows);
  auto tiles_from = [&](int first_row) {
    return (first_visible + min(first_row + kGroupRows - 1, rows - 1) + kKeys - 1) / kKeys;
  };
  const int group_tiles = tiles_from(group_row);

  float o[64] = {};
  float s[64] = {};
  uint32_t p[kKeys / 16][4] = {};  // P of the last tile: the A fragments of its 8 key steps
  float row_max[2] = {-INFINITY, -INFINITY};  // max of raw scores
  float row_sum[2] = {0.0f, 0.0f};            // this lane's part of the sum
  float rescale[2];                           // O's factor for the tile just scored

  auto await_keys = [&](int index) { barrier_wait(full_keys(index % kStages), index / kStages % 2); };
  auto await_values = [&](int index) { barrier_wait(full_values(index % kStages), index / kStages % 2); };
  // Past a wgmma_wait that covers every read of the stage: one arrival per warpgroup.
  auto free_keys = [&](int index) {
    if (thread == 0) barrier_arrive(empty_keys(index % kStages));
  };
  auto free_values = [&](int index) {
    if (thread == 0) barrier_arrive(empty_values(index % kStages));
  };
  // S = Q · Kᵀ of tile `index`: 8 steps of 16 dims, 32 bytes apart inside a 128-byte panel row.
  auto issue_scores = [&](int index) {
    pin(s);
    wgmma_fence();
    const uint64_t k_descriptor = descriptor(base + key_offset(index % kStages), 16, 8 * kRowBytes);
#pragma unroll
    for (int kk = 0; kk < kDim / 16; ++kk) {
      const uint32_t q_step = (kk / 4) * (kQBytes / 2) + (kk % 4) * 32;
      const uint32_t k_step = (kk / 4) * (kTileBytes / 2) + (kk % 4) * 32;
      wgmma_shared(s, q_descriptor + q_step / 16, k_descriptor + k_step / 16, kk > 0);
    }
    wgmma_commit();
  };
  // O += P · V of tile `index`: 8 steps of 16 keys; V's 8-key groups lie 1024 bytes apart, its two
  // 64-dim panels kTileBytes / 2.
  auto issue_values = [&](int index) {
    pin(o);
    pin(p);
    wgmma_fence();
    const uint64_t v_descriptor = descriptor(base + value_offset(index % kStages), kTileBytes / 2, 8 * kRowBytes);
#pragma unroll
    for (int kk = 0; kk < kKeys / 16; ++kk) wgmma_registers(o, p[kk], v_descriptor + kk * 16 * kRowBytes / 16);
    wgmma_commit();
  };
  // Online softmax of tile `index`'s scores: s becomes the probabilities, rescale O's factor. Keys
  // at or past `end` (stale or unloaded in shared memory) are always masked.
  auto softmax = [&](int index) {
    pin(s);
    const int key_begin = index * kKeys;
    const bool masked = key_begin + kKeys > group_min_visible;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      if (masked) {
#pragma unroll
        for (int n = 0; n < kKeys / 8; ++n) {
#pragma unroll
          for (int e = 0; e < 2; ++e) {
            if (key_begin + n * 8 + 2 * quad + e >= visible[h]) s[4 * n + 2 * h + e] = -INFINITY;
          }
        }
      }
      float tile_max = -INFINITY;
#pragma unroll
      for (int n = 0; n < kKeys / 8; ++n) tile_max = fmaxf(tile_max, fmaxf(s[4 * n + 2 * h], s[4 * n + 2 * h + 1]));
      tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
      tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 2));
      // Every row sees key 0 in tile 0, so new_max is finite from the first tile on.
      const float new_max = fmaxf(row_max[h], tile_max);
      rescale[h] = fast_exp2((row_max[h] - new_max) * scale_log2);
      const float offset = new_max * scale_log2;
      row_max[h] = new_max;
      float sum = 0.0f;
#pragma unroll
      for (int n = 0; n < kKeys / 8; ++n) {
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          const float prob = fast_exp2(fmaf(s[4 * n + 2 * h + e], scale_log2, -offset));  // −inf → 0
          s[4 * n + 2 * h + e] = prob;
          sum += prob;
        }
      }
      row_sum[h] = row_sum[h] * rescale[h] + sum;
    }
  };
  // P = bf16(s): keys 16kk + [0, 16) of the accumulator are the A fragment of P's key step kk.
  auto round_probabilities = [&] {
    pin(p);
#pragma unroll
    for (int kk = 0; kk < kKeys / 16; ++kk) {
#pragma unroll
      for (int i = 0; i < 4; ++i) p[kk][i] = pack_bf16(s[8 * kk + 2 * i], s[8 * kk + 2 * i + 1]);
    }
  };
  // The last tile's values at positions ≥ end are stale (unwritten slots of the sequence's last
  // page, or a box not loaded): their P is 0, but 0 · NaN is not, so the warpgroups that compute
  // that tile zero those rows together before its P · V.
  auto clear_value_tail = [&] {
    const int valid = end - (num_key_tiles - 1) * kKeys;
    if (valid == kKeys) return;
    const int clearers = consumers == 2 && tiles_from(0) == num_key_tiles ? 2 : 1;
    const int first_thread = clearers == 2 ? consumer * kGroupThreads + thread : thread;
    unsigned char* const tile_values = shared + value_offset((num_key_tiles - 1) % kStages);
    for (int idx = first_thread; idx < (kKeys - valid) * kChunks; idx += clearers * kGroupThreads) {
      const int r = valid + idx / kChunks, c = (idx % kChunks) * 8;
      *reinterpret_cast<uint4*>(tile_values + swizzled(r, c, kKeys)) = make_uint4(0, 0, 0, 0);
    }
    fence_shared_for_async();
    named_barrier_sync(kTailBarrier, clearers * kGroupThreads);
  };

  // Every wgmma group is waited for on the path that issued it, with no branch in between: the
  // compiler then need not serialize them.
  await_keys(0);
  issue_scores(0);
  wgmma_wait<0>();
  free_keys(0);
  softmax(0);  // O is still zero: no rescale
  round_probabilities();
  for (int index = 1; index < group_tiles; ++index) {
    await_keys(index);
    issue_scores(index);
    await_values(index - 1);
    issue_values(index - 1);
    wgmma_wait<1>();
    free_keys(index);
    softmax(index);  // while the previous tile's P · V runs
    wgmma_wait<0>();
    free_values(index - 1);
    pin(o);
    // Deep into a sequence the row maxima seldom move: skip the multiply when no row of this
    // warp's did (the factor is then exactly 1).
    if (!__all_sync(0xffffffffu, rescale[0] == 1.0f && rescale[1] == 1.0f)) {
#pragma unroll
      for (int i = 0; i < 64; ++i) o[i] *= rescale[i % 4 / 2];
    }
    round_probabilities();
  }
  await_values(group_tiles - 1);
  if (group_tiles == num_key_tiles) clear_value_tail();
  issue_values(group_tiles - 1);
  wgmma_wait<0>();
  pin(o);

#pragma unroll
  for (int h = 0; h < 2; ++h) {
    float sum = row_sum[h];
    sum += __shfl_xor_sync(0xffffffffu, sum, 1);
    sum += __shfl_xor_sync(0xffffffffu, sum, 2);
    const int r = group_row + 16 * warp + lane / 4 + 8 * h;
    if (r >= rows) continue;
    const float inverse = 1.0f / sum;
    float* dst = out + ((first_token + r) * shape.heads + head) * kDim + 2 * quad;
#pragma unroll
    for (int n = 0; n < kDim / 8; ++n) {
      *reinterpret_cast<float2*>(dst + n * 8) = make_float2(o[4 * n + 2 * h] * inverse, o[4 * n + 2 * h + 1] * inverse);
    }
  }
}

}  // namespace

void launch_wgmma_attention(const float* q, const __nv_bfloat16* keys, const __nv_bfloat16* values,
                            const int32_t* tiles, int64_t num_tiles, const int32_t* block_tables,
                            const AttentionShape& shape, float* out, cudaStream_t stream) {
  static_assert(kRows == kTensorCoreTileRows && kRows == 2 * kGroupRows);
  // A box is the largest run of positions that stays in one page and one key tile; 128-byte
  // swizzled boxes must start on whole 8-row swizzle atoms.
  const int box_rows = std::gcd(static_cast<int>(shape.block_size), kKeys);
  if (box_rows % 8 != 0) {
    std::fprintf(stderr, "r1bench: wgmma attention needs KV blocks of a multiple of 8 tokens, got %lld at %s:%d\n",
                 static_cast<long long>(shape.block_size), __FILE__, __LINE__);
    std::abort();
  }
  const CUtensorMap key_map = cache_map(keys, shape.k_row, box_rows);
  const CUtensorMap value_map = cache_map(values, shape.v_row, box_rows);
  R1B_CUDA_CHECK(cudaFuncSetAttribute(wgmma_attention_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                      kSharedBytes));
  // Heads fastest: the query heads of one KV head run side by side and share its tiles in L2.
  const dim3 grid(static_cast<unsigned>(shape.heads), static_cast<unsigned>(num_tiles));
  wgmma_attention_kernel<<<grid, kThreads, kSharedBytes, stream>>>(key_map, value_map, q, tiles, block_tables, shape,
                                                                   box_rows, out);
  R1B_CUDA_CHECK_LAUNCH();
}

}  // namespace r1b::kernels
