// Mixture-of-experts routing and expert SwiGLU for dispatch.h.
//
// Routing: one warp per token runs the CPU spec's steps (scores, correction bias, group limit,
// top-k with ties to the lower index, optional normalisation in double) with its working arrays
// in dynamic shared memory. The lanes share what does not depend on order: the scores (exp in
// double, one expert per lane at a time), each group's score (one group per lane, its members in
// order) and each top-k pick (the largest of the lanes' (choice, index) keys: a lane rescans its
// experts only when its best is picked; lowest index on ties). Every sum is taken by one lane
// in the spec's order, so ids and weights are bit-identical to the serial form, which took 39 µs
// a layer for one token of DeepSeek-V2-Lite on an H100 (ncu; 64 experts, double exps in series).
//
// Experts, bf16 activations (the fast path): a grouped GEMM over expert-contiguous rows.
//   1. permute (one block): count the T·K (token, k) pairs per expert, scan, scatter the pair
//      indices into expert order, and write the row-tile table (expert, first row, end row) for
//      the worst case ceil(T·K / BM) + min(E, T·K) tiles; unused entries are marked −1. Nothing
//      goes through the host, so decode steps can be recorded as CUDA graphs.
//   2. x rounded to bf16 once.
//   3. gate_up: per (row tile, 64 columns of F) block, [x rows] · gate_eᵀ and · up_eᵀ on bf16 tensor
//      cores (WMMA 16×16×16, fp32 accumulation), 64-wide k steps streamed through a 3-stage
//      cp.async pipeline with 16-byte loads; epilogue silu(g) · u → bf16 act [T·K, F] (expert order).
//   4. down: per (row tile, 64 columns of D) block, act · down_eᵀ, times the pair's routing weight,
//      written to its own row of pair_out [T·K, D] (no atomics).
//   5. combine: out[t] = Σ_k pair_out[t·K + k] in k order.
// Each expert's weight tile is read by the blocks of its row tiles, which run side by side (row
// tiles are the fast grid axis), so at decode each used expert's weights cross HBM about once.
// Row tiles are 16 rows when pairs per expert are few (decode) and 64 otherwise. A row's result
// depends only on its own inputs, so the order within an expert (set by shared-memory atomics)
// does not change any value: results are deterministic.
//
// Experts, few tokens (decode of up to kFewTokens rows, bf16 weights): each (token, k) pair as the
// small-batch products of gemv.cu, its expert read on the device: act = silu(gate_e · x) ⊙
// (up_e · x), then pair_out = weight · down_e · act, then the combine above. x and act stay fp32 (as
// the dense layers' small-batch products keep them); three kernels instead of the grouped path's
// five, with 16-byte weight streams sized to fill the GPU. H100, DeepSeek-V2-Lite's experts at one
// token (ncu, one layer): 31 + 17 + 5 µs (2.0-2.2 TB/s of weights) against 69 µs for permute,
// rounding, the two grouped GEMMs and the combine; the whole B=1 step 4.32 against 4.67 ms.
// The shared experts (moe_experts_add_shared) ride along as F-wide parts, one more pair of each
// token per part (weight 1), placed before the routed pairs: their blocks, scheduled first, fetch
// their weights into L2 while the router still runs. The MoE block's six kernels (routed gate|up,
// down, combine; shared gate|up, down; the add) become three.
//
// Experts, exact path (fp32 activations, or fp32 weights): two kernels without atomics.
// (1) one warp per (token, k, f) computes act = silu(gate_e[f] · x) ⊙ (up_e[f] · x) into scratch
// [T, K, F]; (2) one warp per (token, d) sums weights[t, k] · (down_e[d] · act[t, k]) over k in
// routing order. Dots accumulate in fp32 from fp32 activations and fp32 / bf16 weights.
//
// Both paths skip the pairs whose expert another rank holds (ExpertShape::first_expert).
#include <cuda_bf16.h>
#include <mma.h>

#include <cstdio>
#include <cstdlib>

#include "kernels/async_copy.cuh"
#include "kernels/cuda_check.cuh"
#include "kernels/dependent_launch.cuh"
#include "kernels/dispatch.h"
#include "kernels/gemv.cuh"

