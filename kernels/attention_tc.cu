// Prefill attention on the tensor cores (FlashAttention-2 style, paged, causal) for head width 128.
//
// One block of 4 warps takes a tile of up to 64 query rows of one sequence and one query head;
// each warp owns 16 rows. Per tile of 64 key positions the block gathers keys and values through
// the block table into shared memory as bf16; each warp then computes its scores S = Q·Kᵀ with
// bf16 WMMA (fp32 accumulation), runs the online softmax on them (two lanes per row), rounds the
// probabilities to bf16 and adds P·V, again with WMMA, into an fp32 output kept in shared memory
// (rescaled per row when the running max moves, then loaded as the accumulator). Q and P are rounded to bf16 — the engine's
// "bf16 activations" precision; every sum is fp32.
#include <mma.h>

#include <cfloat>

#include "kernels/attention_tc.cuh"
#include "kernels/cuda_check.cuh"

namespace r1b::kernels {

namespace {

using namespace nvcuda;

constexpr int kWarps = 4;
constexpr int kRows = 16 * kWarps;  // == kTensorCoreTileRows
constexpr int kKeys = 64;           // key positions per tile
constexpr int kDim = 128;
constexpr int kPitch = kDim + 8;    // bf16 rows of Q, K, V (a multiple of 8, off the bank period)
constexpr int kScorePitch = kKeys + 4;
constexpr int kProbPitch = kKeys + 8;
constexpr int kOutPitch = kDim + 4;

// ~96 KB: two blocks fit on an SM. Q is staged only until each warp holds its fragments, so the
// per-tile scores and probabilities reuse its space.
struct alignas(16) Shared {
  union {
    __nv_bfloat16 q[kRows * kPitch];
    struct {
      float scores[kWarps][16 * kScorePitch];
      __nv_bfloat16 probs[kWarps][16 * kProbPitch];
    } tile;
  };
  __nv_bfloat16 k[kKeys * kPitch];
  __nv_bfloat16 v[kKeys * kPitch];
  float out[kWarps][16 * kOutPitch];
  float rescale[kWarps][16];
};

constexpr int kVectors = kDim / 8;  // 16-byte vectors of bf16 per row

__device__ inline __nv_bfloat16 to_bf16(float value) { return __float2bfloat16_rn(value); }

// 8 consecutive cache elements as 8 packed bf16 (16-byte aligned source).
__device__ inline uint4 load8(const __nv_bfloat16* p) { return *reinterpret_cast<const uint4*>(p); }
__device__ inline uint4 load8(const float* p) {
  const float4 a = reinterpret_cast<const float4*>(p)[0];
  const float4 b = reinterpret_cast<const float4*>(p)[1];
  uint4 packed;
  const __nv_bfloat162 pairs[4] = {__floats2bfloat162_rn(a.x, a.y), __floats2bfloat162_rn(a.z, a.w),
                                   __floats2bfloat162_rn(b.x, b.y), __floats2bfloat162_rn(b.z, b.w)};
  static_assert(sizeof(pairs) == sizeof(packed));
  memcpy(&packed, pairs, sizeof(packed));
  return packed;
}

template <typename T>
__global__ void __launch_bounds__(kWarps * 32) tensor_core_attention_kernel(
    const float* q, const T* keys, const T* values, const int32_t* tiles, const int32_t* block_tables,
    AttentionShape shape, float* out) {
  extern __shared__ __align__(128) unsigned char raw[];
  Shared& sm = *reinterpret_cast<Shared*>(raw);
  const int32_t* tile = tiles + 4 * blockIdx.x;
  const int64_t first_token = tile[0];
  const int rows = tile[1];
  const int64_t first_visible = tile[2];
  const int32_t* table = block_tables + tile[3];
  const int64_t head = blockIdx.y;
  const int64_t kv_head = head / (shape.heads / shape.kv_heads);
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;

  for (int idx = threadIdx.x; idx < kRows * kDim; idx += blockDim.x) {
    const int r = idx / kDim, d = idx % kDim;
    const float value = r < rows ? q[((first_token + r) * shape.heads + head) * kDim + d] : 0.0f;
    sm.q[r * kPitch + d] = to_bf16(value);
  }
  for (int idx = lane; idx < 16 * kOutPitch; idx += 32) sm.out[warp][idx] = 0.0f;
  __syncthreads();
  wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> q_frag[kDim / 16];
  for (int kk = 0; kk < kDim / 16; ++kk) wmma::load_matrix_sync(q_frag[kk], sm.q + warp * 16 * kPitch + kk * 16, kPitch);

  // Two lanes per row: lane handles row `my_row` of this warp's 16, columns [half·32, half·32 + 32).
  const int my_row = lane / 2;
  const int half = lane % 2;
  const int64_t row_visible = warp * 16 + my_row < rows ? first_visible + warp * 16 + my_row : 0;
  float run_max = -FLT_MAX;
  float run_sum = 0.0f;

  const int64_t end = first_visible + rows - 1;  // the last row's visible positions
  for (int64_t key_begin = 0; key_begin < end; key_begin += kKeys) {
    const int count = static_cast<int>(min(static_cast<int64_t>(kKeys), end - key_begin));
    // 16-byte vectors: 8 bf16 of a key or value row per thread and step.
    for (int idx = threadIdx.x; idx < kKeys * kVectors; idx += blockDim.x) {
      const int j = idx / kVectors, c = (idx % kVectors) * 8;
      uint4 key = {0, 0, 0, 0}, value = {0, 0, 0, 0};
      if (j < count) {
        const int64_t p = key_begin + j;
        const int64_t slot = int64_t{table[p / shape.block_size]} * shape.block_size + p % shape.block_size;
        key = load8(keys + slot * shape.k_row + kv_head * kDim + c);
        value = load8(values + slot * shape.v_row + kv_head * shape.v_head_stride + c);
      }
      *reinterpret_cast<uint4*>(sm.k + j * kPitch + c) = key;
      *reinterpret_cast<uint4*>(sm.v + j * kPitch + c) = value;
    }
    __syncthreads();

    // S = Q · Kᵀ for this warp's 16 rows × 64 keys.
    for (int n = 0; n < kKeys / 16; ++n) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> s_frag;
      wmma::fill_fragment(s_frag, 0.0f);
      for (int kk = 0; kk < kDim / 16; ++kk) {
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> k_frag;
        wmma::load_matrix_sync(k_frag, sm.k + n * 16 * kPitch + kk * 16, kPitch);
        wmma::mma_sync(s_frag, q_frag[kk], k_frag, s_frag);
      }
      wmma::store_matrix_sync(sm.tile.scores[warp] + n * 16, s_frag, kScorePitch, wmma::mem_row_major);
    }
    __syncwarp();

    // Online softmax, row my_row, 32 columns per lane.
    float* s_row = sm.tile.scores[warp] + my_row * kScorePitch + half * 32;
    float tile_max = -FLT_MAX;
    for (int c = 0; c < 32; ++c) {
      const int64_t p = key_begin + half * 32 + c;
      const float s = p < row_visible ? s_row[c] * shape.scale : -INFINITY;
      s_row[c] = s;
      tile_max = fmaxf(tile_max, s);
    }
    tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
    const float new_max = fmaxf(run_max, tile_max);
    float sum = 0.0f;
    __nv_bfloat16* p_row = sm.tile.probs[warp] + my_row * kProbPitch + half * 32;
    for (int c = 0; c < 32; ++c) {
      const float p = expf(s_row[c] - new_max);  // −inf scores give 0
      sum += p;
      p_row[c] = to_bf16(p);
    }
    sum += __shfl_xor_sync(0xffffffffu, sum, 1);
    const float scale = expf(run_max - new_max);
    run_sum = run_sum * scale + sum;
    run_max = new_max;
    if (half == 0) sm.rescale[warp][my_row] = scale;
    __syncwarp();

    // out = out · rescale (per row), then out += P · V (16 × 128) on the tensor cores.
    for (int idx = lane; idx < 16 * kDim / 4; idx += 32) {
      const int r = idx / (kDim / 4), d = (idx % (kDim / 4)) * 4;
      float4& acc = *reinterpret_cast<float4*>(sm.out[warp] + r * kOutPitch + d);
      const float scale = sm.rescale[warp][r];
      acc = make_float4(acc.x * scale, acc.y * scale, acc.z * scale, acc.w * scale);
    }
    __syncwarp();
    for (int n = 0; n < kDim / 16; ++n) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> o_frag;
      wmma::load_matrix_sync(o_frag, sm.out[warp] + n * 16, kOutPitch, wmma::mem_row_major);
      for (int kk = 0; kk < kKeys / 16; ++kk) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> p_frag;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::row_major> v_frag;
        wmma::load_matrix_sync(p_frag, sm.tile.probs[warp] + kk * 16, kProbPitch);
        wmma::load_matrix_sync(v_frag, sm.v + kk * 16 * kPitch + n * 16, kPitch);
        wmma::mma_sync(o_frag, p_frag, v_frag, o_frag);
      }
      wmma::store_matrix_sync(sm.out[warp] + n * 16, o_frag, kOutPitch, wmma::mem_row_major);
    }
    __syncthreads();  // K and V are rewritten by the next tile
  }

  // Row my_row's sum sits in both of its lanes; lane `half` writes columns [half·64, half·64 + 64).
  const int r = warp * 16 + my_row;
  if (r < rows && run_sum > 0.0f) {
    float* dst = out + ((first_token + r) * shape.heads + head) * kDim;
    const float* acc = sm.out[warp] + my_row * kOutPitch;
    for (int d = half * 64; d < half * 64 + 64; ++d) dst[d] = acc[d] / run_sum;
  }
}

