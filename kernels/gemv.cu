// The small-batch product (gemv.cuh): one to eight warps of a block per output column o, each
// summing an interleaved part of weight row o. The grid's second axis runs the products of a
// batch (a dense shape's batch entries, e.g. the heads of MLA's per-head products, each at its
// batch strides), or in the experts' form one product per (token, routing slot) pair, its expert
// read from the device. Each lane takes 8 consecutive weights at a time as one 16-byte load (four
// such loads in flight per lane), the matching x values as two float4 loads per row (x stays in
// L1/L2; rows shape.x_row_stride apart); a warp sums its lanes with shuffles, the parts meet in
// shared memory.
// Launched as a dependent kernel (dependent_launch.cuh): a block prefetches the head of its weight
// rows into L2 while the kernel before it still runs, then waits for x.
#include <cuda_bf16.h>

#include "kernels/cuda_check.cuh"
#include "kernels/dependent_launch.cuh"
#include "kernels/gemv.cuh"

namespace r1b::kernels {

namespace {

constexpr int kWarpsPerBlock = 8;
// 16-byte weight loads each lane issues before using them.
constexpr int kLoadsInFlight = 4;
// How many warps share a weight row (split_for): enough that the product runs at least
// kTargetWarps warps (half of what an H100 holds at once), and enough that no warp streams more
// than kMaxChunksPerWarp 16-byte chunks of a row. Measured on an H100 with the 1.5B and 7B shapes
// (a graph of back-to-back products over weights that do not fit L2): one warp per row gave 1.5,
// 1.3 and 1.7 TB/s for q|k|v, o and down (1536x2048, 1536x1536, 8960x1536), these splits 2.0,
// 1.9 and 2.7 TB/s; 28 layers of the four products took 0.97 ms against 1.22.
constexpr int64_t kTargetWarps = 4096;
constexpr int64_t kMaxChunksPerWarp = 512;
constexpr int kMaxSplit = 8;
// Bytes of its weights a block prefetches into L2 before waiting for x: the head of its rows. All
// of them was slower (an H100 B=1 decode step of the 1.5B shape: 2.24 against 2.08 ms): the
// resident blocks of a gate|up product would ask for more than L2 holds.
constexpr int64_t kPrefetchBytes = 4096;
// Most products of a batch: the grid's second axis.
constexpr int64_t kGemvMaxBatch = 65535;

// Output column o of `outs` is summed by kSplit warps of one block: warp part p takes the 16-byte
// chunks p·32 + lane + i·32·kSplit of row o of w (with kSwiglu also of row o of `second`, the up
// rows), so each load instruction of a warp reads 512 contiguous bytes, and the parts meet in
// shared memory. The first part writes Σ + bias, or silu(gate) · up, into row r of out at
// shape.out_row_stride. Block row blockIdx.y is batch entry b of a dense shape (x, w, second and
// out offset by the batch strides) or, with product.ids, a pair of the experts' form (gemv.cuh):
// its expert's matrices, its x row, its output row, times its scale.
template <int kRows, int kSplit, bool kSwiglu>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    gemv_kernel(const float* __restrict__ x, const __nv_bfloat16* __restrict__ w, const __nv_bfloat16* second,
                const float* __restrict__ bias, GemmShape shape, float* __restrict__ out, ExpertProduct product) {
  constexpr int kMatrices = kSwiglu ? 2 : 1;
  constexpr int kColumns = kWarpsPerBlock / kSplit;
  const int64_t in = shape.in;
  const int64_t outs = shape.outs;
  const int64_t first = blockIdx.x * int64_t{kColumns};
  const bool by_expert = product.ids != nullptr;
  // An expert pair's slot among its token's pairs: the shared parts first, then the routing slots.
  const int64_t per_token = product.shared_parts + product.top_k;
  const int64_t slot = by_expert ? blockIdx.y % per_token : 0;
  int64_t row_stride = in;
  if (!by_expert) {
    const int64_t b = blockIdx.y;
    x += b * shape.x_batch_stride;
    w += b * shape.w_batch_stride;
    if constexpr (kSwiglu) second += b * shape.w_batch_stride;
    out += b * shape.out_batch_stride;
    if (threadIdx.x < kMatrices) {
      const int64_t rows = outs - first < kColumns ? outs - first : kColumns;
      const int64_t bytes = rows * in * 2 < kPrefetchBytes ? rows * in * 2 : kPrefetchBytes;
      prefetch_to_l2((threadIdx.x == 0 ? w : second) + first * in, static_cast<uint32_t>(bytes));
    }
  } else if (slot < product.shared_parts) {
    // A shared part does not depend on the routing: the block fetches all of its rows into L2
    // while the router still runs (these pairs come first, so their blocks are the ones resident).
    const int64_t offset = slot * product.shared_part_offset;
    w = static_cast<const __nv_bfloat16*>(product.shared) + offset;
    if constexpr (kSwiglu) second = static_cast<const __nv_bfloat16*>(product.shared_up) + offset;
    row_stride = product.shared_row_stride;
    if (threadIdx.x < kMatrices * kColumns && first + threadIdx.x / kMatrices < outs) {
      const int64_t row = first + threadIdx.x / kMatrices;
      prefetch_to_l2((threadIdx.x % kMatrices == 0 ? w : second) + row * row_stride, static_cast<uint32_t>(in * 2));
    }
  }
  let_next_kernel_start();
  wait_for_previous_kernel();
  float scale = 1.0f;
  if (by_expert) {
    const int64_t pair = blockIdx.y;
    if (slot >= product.shared_parts) {
      const int64_t routed = pair / per_token * product.top_k + slot - product.shared_parts;
      const int64_t e = product.ids[routed] - product.first_expert;
      if (e < 0 || e >= product.experts) return;  // another rank's expert: the whole block leaves
      w += e * outs * in;
      if constexpr (kSwiglu) second += e * outs * in;
      if (product.scale != nullptr) scale = product.scale[routed];
    }
    x += (product.x_by_token ? pair / per_token : pair) * in;
    out += pair * outs;
  }
  const int warp = static_cast<int>(threadIdx.x / 32);
  const int lane = static_cast<int>(threadIdx.x % 32);
  const int64_t o = first + warp / kSplit;
  const int part = warp % kSplit;
  const int64_t chunks = o < outs ? in / 8 : 0;
  const uint4* w_rows[kMatrices];
#pragma unroll
  for (int m = 0; m < kMatrices; ++m) w_rows[m] = reinterpret_cast<const uint4*>((m == 0 ? w : second) + o * row_stride);
  float acc[kMatrices][kRows] = {};
  constexpr int64_t kStride = 32 * kSplit;
  for (int64_t base = part * 32 + lane; base < chunks; base += kStride * kLoadsInFlight) {
    uint4 packed[kMatrices][kLoadsInFlight];
#pragma unroll
    for (int m = 0; m < kMatrices; ++m) {
#pragma unroll
      for (int u = 0; u < kLoadsInFlight; ++u) {
        const int64_t chunk = base + u * kStride;
        packed[m][u] = chunk < chunks ? __ldcs(w_rows[m] + chunk) : make_uint4(0, 0, 0, 0);
      }
    }
#pragma unroll
    for (int u = 0; u < kLoadsInFlight; ++u) {
      const int64_t chunk = base + u * kStride;
      if (chunk >= chunks) break;
#pragma unroll
      for (int m = 0; m < kMatrices; ++m) {
#pragma unroll
        for (int r = 0; r < kRows; ++r) accumulate_bf16x8(packed[m][u], x + r * shape.x_row_stride, chunk, acc[m][r]);
      }
    }
  }
#pragma unroll
  for (int m = 0; m < kMatrices; ++m) {
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      for (int offset = 16; offset > 0; offset /= 2) acc[m][r] += __shfl_xor_sync(0xffffffffu, acc[m][r], offset);
    }
  }
  if constexpr (kSplit > 1) {
    __shared__ float parts[kWarpsPerBlock][kMatrices][kRows];
    if (lane == 0) {
#pragma unroll
      for (int m = 0; m < kMatrices; ++m) {
#pragma unroll
        for (int r = 0; r < kRows; ++r) parts[warp][m][r] = acc[m][r];
      }
    }
    __syncthreads();
    if (part != 0) return;
#pragma unroll
    for (int p = 1; p < kSplit; ++p) {
#pragma unroll
      for (int m = 0; m < kMatrices; ++m) {
#pragma unroll
        for (int r = 0; r < kRows; ++r) acc[m][r] += parts[warp + p][m][r];
      }
    }
  }
  if (lane != 0 || o >= outs) return;
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    const float value = acc[0][r] + (bias != nullptr ? bias[o] : 0.0f);
    if constexpr (kSwiglu) {
      const float up = acc[1][r] + (bias != nullptr ? bias[outs + o] : 0.0f);
      out[r * shape.out_row_stride + o] = value / (1.0f + expf(-value)) * up;
    } else {
      out[r * shape.out_row_stride + o] = value * scale;
    }
  }
}