namespace r1b::kernels {

namespace {

constexpr int kRouteWarps = 4;  // tokens per block, one warp each
constexpr int kWarpsPerBlock = 8;

// Index of the largest of values[0, n) not yet taken, lowest index on ties (as a stable sort).
__device__ int64_t arg_max_untaken(const float* values, const unsigned char* taken, int64_t n) {
  int64_t best = -1;
  for (int64_t i = 0; i < n; ++i) {
    if (taken[i]) continue;
    if (best < 0 || values[i] > values[best]) best = i;
  }
  return best;
}

// An expert's place in the router's top-k order as one 64-bit key: its choice's bits ordered as
// unsigned integers (NaN lowest, −0 as +0), then the complement of its index, so that equal choices
// go to the lower index, as a stable sort orders them. 0 is below every expert's key.
__device__ inline uint64_t choice_key(float value, int expert) {
  uint32_t bits = __float_as_uint(value);
  if (bits == 0x80000000u) bits = 0;
  const uint32_t ordered = isnan(value) ? 0u : (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u;
  return (uint64_t{ordered} << 32) | (0xFFFFFFFFu - static_cast<uint32_t>(expert));
}
__device__ inline int key_expert(uint64_t key) { return static_cast<int>(0xFFFFFFFFu - static_cast<uint32_t>(key)); }

// A warp's working arrays for one token (route_shared_bytes() each).
struct RouteScratch {
  double* exps;         // [E] softmax terms; then the top_k picks' scores
  float* scores;        // [E]
  float* choice;        // [E] scores + correction bias, dropped groups zeroed
  float* group_scores;  // [G]
  unsigned char* taken; // [max(E, G)]
};

__host__ __device__ int64_t route_shared_bytes(const RouteShape& shape) {
  const int64_t flags = shape.experts > shape.num_groups ? shape.experts : shape.num_groups;
  return (8 * shape.experts + 8 * shape.experts + 4 * shape.num_groups + flags + 7) / 8 * 8;
}

__device__ RouteScratch route_scratch(unsigned char* base, const RouteShape& shape) {
  RouteScratch r;
  r.exps = reinterpret_cast<double*>(base);
  r.scores = reinterpret_cast<float*>(r.exps + shape.experts);
  r.choice = r.scores + shape.experts;
  r.group_scores = r.choice + shape.experts;
  r.taken = reinterpret_cast<unsigned char*>(r.group_scores + shape.num_groups);
  return r;
}

__global__ void moe_route_kernel(const float* logits, const float* correction_bias, RouteShape shape,
                                 int32_t* expert_ids, float* expert_weights) {
  extern __shared__ __align__(8) unsigned char route_shared[];
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int warp = static_cast<int>(threadIdx.x / 32), lane = static_cast<int>(threadIdx.x % 32);
  const int64_t t = blockIdx.x * int64_t{kRouteWarps} + warp;
  if (t >= shape.tokens) return;  // the whole warp: nothing below syncs the block
  const RouteScratch r = route_scratch(route_shared + warp * route_shared_bytes(shape), shape);
  const int experts = static_cast<int>(shape.experts);

  const float* row = logits + t * experts;
  if (shape.sigmoid) {
    for (int e = lane; e < experts; e += 32) r.scores[e] = 1.0f / (1.0f + expf(-row[e]));
  } else {
    float max_logit = -INFINITY;
    for (int e = lane; e < experts; e += 32) max_logit = fmaxf(max_logit, row[e]);
    for (int offset = 16; offset > 0; offset /= 2) {
      max_logit = fmaxf(max_logit, __shfl_xor_sync(0xffffffffu, max_logit, offset));
    }
    for (int e = lane; e < experts; e += 32) r.exps[e] = exp(static_cast<double>(row[e]) - max_logit);
    __syncwarp();
    double total = 0.0;
    if (lane == 0) {
      for (int e = 0; e < experts; ++e) total += r.exps[e];
    }
    total = __shfl_sync(0xffffffffu, total, 0);
    for (int e = lane; e < experts; e += 32) r.scores[e] = static_cast<float>(r.exps[e] / total);
  }
  for (int e = lane; e < experts; e += 32) {
    r.choice[e] = r.scores[e] + (correction_bias == nullptr ? 0.0f : correction_bias[e]);
  }
  __syncwarp();

  if (shape.group_top != 0) {
    const int64_t per_group = experts / shape.num_groups;
    const int64_t picks = shape.group_top < per_group ? shape.group_top : per_group;  // 1 or 2
    for (int64_t g = lane; g < shape.num_groups; g += 32) {
      const float* members = r.choice + g * per_group;
      unsigned char* picked = r.taken + g * per_group;  // the group's flags: this lane's alone
      for (int64_t i = 0; i < per_group; ++i) picked[i] = 0;
      float sum = 0.0f;
      for (int64_t k = 0; k < picks; ++k) {
        const int64_t best = arg_max_untaken(members, picked, per_group);
        picked[best] = 1;
        sum += members[best];
      }
      r.group_scores[g] = sum;
    }
    __syncwarp();
    if (lane == 0) {
      for (int64_t g = 0; g < shape.num_groups; ++g) r.taken[g] = 0;
      for (int64_t k = 0; k < shape.top_groups && k < shape.num_groups; ++k) {
        r.taken[arg_max_untaken(r.group_scores, r.taken, shape.num_groups)] = 1;
      }
    }
    __syncwarp();
    // As transformers: experts of dropped groups score 0 (not -inf) for the final top-k.
    for (int e = lane; e < experts; e += 32) {
      if (!r.taken[e / per_group]) r.choice[e] = 0.0f;
    }
    __syncwarp();
  }

  // The top_k by choice_key: a lane keeps the best key of its own untaken experts (e ≡ lane mod 32,
  // whose taken flags only it touches), a pick is the warp's largest, and only its lane looks again.
  auto lane_best = [&] {
    uint64_t best = 0;
    for (int e = lane; e < experts; e += 32) {
      if (!r.taken[e]) best = max(best, choice_key(r.choice[e], e));
    }
    return best;
  };
  // Lane 0 keeps the picks' scores in r.exps (free after the softmax) and their sum as it goes, so
  // the weights need no reads of the ids it wrote to global memory.
  for (int e = lane; e < experts; e += 32) r.taken[e] = 0;
  uint64_t mine = lane_best();
  int32_t* ids = expert_ids + t * shape.top_k;
  double total = 0.0;
  for (int64_t k = 0; k < shape.top_k; ++k) {
    uint64_t best = mine;
    for (int offset = 16; offset > 0; offset /= 2) best = max(best, __shfl_xor_sync(0xffffffffu, best, offset));
    const int e = key_expert(best);
    if (e % 32 == lane) {
      r.taken[e] = 1;
      mine = lane_best();
    }
    if (lane == 0) {
      ids[k] = e;
      r.exps[k] = r.scores[e];
      total += r.scores[e];
    }
  }
  if (lane != 0) return;
  for (int64_t k = 0; k < shape.top_k; ++k) {
    double weight = r.exps[k];
    if (shape.normalize) weight /= total + 1e-20;
    expert_weights[t * shape.top_k + k] = static_cast<float>(weight * shape.scaling_factor);
  }
}

// Σ_i a[i] · w[i] over n, by one warp; every lane gets the sum.
template <typename W>
__device__ float warp_dot(const float* a, const W* w, int64_t n) {
  float sum = 0.0f;
  for (int64_t i = threadIdx.x % 32; i < n; i += 32) sum += a[i] * load_f32(w, i);
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  return sum;
}

template <typename W>
__global__ void expert_act_kernel(const float* x, const int32_t* expert_ids, const W* gate, const W* up,
                                  ExpertShape shape, float* act) {
  const int64_t warp = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / 32;
  if (warp >= shape.tokens * shape.top_k * shape.ffn) return;
  const int64_t f = warp % shape.ffn;
  const int64_t tk = warp / shape.ffn;  // t · top_k + k
  const int64_t t = tk / shape.top_k;
  const int64_t e = expert_ids[tk] - shape.first_expert;
  if (e < 0 || e >= shape.experts) return;  // another rank's expert: its act is never read
  const float* row = x + t * shape.hidden;
  const int64_t w_offset = (e * shape.ffn + f) * shape.hidden;
  const float g = warp_dot(row, gate + w_offset, shape.hidden);
  const float u = warp_dot(row, up + w_offset, shape.hidden);
  if (threadIdx.x % 32 == 0) act[warp] = g / (1.0f + expf(-g)) * u;
}

template <typename W>
__global__ void expert_down_kernel(const float* act, const int32_t* expert_ids, const float* expert_weights,
                                   const W* down, ExpertShape shape, float* out) {
  const int64_t warp = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / 32;
  if (warp >= shape.tokens * shape.hidden) return;
  const int64_t d = warp % shape.hidden;
  const int64_t t = warp / shape.hidden;
  float total = 0.0f;
  for (int64_t k = 0; k < shape.top_k; ++k) {
    const int64_t tk = t * shape.top_k + k;
    const int64_t e = expert_ids[tk] - shape.first_expert;
    if (e < 0 || e >= shape.experts) continue;
    total += expert_weights[tk] * warp_dot(act + tk * shape.ffn, down + (e * shape.hidden + d) * shape.ffn, shape.ffn);
  }
  if (threadIdx.x % 32 == 0) out[warp] = total;
}

unsigned warp_blocks(int64_t warps) {
  const int64_t blocks = (warps + kWarpsPerBlock - 1) / kWarpsPerBlock;
  return static_cast<unsigned>(blocks < 1 ? 1 : blocks);
}

template <typename W>
void run_experts(const float* x, const int32_t* expert_ids, const float* expert_weights, const W* gate, const W* up,
                 const W* down, const ExpertShape& shape, float* out, Scratch& scratch, Stream stream) {
  const int64_t act_count = shape.tokens * shape.top_k * shape.ffn;
  auto* act = static_cast<float*>(reserve(scratch, act_count * static_cast<int64_t>(sizeof(float)), stream));
  expert_act_kernel<<<warp_blocks(act_count), kWarpsPerBlock * 32, 0, as_cuda(stream)>>>(x, expert_ids, gate, up,
                                                                                          shape, act);
  R1B_CUDA_CHECK_LAUNCH();
  expert_down_kernel<<<warp_blocks(shape.tokens * shape.hidden), kWarpsPerBlock * 32, 0, as_cuda(stream)>>>(
      act, expert_ids, expert_weights, down, shape, out);
  R1B_CUDA_CHECK_LAUNCH();
}

// ---- grouped expert GEMM (bf16 activations) ----

using Bf16 = __nv_bfloat16;

constexpr int kPermuteThreads = 1024;
constexpr int kGemmThreads = 128;    // 4 warps
constexpr int kTileN = 64;           // output columns per block
constexpr int kTileK = 64;           // k per pipeline stage
constexpr int kStages = 3;
constexpr int kStageLd = kTileK + 8;  // bf16 row stride of staged tiles: rows stay 16-byte aligned, banks spread
constexpr int kOutLd = kTileN + 4;    // fp32 row stride of the epilogue tile
constexpr int kCombineThreads = 256;

// Row tiles a grid is sized for: the most any routing of `pairs` pairs over `experts` can need.
int64_t max_row_tiles(int64_t pairs, int64_t experts, int64_t tile_m) {
  return (pairs + tile_m - 1) / tile_m + (experts < pairs ? experts : pairs);
}

// One block: order[expert-order row] = pair index (pairs of experts held here only), and
// tiles[i] = (expert, first row, end row) for the used row tiles, expert −1 for the rest of the
// max_tiles entries.
__global__ void moe_permute_kernel(const int32_t* expert_ids, int64_t pairs, int64_t experts, int64_t first_expert,
                                   int tile_m, int64_t max_tiles, int32_t* order, int32_t* tiles) {
  __shared__ int counts[kMaxRouterExperts];
  __shared__ int cursor[kMaxRouterExperts];
  __shared__ int first_tile[kMaxRouterExperts];
  __shared__ int used_tiles;
  for (int64_t e = threadIdx.x; e < experts; e += blockDim.x) counts[e] = 0;
  __syncthreads();
  for (int64_t i = threadIdx.x; i < pairs; i += blockDim.x) {
    const int64_t e = expert_ids[i] - first_expert;
    if (e >= 0 && e < experts) atomicAdd(&counts[e], 1);
  }
  __syncthreads();
  if (threadIdx.x < 32) {  // exclusive scans of rows and row tiles: a run of experts per lane, then across lanes
    const int lane = static_cast<int>(threadIdx.x);
    const int per_lane = static_cast<int>((experts + 31) / 32);
    const int first = min(static_cast<int>(experts), lane * per_lane);
    const int last = min(static_cast<int>(experts), first + per_lane);
    int rows = 0, row_tiles = 0;
    for (int e = first; e < last; ++e) {
      rows += counts[e];
      row_tiles += (counts[e] + tile_m - 1) / tile_m;
    }
    int rows_through = rows, tiles_through = row_tiles;
    for (int offset = 1; offset < 32; offset *= 2) {
      const int r = __shfl_up_sync(0xffffffffu, rows_through, offset);
      const int t = __shfl_up_sync(0xffffffffu, tiles_through, offset);
      if (lane >= offset) {
        rows_through += r;
        tiles_through += t;
      }
    }
    int row = rows_through - rows, tile = tiles_through - row_tiles;
    for (int e = first; e < last; ++e) {
      cursor[e] = row;
      first_tile[e] = tile;
      row += counts[e];
      tile += (counts[e] + tile_m - 1) / tile_m;
    }
    if (lane == 31) used_tiles = tiles_through;
  }
  __syncthreads();
  for (int64_t e = threadIdx.x; e < experts; e += blockDim.x) {
    const int begin = cursor[e], end = begin + counts[e];
    for (int j = 0; begin + j * tile_m < end; ++j) {
      int32_t* entry = tiles + 3 * (first_tile[e] + j);
      entry[0] = static_cast<int32_t>(e);
      entry[1] = begin + j * tile_m;
      entry[2] = min(end, begin + (j + 1) * tile_m);
    }
  }
  for (int64_t i = used_tiles + threadIdx.x; i < max_tiles; i += blockDim.x) tiles[3 * i] = -1;
  __syncthreads();  // the tile loop has read cursor[] before the scatter advances it
  for (int64_t i = threadIdx.x; i < pairs; i += blockDim.x) {
    const int64_t e = expert_ids[i] - first_expert;
    if (e >= 0 && e < experts) order[atomicAdd(&cursor[e], 1)] = static_cast<int32_t>(i);
  }
}

// One grouped product: for each row tile (expert e, expert-order rows), out = a_rows · w_eᵀ with
// w [E, n, k] bf16. Gated: a = bf16 x [T, k] (row → token order[row] / top_k), two weights
// (gate, up), out act [pairs, n] = silu(g) · u in expert order. Otherwise: a = act [pairs, k] in
// expert order, one weight (down), out pair_out[pair] = pair_weights[pair] · product.
struct GroupedGemm {
  const Bf16* a = nullptr;
  const Bf16* w0 = nullptr;
  const Bf16* w1 = nullptr;
  const int32_t* order = nullptr;
  const int32_t* tiles = nullptr;
  const float* pair_weights = nullptr;
  int64_t n = 0;
  int64_t k = 0;
  int64_t top_k = 1;
  Bf16* act = nullptr;
  float* pair_out = nullptr;
};

template <int kTileM, bool kGated>
constexpr size_t grouped_shared_bytes() {
  constexpr int kMats = kGated ? 2 : 1;
  constexpr size_t kPipeline = size_t{kStages} * (kTileM + kMats * kTileN) * kStageLd * sizeof(Bf16);
  constexpr size_t kEpilogue = size_t{kMats} * kTileM * kOutLd * sizeof(float);
  return kPipeline > kEpilogue ? kPipeline : kEpilogue;
}

template <int kTileM, bool kGated>
__global__ void __launch_bounds__(kGemmThreads) grouped_gemm_kernel(GroupedGemm g) {
  namespace wmma = nvcuda::wmma;
  constexpr int kMats = kGated ? 2 : 1;
  constexpr int kWarpsM = kTileM == 16 ? 1 : 2;
  constexpr int kWarpsN = kGemmThreads / 32 / kWarpsM;
  constexpr int kFragsM = kTileM / kWarpsM / 16;
  constexpr int kFragsN = kTileN / kWarpsN / 16;
  constexpr int kChunksPerRow = kTileK / 8;  // 16-byte chunks
  extern __shared__ __align__(128) unsigned char gemm_shared[];
  __shared__ const Bf16* a_rows[kTileM];

  const int32_t* tile = g.tiles + 3 * int64_t{blockIdx.x};
  const int expert = tile[0];
  if (expert < 0) return;
  const int row0 = tile[1];
  const int rows = tile[2] - row0;
  const int64_t n0 = int64_t{blockIdx.y} * kTileN;
  if (threadIdx.x < kTileM) {
    const int r = static_cast<int>(threadIdx.x);
    if (r < rows) {
      const int64_t source_row = kGated ? g.order[row0 + r] / g.top_k : int64_t{row0} + r;
      a_rows[r] = g.a + source_row * g.k;
    } else {
      a_rows[r] = nullptr;
    }
  }
  __syncthreads();

  auto* a_stage = reinterpret_cast<Bf16*>(gemm_shared);  // [kStages][kTileM][kStageLd]
  Bf16* w_stage = a_stage + kStages * kTileM * kStageLd;  // [kStages][kMats][kTileN][kStageLd]
  const Bf16* w_expert[2] = {g.w0 + expert * g.n * g.k, kGated ? g.w1 + expert * g.n * g.k : nullptr};
  const int k_tiles = static_cast<int>((g.k + kTileK - 1) / kTileK);
  auto load_stage = [&](int kt) {
    const int stage = kt % kStages;
    const int64_t k0 = int64_t{kt} * kTileK;
    for (int c = static_cast<int>(threadIdx.x); c < kTileM * kChunksPerRow; c += kGemmThreads) {
      const int r = c / kChunksPerRow, kc = c % kChunksPerRow * 8;
      const bool valid = a_rows[r] != nullptr && k0 + kc < g.k;
      copy_16_async(a_stage + (stage * kTileM + r) * kStageLd + kc, valid ? a_rows[r] + k0 + kc : g.a, valid);
    }
    for (int m = 0; m < kMats; ++m) {
      for (int c = static_cast<int>(threadIdx.x); c < kTileN * kChunksPerRow; c += kGemmThreads) {
        const int r = c / kChunksPerRow, kc = c % kChunksPerRow * 8;
        const bool valid = n0 + r < g.n && k0 + kc < g.k;
        copy_16_async(w_stage + ((stage * kMats + m) * kTileN + r) * kStageLd + kc,
                      valid ? w_expert[m] + (n0 + r) * g.k + k0 + kc : g.w0, valid);
      }
    }
  };

  const int warp = static_cast<int>(threadIdx.x) / 32;
  const int warp_m = warp / kWarpsN, warp_n = warp % kWarpsN;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[kMats][kFragsM][kFragsN];
  for (auto& per_mat : acc) {
    for (auto& per_row : per_mat) {
      for (auto& fragment : per_row) wmma::fill_fragment(fragment, 0.0f);
    }
  }
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < k_tiles) load_stage(s);
    commit_async();
  }
  for (int kt = 0; kt < k_tiles; ++kt) {
    wait_async<kStages - 2>();  // stage kt has landed
    __syncthreads();            // ... for every thread, and stage kt − 1 is no longer read
    if (kt + kStages - 1 < k_tiles) load_stage(kt + kStages - 1);
    commit_async();
    const int stage = kt % kStages;
    for (int kk = 0; kk < kTileK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, Bf16, wmma::row_major> a_frag[kFragsM];
      for (int i = 0; i < kFragsM; ++i) {
        wmma::load_matrix_sync(a_frag[i], a_stage + (stage * kTileM + (warp_m * kFragsM + i) * 16) * kStageLd + kk,
                               kStageLd);
      }
      for (int m = 0; m < kMats; ++m) {
        for (int j = 0; j < kFragsN; ++j) {
          wmma::fragment<wmma::matrix_b, 16, 16, 16, Bf16, wmma::col_major> b_frag;
          wmma::load_matrix_sync(
              b_frag, w_stage + ((stage * kMats + m) * kTileN + (warp_n * kFragsN + j) * 16) * kStageLd + kk, kStageLd);
          for (int i = 0; i < kFragsM; ++i) wmma::mma_sync(acc[m][i][j], a_frag[i], b_frag, acc[m][i][j]);
        }
      }
    }
  }
  wait_async<0>();
  __syncthreads();  // the pipeline's shared memory becomes the epilogue tile