template <typename T>
void launch(dim3 grid, const float* q, const T* keys, const T* values, const int32_t* tiles,
            const int32_t* block_tables, const AttentionShape& shape, float* out, cudaStream_t stream) {
  auto* kernel = tensor_core_attention_kernel<T>;
  R1B_CUDA_CHECK(
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(sizeof(Shared))));
  kernel<<<grid, kWarps * 32, sizeof(Shared), stream>>>(q, keys, values, tiles, block_tables, shape, out);
}

}  // namespace

bool tensor_core_attention_fits(const AttentionShape& shape) {
  // Rows are read as 16-byte vectors: widths must keep them aligned.
  return shape.tensor_cores && !shape.v_in_k && shape.k_dim == kDim && shape.v_dim == kDim && shape.k_row % 8 == 0 &&
         shape.v_row % 8 == 0 && shape.v_head_stride % 8 == 0;
}

void launch_tensor_core_attention(const float* q, const void* keys, const void* values, ElementType cache_type,
                                  const int32_t* tiles, int64_t num_tiles, const int32_t* block_tables,
                                  const AttentionShape& shape, float* out, cudaStream_t stream) {
  static_assert(kRows == kTensorCoreTileRows);
  const dim3 grid(static_cast<unsigned>(num_tiles), static_cast<unsigned>(shape.heads));
  if (cache_type == ElementType::kBF16) {
    launch(grid, q, static_cast<const __nv_bfloat16*>(keys), static_cast<const __nv_bfloat16*>(values), tiles,
           block_tables, shape, out, stream);
  } else {
    launch(grid, q, static_cast<const float*>(keys), static_cast<const float*>(values), tiles, block_tables, shape,
           out, stream);
  }
  R1B_CUDA_CHECK_LAUNCH();
}

}  // namespace r1b::kernels