// Products a launch runs on the grid's second axis: the experts' pairs, or the dense batch.
int64_t products(const GemmShape& shape, const ExpertProduct& product) {
  return product.ids != nullptr ? product.pairs : shape.batch;
}

template <int kRows, int kSplit, bool kSwiglu>
void launch_variant(const float* x, const __nv_bfloat16* w, const __nv_bfloat16* second, const float* bias,
                    const GemmShape& shape, float* out, const ExpertProduct& product, cudaStream_t stream) {
  constexpr int kColumns = kWarpsPerBlock / kSplit;
  const dim3 grid(static_cast<unsigned>((shape.outs + kColumns - 1) / kColumns),
                  static_cast<unsigned>(products(shape, product)));
  launch_dependent(gemv_kernel<kRows, kSplit, kSwiglu>, grid, kWarpsPerBlock * 32, 0, stream, x, w, second, bias,
                   shape, out, product);
}

// The least power of two ≤ kMaxSplit that gives ≥ kTargetWarps warps and ≤ kMaxChunksPerWarp chunks a warp.
int split_for(int64_t in, int64_t outs) {
  int split = 1;
  while (split < kMaxSplit && (outs * split < kTargetWarps || in / 8 > kMaxChunksPerWarp * split)) split *= 2;
  return split;
}