  auto* out_tile = reinterpret_cast<float*>(gemm_shared);  // [kMats][kTileM][kOutLd]
  for (int m = 0; m < kMats; ++m) {
    for (int i = 0; i < kFragsM; ++i) {
      for (int j = 0; j < kFragsN; ++j) {
        wmma::store_matrix_sync(
            out_tile + (m * kTileM + (warp_m * kFragsM + i) * 16) * kOutLd + (warp_n * kFragsN + j) * 16, acc[m][i][j],
            kOutLd, wmma::mem_row_major);
      }
    }
  }
  __syncthreads();
  for (int c = static_cast<int>(threadIdx.x); c < rows * kTileN; c += kGemmThreads) {
    const int r = c / kTileN, col = c % kTileN;
    if (n0 + col >= g.n) continue;
    const int64_t row = int64_t{row0} + r;
    const float product = out_tile[r * kOutLd + col];
    if constexpr (kGated) {
      const float up = out_tile[(kTileM + r) * kOutLd + col];
      g.act[row * g.n + n0 + col] = __float2bfloat16_rn(product / (1.0f + expf(-product)) * up);
    } else {
      const int64_t pair = g.order[row];
      g.pair_out[pair * g.n + n0 + col] = g.pair_weights[pair] * product;
    }
  }
}

template <int kTileM, bool kGated>
void launch_grouped_gemm(const GroupedGemm& g, int64_t max_tiles, Stream stream) {
  constexpr size_t kShared = grouped_shared_bytes<kTileM, kGated>();
  R1B_CUDA_CHECK(cudaFuncSetAttribute(grouped_gemm_kernel<kTileM, kGated>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                      static_cast<int>(kShared)));
  const dim3 grid(static_cast<unsigned>(max_tiles), static_cast<unsigned>((g.n + kTileN - 1) / kTileN));
  grouped_gemm_kernel<kTileM, kGated><<<grid, kGemmThreads, kShared, as_cuda(stream)>>>(g);
  R1B_CUDA_CHECK_LAUNCH();
}

// Token t's pairs are rows t · P + i of pair_out, P = S + top_k (S = shared_ffn / ffn shared parts
// first, gemv.cuh): out[t, d] = Σ_j pair_out[t · P + j, d], j < S in order, then
// + Σ_k pair_out[t · P + S + k, d], k < top_k in order over the pairs of experts held here.
__global__ void combine_pairs_kernel(const float* pair_out, const int32_t* expert_ids, ExpertShape shape, float* out) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int64_t parts = shape.shared_ffn / shape.ffn;
  const int64_t per_token = parts + shape.top_k;
  const int64_t n = shape.tokens * shape.hidden;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t t = i / shape.hidden, d = i % shape.hidden;
    const float* rows = pair_out + t * per_token * shape.hidden + d;
    float total = 0.0f;
    for (int64_t j = 0; j < parts; ++j) total += rows[j * shape.hidden];
    for (int64_t k = 0; k < shape.top_k; ++k) {
      const int64_t e = expert_ids[t * shape.top_k + k] - shape.first_expert;
      if (e >= 0 && e < shape.experts) total += rows[(parts + k) * shape.hidden];
    }
    out[i] = total;
  }
}

