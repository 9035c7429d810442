// Prefill attention on Hopper's warpgroup tensor cores (wgmma, sm_90a) for width-128 heads over a
// bf16 cache: the bf16 case of launch_tensor_core_attention (attention_tc.cuh), FlashAttention-3 style.
//
// One block of two warpgroups takes a tile of up to 128 (kTensorCoreTileRows) consecutive query rows
// of one sequence and one query head; warpgroup w owns rows [64w, 64w + 64) (wgmma's m64). The block
// walks the key positions in tiles of 128. Per key tile j each warpgroup issues
//   S = Q · Kⱼᵀ             8 × wgmma m64n128k16, Q and K from shared memory (both K-major),
//   O += P(j−1) · V(j−1)    8 × wgmma m64n128k16, P from registers, V N-major (transposed),
// then, while both run on the tensor cores, every thread issues its share of the copies two tiles
// ahead; once S is in, the online softmax (row max / sum over a row's 4 lanes by shuffles) runs
// while P · V still does; then O is rescaled and P(j) rounded to bf16 in place. O stays in fp32
// registers, normalised once at the end. Key tiles wholly past a warpgroup's rows are skipped; only
// tiles that cross a row's causal limit are masked. The grid runs a sequence's last (longest) query
// tiles first, the heads of a KV head side by side (they share its tiles in L2). Q and P are rounded
// to bf16 — the engine's "bf16 activations" precision; every sum is fp32.
//
// Copies: 16-byte cp.async gathered through the block table straight into 128-byte-swizzled shared
// memory (the layout the wgmma descriptors read), in rings of three key tiles and three value
// tiles. Tile j's barrier releases keys j − 1 and values j − 2, so keys j + 2 and values j + 1 (read
// by tile j + 2's P · V) are staged there: both two tiles ahead, in 225 KB (one block per SM).
//
// Measured on an H100 (ncu, one 8192-token prompt, 12 heads / 2 KV heads; the mma.sync kernel took
// 900 µs): 597 µs, 345 TFLOP/s causal. It is issue-bound (one block of 8 warps per SM: two warps
// per scheduler, ~950 instructions a warp per key tile, issue slots 35% busy), hence the short copy
// code (one division per tile, unrolled rows) and descriptor offsets, and the rescale skip: 855 µs
// before those. Issuing the copies before the wgmma instead ran 746 µs one tile ahead (keys and
// values of a tile together) and 1003 µs two tiles ahead. 128-key tiles: three stages of keys and
// values fill 225 KB.
//
// Shared memory: a tile of R rows × 128 dims is two panels of R rows × 64 dims (128 bytes a row);
// 16-byte chunk c of row r sits at chunk c ^ (r % 8) of its row (the 128-byte swizzle), every
// panel starts on a 1024-byte boundary (one swizzle atom is 8 rows).
#include <cuda_bf16.h>

#include <cstdint>

#include "kernels/async_copy.cuh"
#include "kernels/attention_tc.cuh"
#include "kernels/cuda_check.cuh"
#include "kernels/mma_fragments.cuh"