// shape.outs output columns per row and product; the split counts the columns of all products.
template <int kRows, bool kSwiglu>
void launch_rows(const float* x, const __nv_bfloat16* w, const __nv_bfloat16* second, const float* bias,
                 const GemmShape& shape, float* out, const ExpertProduct& product, cudaStream_t stream) {
  switch (split_for(shape.in, shape.outs * products(shape, product))) {
    case 1: launch_variant<kRows, 1, kSwiglu>(x, w, second, bias, shape, out, product, stream); break;
    case 2: launch_variant<kRows, 2, kSwiglu>(x, w, second, bias, shape, out, product, stream); break;
    case 4: launch_variant<kRows, 4, kSwiglu>(x, w, second, bias, shape, out, product, stream); break;
    default: launch_variant<kRows, kMaxSplit, kSwiglu>(x, w, second, bias, shape, out, product, stream); break;
  }
}

// The dense products: `second` is w's up half for kSwiglu (w holds 2 · shape.outs rows).
template <bool kSwiglu>
void launch(const float* x, const void* w, const float* bias, const GemmShape& shape, float* out, cudaStream_t stream) {
  const auto* weights = static_cast<const __nv_bfloat16*>(w);
  const __nv_bfloat16* second = kSwiglu ? weights + shape.outs * shape.in : nullptr;
  const ExpertProduct dense;
  switch (shape.rows) {
    case 1: launch_rows<1, kSwiglu>(x, weights, second, bias, shape, out, dense, stream); break;
    case 2: launch_rows<2, kSwiglu>(x, weights, second, bias, shape, out, dense, stream); break;
    case 3: launch_rows<3, kSwiglu>(x, weights, second, bias, shape, out, dense, stream); break;
    default: launch_rows<4, kSwiglu>(x, weights, second, bias, shape, out, dense, stream); break;
  }
}

}  // namespace

bool gemv_fits(const GemmShape& shape, ElementType w_type) {
  // Rows and batch entries of x start 16 bytes apart (float4 loads), weight matrices too.
  const bool aligned = (shape.rows == 1 || shape.x_row_stride % 4 == 0) &&
                       (shape.batch == 1 || (shape.x_batch_stride % 4 == 0 && shape.w_batch_stride % 8 == 0));
  return w_type == ElementType::kBF16 && shape.rows >= 1 && shape.rows <= kGemvMaxRows && shape.batch >= 1 &&
         shape.batch <= kGemvMaxBatch && shape.in % 8 == 0 && aligned;
}

void launch_gemv(const float* x, const void* w, const float* bias, const GemmShape& shape, float* out,
                 cudaStream_t stream) {
  launch<false>(x, w, bias, shape, out, stream);
}

void launch_gemv_swiglu(const float* x, const void* w, const float* bias, const GemmShape& shape, float* out,
                        cudaStream_t stream) {
  GemmShape halves = shape;
  halves.outs = shape.outs / 2;
  halves.out_row_stride = halves.outs;
  launch<true>(x, w, bias, halves, out, stream);
}

void launch_gemv_experts(const float* x, const void* w, const void* up, const ExpertProduct& product, int64_t in,
                         int64_t outs, float* out, cudaStream_t stream) {
  if (product.pairs == 0) return;
  const auto* gate = static_cast<const __nv_bfloat16*>(w);
  GemmShape row;  // one x row and one output row per pair; the kernel places them by pair
  row.rows = 1;
  row.in = in;
  row.outs = outs;
  if (up != nullptr) {
    launch_rows<1, true>(x, gate, static_cast<const __nv_bfloat16*>(up), nullptr, row, out, product, stream);
  } else {
    launch_rows<1, false>(x, gate, nullptr, nullptr, row, out, product, stream);
  }
}

}  // namespace r1b::kernels