int64_t aligned_bytes(int64_t bytes) { return (bytes + 255) / 256 * 256; }

template <int kTileM>
void run_grouped_experts_tiled(const float* x, const int32_t* expert_ids, const float* expert_weights, const Bf16* gate,
                               const Bf16* up, const Bf16* down, const ExpertShape& shape, float* out,
                               Scratch& scratch, Stream stream) {
  const int64_t pairs = shape.tokens * shape.top_k;
  const int64_t max_tiles = max_row_tiles(pairs, shape.experts, kTileM);
  const int64_t x_bytes = aligned_bytes(shape.tokens * shape.hidden * int64_t{sizeof(Bf16)});
  const int64_t order_bytes = aligned_bytes(pairs * int64_t{sizeof(int32_t)});
  const int64_t tiles_bytes = aligned_bytes(3 * max_tiles * int64_t{sizeof(int32_t)});
  const int64_t act_bytes = aligned_bytes(pairs * shape.ffn * int64_t{sizeof(Bf16)});
  const int64_t pair_out_bytes = pairs * shape.hidden * int64_t{sizeof(float)};
  auto* base = static_cast<char*>(
      reserve(scratch, x_bytes + order_bytes + tiles_bytes + act_bytes + pair_out_bytes, stream));
  auto* x_bf16 = reinterpret_cast<Bf16*>(base);
  auto* order = reinterpret_cast<int32_t*>(base + x_bytes);
  auto* tiles = reinterpret_cast<int32_t*>(base + x_bytes + order_bytes);
  auto* act = reinterpret_cast<Bf16*>(base + x_bytes + order_bytes + tiles_bytes);
  auto* pair_out = reinterpret_cast<float*>(base + x_bytes + order_bytes + tiles_bytes + act_bytes);

  moe_permute_kernel<<<1, kPermuteThreads, 0, as_cuda(stream)>>>(expert_ids, pairs, shape.experts, shape.first_expert,
                                                                 kTileM, max_tiles, order, tiles);
  R1B_CUDA_CHECK_LAUNCH();
  const int64_t x_count = shape.tokens * shape.hidden;
  round_to_bf16(x, x_bf16, x_count, stream);
  GroupedGemm gate_up;
  gate_up.a = x_bf16;
  gate_up.w0 = gate;
  gate_up.w1 = up;
  gate_up.order = order;
  gate_up.tiles = tiles;
  gate_up.n = shape.ffn;
  gate_up.k = shape.hidden;
  gate_up.top_k = shape.top_k;
  gate_up.act = act;
  launch_grouped_gemm<kTileM, true>(gate_up, max_tiles, stream);
  GroupedGemm down_gemm;
  down_gemm.a = act;
  down_gemm.w0 = down;
  down_gemm.order = order;
  down_gemm.tiles = tiles;
  down_gemm.pair_weights = expert_weights;
  down_gemm.n = shape.hidden;
  down_gemm.k = shape.ffn;
  down_gemm.top_k = shape.top_k;
  down_gemm.pair_out = pair_out;
  launch_grouped_gemm<kTileM, false>(down_gemm, max_tiles, stream);
  launch_dependent(combine_pairs_kernel, grid_for(x_count, kCombineThreads), kCombineThreads, 0, as_cuda(stream),
                   pair_out, expert_ids, shape, out);
}

