// Private to kernels/: the small-batch product of gemm.cu. Decode steps of a few sequences multiply
// a handful of activation rows by every weight matrix (and, in MLA, each head's rows by that
// head's matrix: a batch of products); there cuBLAS pays for a bf16 copy of x, a separate bias
// pass and tiles sized for many rows. This kernel reads x in fp32 as it is (no rounding: the
// product's only bf16 error is the weights' own), streams the bf16 weights once with 16-byte
// loads, and adds the bias in the same pass.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/dispatch.h"

namespace r1b::kernels {

// The small-batch products' inner step: acc += Σ_j w_j · x_row[8·chunk + j] for the 8 bf16
// weights packed in one 16-byte load; x_row 16-byte aligned (read as two float4).
__device__ inline void accumulate_bf16x8(const uint4& packed, const float* x_row, int64_t chunk, float& acc) {
  const float4 lo = reinterpret_cast<const float4*>(x_row)[2 * chunk];
  const float4 hi = reinterpret_cast<const float4*>(x_row)[2 * chunk + 1];
  const auto* w = reinterpret_cast<const __nv_bfloat162*>(&packed);
  const float2 w0 = __bfloat1622float2(w[0]);
  const float2 w1 = __bfloat1622float2(w[1]);
  const float2 w2 = __bfloat1622float2(w[2]);
  const float2 w3 = __bfloat1622float2(w[3]);
  acc = fmaf(lo.x, w0.x, acc);
  acc = fmaf(lo.y, w0.y, acc);
  acc = fmaf(lo.z, w1.x, acc);
  acc = fmaf(lo.w, w1.y, acc);
  acc = fmaf(hi.x, w2.x, acc);
  acc = fmaf(hi.y, w2.y, acc);
  acc = fmaf(hi.z, w3.x, acc);
  acc = fmaf(hi.w, w3.y, acc);
}

// Whether `shape` takes the small-batch kernel: bf16 weights, 1 to kGemvMaxRows rows (dispatch.h),
// 1 to 65535 products, `in` a multiple of 8, x's row and batch strides multiples of 4 (each row
// starts 16-byte aligned) and w's batch stride a multiple of 8 (where there is more than one row
// or product). Output strides are free.
bool gemv_fits(const GemmShape& shape, ElementType w_type);

// For b < shape.batch: out_b[r, o] = Σ_i x_b[r, i] · w_b[o, i] (+ bias[o] when bias is not null),
// fp32 accumulation, with GemmShape's strides (x_b = x + b · x_batch_stride, rows of x_b
// x_row_stride apart, the same for w and out), for a shape that gemv_fits(). bias [O] is added to
// every row of every product. x, w 16-byte aligned.
void launch_gemv(const float* x, const void* w, const float* bias, const GemmShape& shape, float* out,
                 cudaStream_t stream);
// The gate|up product of a SwiGLU MLP with the SwiGLU as its epilogue, for a shape that gemv_fits()
// with shape.batch 1 and shape.outs = 2F even (w [2F, I]: gate rows, then up rows; bias [2F] or
// null): out[r, f] = silu(g) · u with g = Σ_i x[r, i] · w[f, i] (+ bias[f]) and u the same over
// row F + f; x rows shape.x_row_stride apart. out [R, F] dense (shape.out_row_stride is not used).
void launch_gemv_swiglu(const float* x, const void* w, const float* bias, const GemmShape& shape, float* out,
                        cudaStream_t stream);

// The few-token experts of moe.cu as small-batch products over device-chosen experts. The pairs
// are grouped by token, shared_parts + top_k of them each: pair p = t · (shared_parts + top_k) + i
// takes, for i < shared_parts, part i of the shared experts' matrices (`shared` +
// i · shared_part_offset, rows shared_row_stride apart), and for i = shared_parts + k (token t's
// routing slot k) expert e = ids[t · top_k + k] − first_expert's matrices (pairs whose expert
// another rank holds are skipped: their output rows are not written); x row t with x_by_token,
// else x row p:
//   gated (up not null):  out[p, f] = silu(Σ_i x_row[i] · w[e, f, i]) · Σ_i x_row[i] · up[e, f, i]
//   plain (up null):      out[p, o] = scale · Σ_i x_row[i] · w[e, o, i]
// for f, o < outs, scale = scale[t · top_k + k] for routed pairs (1 without `scale`) and 1 for
// shared ones; w and up are [experts, outs, in] bf16, in a multiple of 8, out [pairs, outs].
struct ExpertProduct {
  const int32_t* ids = nullptr;
  int64_t first_expert = 0;
  int64_t experts = 0;
  int64_t top_k = 1;
  int64_t pairs = 0;            // tokens · (shared_parts + top_k): the launch's pairs
  bool x_by_token = false;      // a token's pairs share its x row (gate|up), else each has its own (down)
  const float* scale = nullptr; // per routed pair (plain products only), or null
  const void* shared = nullptr;     // bf16; null when shared_parts is 0
  const void* shared_up = nullptr;  // bf16, gated products only
  int64_t shared_parts = 0;
  int64_t shared_part_offset = 0;   // elements
  int64_t shared_row_stride = 0;    // elements
};
void launch_gemv_experts(const float* x, const void* w, const void* up, const ExpertProduct& product, int64_t in,
                         int64_t outs, float* out, cudaStream_t stream);

}  // namespace r1b::kernels