namespace r1b::kernels {

namespace {

constexpr int kDim = 128;
constexpr int kRows = 128;       // query rows per block
constexpr int kGroupRows = 64;   // query rows per warpgroup
constexpr int kThreads = 256;    // two warpgroups
constexpr int kKeys = 128;       // key positions per tile
constexpr int kStages = 3;
constexpr int kRowBytes = 128;   // one panel row: 64 bf16
constexpr int kQBytes = kRows * kDim * 2;
constexpr int kTileBytes = kKeys * kDim * 2;  // the keys (or values) of one tile
constexpr int kSharedBytes = kQBytes + 2 * kStages * kTileBytes + 1024;  // + alignment slack: 225 KB
constexpr int kChunks = kDim / 8;  // 16-byte chunks per row
constexpr float kLog2e = 1.4426950408889634f;

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
// Makes this thread's shared memory writes (plain stores, completed cp.async) visible to wgmma.
__device__ inline void fence_shared_for_wgmma() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }

__global__ void __launch_bounds__(kThreads, 1)
    wgmma_attention_kernel(const float* q, const __nv_bfloat16* keys, const __nv_bfloat16* values,
                           const int32_t* tiles, const int32_t* block_tables, AttentionShape shape, float* out) {
  extern __shared__ unsigned char raw[];
  const auto raw_address = static_cast<uint32_t>(__cvta_generic_to_shared(raw));
  const uint32_t base = (raw_address + 1023) & ~1023u;
  unsigned char* const shared = raw + (base - raw_address);
  // Shared layout: Q, the key tiles of the kStages stages, their value tiles.
  auto key_offset = [](int stage) { return kQBytes + stage * kTileBytes; };
  auto value_offset = [](int stage) { return kQBytes + (kStages + stage) * kTileBytes; };

  // Tiles of a sequence come in row order: the last, which see the most keys, start first.
  const int32_t* tile = tiles + 4 * (gridDim.y - 1 - blockIdx.y);
  const int64_t first_token = tile[0];
  const int rows = tile[1];
  const int first_visible = tile[2];
  const int32_t* table = block_tables + tile[3];
  const int head = static_cast<int>(blockIdx.x);
  const int kv_head = head / static_cast<int>(shape.heads / shape.kv_heads);

  // Gathers the keys (or values) of tile `index` (positions index·128 + j < end) into its stage
  // `index` % kStages: this thread copies chunk `column` of rows j = first_key_row + i · kKeyRowStep.
  const int end = first_visible + rows - 1;  // the last row's visible positions
  const int num_key_tiles = (end + kKeys - 1) / kKeys;
  constexpr int kKeyRowStep = kThreads / kChunks;
  const int first_key_row = static_cast<int>(threadIdx.x) / kChunks;
  const int column = (static_cast<int>(threadIdx.x) % kChunks) * 8;
  const __nv_bfloat16* key_column = keys + int64_t{kv_head} * kDim + column;
  const __nv_bfloat16* value_column = values + kv_head * shape.v_head_stride + column;
  const int block_size = static_cast<int>(shape.block_size);
  // The copy code sits on every warp's issue path, so it is kept short: one division per call, then
  // position p's page and offset in it step with p (page_step pages and within_step positions, one
  // carry at most), and the rows' chunks share one swizzled order (kKeyRowStep is a multiple of 8).
  static_assert(kKeyRowStep % 8 == 0);
  const int page_step = kKeyRowStep / block_size;
  const int within_step = kKeyRowStep % block_size;
  const uint32_t first_chunk = swizzled(first_key_row, column, kKeys);
  // Rows past `end` read page 0 instead (a mapped address; the copy zero-fills them).
  auto stage_rows = [&](int index, const __nv_bfloat16* source, int row_width, int offset) {
    unsigned char* const tile = shared + offset + first_chunk;
    int p = index * kKeys + first_key_row;
    int page = p / block_size;
    int within = p - page * block_size;
#pragma unroll
    for (int i = 0; i < kKeys / kKeyRowStep; ++i) {
      const bool valid = p < end;
      const int slot = table[valid ? page : 0] * block_size + within;
      copy_16_async(tile + i * kKeyRowStep * kRowBytes, source + int64_t{slot} * row_width, valid);
      p += kKeyRowStep;
      page += page_step;
      within += within_step;
      if (within >= block_size) within -= block_size, ++page;
    }
  };
  const int key_row = static_cast<int>(shape.k_row);
  const int value_row = static_cast<int>(shape.v_row);
  auto stage_keys = [&](int index) { stage_rows(index, key_column, key_row, key_offset(index % kStages)); };
  auto stage_values = [&](int index) { stage_rows(index, value_column, value_row, value_offset(index % kStages)); };
  // Copy groups: {K0}, {K1, V0}, then per tile j {K(j+2), V(j+1)} (possibly empty): tile j's keys
  // and values V(j − 1), which its P · V reads, arrive in group j, two tiles ahead of their use.
  stage_keys(0);
  commit_async();
  if (num_key_tiles > 1) stage_keys(1);
  stage_values(0);
  commit_async();

  // Q row r holds q of token first_token + r (zeros past the tile's rows), rounded to bf16.
  for (int idx = static_cast<int>(threadIdx.x); idx < kRows * kChunks; idx += kThreads) {
    const int r = idx / kChunks, c = (idx % kChunks) * 8;
    float4 a = {0.0f, 0.0f, 0.0f, 0.0f}, b = a;
    if (r < rows) {
      const float4* src = reinterpret_cast<const float4*>(q + ((first_token + r) * shape.heads + head) * kDim + c);
      a = src[0];
      b = src[1];
    }
    const uint4 packed = {pack_bf16(a.x, a.y), pack_bf16(a.z, a.w), pack_bf16(b.x, b.y), pack_bf16(b.z, b.w)};
    *reinterpret_cast<uint4*>(shared + swizzled(r, c, kRows)) = packed;
  }

  // This warpgroup's rows: [group_row, group_row + 64). This thread holds accumulator rows
  // group_row + 16·warp + lane/4 (h = 0) and that + 8 (h = 1), columns 8n + 2·(lane % 4) + e at
  // index 4n + 2h + e. Rows past the tile repeat its last row's causal limit (their output is never
  // written); a warpgroup wholly past the tile's rows only helps with the copies.
  // Read through a shuffle so that the compiler sees it (and the branches on it) as uniform: wgmma
  // under branches it cannot prove uniform gets serialized.
  const int warpgroup = __shfl_sync(0xffffffffu, static_cast<int>(threadIdx.x) / 128, 0);
  const int warp = static_cast<int>(threadIdx.x) % 128 / 32;
  const int lane = static_cast<int>(threadIdx.x) % 32;
  const int quad = lane % 4;
  const int group_row = warpgroup * kGroupRows;
  const bool has_rows = group_row < rows;
  const int group_min_visible = first_visible + min(group_row, rows - 1);
  const int group_max_visible = first_visible + min(group_row + kGroupRows - 1, rows - 1);
  int visible[2];
#pragma unroll
  for (int h = 0; h < 2; ++h) visible[h] = first_visible + min(group_row + 16 * warp + lane / 4 + 8 * h, rows - 1);
  const float scale_log2 = shape.scale * kLog2e;
  // A descriptor's start address is its low field: adding offset / 16 moves it (no carry: shared
  // addresses stay below 256 KB).
  const uint64_t q_descriptor = descriptor(base + group_row * kRowBytes, 16, 8 * kRowBytes);

  // Key tiles this warpgroup computes: those before its last row's limit. That is all of the block's
  // tiles or all but the last (kKeys ≥ kGroupRows), so the values of the last one it computes stay in
  // place until after the loop (no later tile is staged over them).
  static_assert(kKeys >= kGroupRows && kStages >= 3);
  const int group_tiles = has_rows ? (group_max_visible + kKeys - 1) / kKeys : 0;

  float o[64] = {};
  float s[64] = {};
  uint32_t p[kKeys / 16][4] = {};  // P of the last tile: the A fragments of its 8 key steps
  float row_max[2] = {-INFINITY, -INFINITY};  // max of raw scores
  float row_sum[2] = {0.0f, 0.0f};            // this lane's part of the sum
  float rescale[2];                           // O's factor for the tile just scored

  // Waits for tile `index`'s keys and the values of index − 1 (and Q) from every thread.
  auto await_tile = [] {
    wait_async<1>();
    fence_shared_for_wgmma();
    __syncthreads();
  };
  // Past that barrier: stages keys index + 2 over those of index − 1 and values index + 1 over those
  // of index − 2, which both warpgroups are done with.
  auto stage_ahead = [&](int index) {
    if (index + 2 < num_key_tiles) stage_keys(index + 2);
    if (index + 1 < num_key_tiles) stage_values(index + 1);
    commit_async();
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
  // Online softmax of tile `index`'s scores: s becomes the probabilities, rescale O's factor.
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

  // Every wgmma group is waited for on the path that issued it, with no branch in between: the
  // compiler then need not serialize them.
  // The copies are issued while the tensor cores run.
  await_tile();
  if (group_tiles > 0) {
    issue_scores(0);
    stage_ahead(0);
    wgmma_wait<0>();
    softmax(0);  // O is still zero: no rescale
    round_probabilities();
  } else {
    stage_ahead(0);
  }
  for (int index = 1; index < num_key_tiles; ++index) {
    await_tile();
    if (index < group_tiles) {
      issue_scores(index);
      issue_values(index - 1);
      stage_ahead(index);
      wgmma_wait<1>();
      softmax(index);  // while the previous tile's P · V runs
      wgmma_wait<0>();
      pin(o);
      // Deep into a sequence the row maxima seldom move: skip the multiply when no row of this
      // warp's did (the factor is then exactly 1).
      if (!__all_sync(0xffffffffu, rescale[0] == 1.0f && rescale[1] == 1.0f)) {
#pragma unroll
        for (int i = 0; i < 64; ++i) o[i] *= rescale[i % 4 / 2];
      }
      round_probabilities();
    } else {
      stage_ahead(index);
    }
  }
  if (group_tiles > 0) {
    issue_values(group_tiles - 1);
    wgmma_wait<0>();
    pin(o);
  }

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
  R1B_CUDA_CHECK(cudaFuncSetAttribute(wgmma_attention_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                      kSharedBytes));
  // Heads fastest: the query heads of one KV head run side by side and share its tiles in L2.
  const dim3 grid(static_cast<unsigned>(shape.heads), static_cast<unsigned>(num_tiles));
  wgmma_attention_kernel<<<grid, kThreads, kSharedBytes, stream>>>(q, keys, values, tiles, block_tables, shape, out);
  R1B_CUDA_CHECK_LAUNCH();
}

}  // namespace r1b::kernels