constexpr int64_t kFewTokens = kGemvMaxRows;

// With shape.shared_ffn, each F-wide part j of the shared MLP is one more pair of every token (gemv.cuh):
// its gate and up rows [j·F, (j+1)·F) of shared_gate_up's halves, its columns [j·F, (j+1)·F) of
// shared_down.
void run_few_token_experts(const float* x, const int32_t* expert_ids, const float* expert_weights,
                           const ExpertMatrices& matrices, const ExpertShape& shape, float* out, Scratch& scratch,
                           Stream stream) {
  const int64_t parts = shape.shared_ffn / shape.ffn;
  const int64_t pairs = shape.tokens * (parts + shape.top_k);
  const int64_t act_bytes = aligned_bytes(pairs * shape.ffn * int64_t{sizeof(float)});
  auto* act = static_cast<float*>(reserve(scratch, act_bytes + pairs * shape.hidden * int64_t{sizeof(float)}, stream));
  float* pair_out = act + act_bytes / int64_t{sizeof(float)};
  const auto* shared_gate_up = static_cast<const Bf16*>(matrices.shared_gate_up);
  ExpertProduct gated;
  gated.ids = expert_ids;
  gated.first_expert = shape.first_expert;
  gated.experts = shape.experts;
  gated.top_k = shape.top_k;
  gated.pairs = pairs;
  gated.x_by_token = true;
  gated.shared = shared_gate_up;
  gated.shared_up = parts > 0 ? shared_gate_up + shape.shared_ffn * shape.hidden : nullptr;
  gated.shared_parts = parts;
  gated.shared_part_offset = shape.ffn * shape.hidden;
  gated.shared_row_stride = shape.hidden;
  launch_gemv_experts(x, matrices.gate, matrices.up, gated, shape.hidden, shape.ffn, act, as_cuda(stream));
  ExpertProduct weighted = gated;
  weighted.x_by_token = false;
  weighted.scale = expert_weights;
  weighted.shared = matrices.shared_down;
  weighted.shared_up = nullptr;
  weighted.shared_part_offset = shape.ffn;
  weighted.shared_row_stride = shape.shared_ffn;
  launch_gemv_experts(act, matrices.down, nullptr, weighted, shape.ffn, shape.hidden, pair_out, as_cuda(stream));
  launch_dependent(combine_pairs_kernel, grid_for(shape.tokens * shape.hidden, kCombineThreads), kCombineThreads, 0,
                   as_cuda(stream), pair_out, expert_ids, shape, out);
}

// bf16 weights whose rows are whole 16-byte vectors: the few-token and grouped paths.
bool bf16_vectors(const ExpertShape& shape) {
  return shape.weight_type == ElementType::kBF16 && shape.hidden % 8 == 0 && shape.ffn % 8 == 0;
}

bool few_token_path(const ExpertShape& shape) { return bf16_vectors(shape) && shape.tokens <= kFewTokens; }

// Row tiles of 16 while pairs per expert are few (decode: a 64-row tile would be mostly padding),
// else 64 (four times the weight reuse per block).
void run_grouped_experts(const float* x, const int32_t* expert_ids, const float* expert_weights, const Bf16* gate,
                         const Bf16* up, const Bf16* down, const ExpertShape& shape, float* out, Scratch& scratch,
                         Stream stream) {
  if (shape.tokens * shape.top_k >= 32 * shape.experts) {
    run_grouped_experts_tiled<64>(x, expert_ids, expert_weights, gate, up, down, shape, out, scratch, stream);
  } else {
    run_grouped_experts_tiled<16>(x, expert_ids, expert_weights, gate, up, down, shape, out, scratch, stream);
  }
}

}  // namespace

void moe_route(const float* logits, const float* correction_bias, const RouteShape& shape, int32_t* expert_ids,
               float* expert_weights, Stream stream) {
  if (shape.tokens == 0) return;
  const auto shared_bytes = static_cast<size_t>(kRouteWarps * route_shared_bytes(shape));
  if (shared_bytes > 48 * 1024) {
    R1B_CUDA_CHECK(cudaFuncSetAttribute(moe_route_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(shared_bytes)));
  }
  const auto blocks = static_cast<unsigned>((shape.tokens + kRouteWarps - 1) / kRouteWarps);
  launch_dependent(moe_route_kernel, blocks, kRouteWarps * 32, shared_bytes, as_cuda(stream), logits, correction_bias,
                   shape, expert_ids, expert_weights);
}

bool moe_experts_add_shared(const ExpertShape& shape, int64_t shared_ffn) {
  return few_token_path(shape) && shared_ffn > 0 && shared_ffn % shape.ffn == 0;
}

void moe_experts(const float* x, const int32_t* expert_ids, const float* expert_weights,
                 const ExpertMatrices& matrices, const ExpertShape& shape, float* out, Scratch& scratch,
                 Stream stream) {
  if (shape.tokens == 0) return;
  if (shape.shared_ffn > 0 && !moe_experts_add_shared(shape, shape.shared_ffn)) {
    std::fprintf(stderr, "r1bench: moe_experts given shared experts it cannot add at %s:%d\n", __FILE__, __LINE__);
    std::abort();
  }
  const auto* gate = static_cast<const Bf16*>(matrices.gate);
  const auto* up = static_cast<const Bf16*>(matrices.up);
  const auto* down = static_cast<const Bf16*>(matrices.down);
  if (few_token_path(shape)) {
    run_few_token_experts(x, expert_ids, expert_weights, matrices, shape, out, scratch, stream);
  } else if (bf16_vectors(shape) && shape.bf16_activations) {
    run_grouped_experts(x, expert_ids, expert_weights, gate, up, down, shape, out, scratch, stream);
  } else if (shape.weight_type == ElementType::kBF16) {
    run_experts(x, expert_ids, expert_weights, gate, up, down, shape, out, scratch, stream);
  } else {
    run_experts(x, expert_ids, expert_weights, static_cast<const float*>(matrices.gate),
                static_cast<const float*>(matrices.up), static_cast<const float*>(matrices.down), shape, out, scratch,
                stream);
  }
}

}  // namespace r1b::kernels
