// Matrix products for dispatch.h through cuBLAS (cublasGemmStridedBatchedEx).
//
// Row-major out [R, O] = x [R, I] · wᵀ is column-major outᵀ = w · xᵀ: cuBLAS sees w as a
// column-major [I, O] matrix used transposed (lda = I) and x as [I, R] (ldb = row stride).
// bf16 weights: cuBLAS has no fp32 × bf16 product, so x goes in as bf16 — rounded once, or (split)
// as hi = bf16(x) and lo = bf16(x − hi) stored as 2R stacked rows [hi; lo], so that ONE
// bf16 × bf16 product (fp32 accumulation, tensor cores) gives [x_hi · wᵀ; x_lo · wᵀ], whose
// halves are then summed into out. That keeps activations at ~2^-17 relative precision, so the only bf16 error left is the
// weights' own rounding, while the weights are read once (decode steps are weight-bandwidth
// bound); the price is twice the multiply work. fp32 weights run as a plain fp32 GEMM (no TF32).
// A few rows with bf16 weights (decode of a small batch, also per head as a batch of products)
// take gemv.cu instead: fp32 x as it is, bias in the same pass. swiglu_mlp() runs a whole SwiGLU
// MLP: the small-batch kernels for a few rows, otherwise cuBLAS products around a bf16
// intermediate (dispatch.h).
#include <cuda_bf16.h>

#include <cstdint>

#include "kernels/cuda_check.cuh"
#include "kernels/dependent_launch.cuh"
#include "kernels/dispatch.h"
#include "kernels/gemv.cuh"

namespace r1b::kernels {

namespace {

constexpr int kThreads = 256;

// Four elements per thread step (n a multiple of 4, x 16-byte and rounded 8-byte aligned).
__global__ void round_bf16_kernel(const float4* x, uint2* rounded, int64_t quads) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < quads; i += int64_t{gridDim.x} * blockDim.x) {
    const float4 v = x[i];
    const __nv_bfloat162 pairs[2] = {__floats2bfloat162_rn(v.x, v.y), __floats2bfloat162_rn(v.z, v.w)};
    rounded[i] = *reinterpret_cast<const uint2*>(pairs);
  }
}

__global__ void round_bf16_scalar_kernel(const float* x, __nv_bfloat16* rounded, int64_t n) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    rounded[i] = __float2bfloat16_rn(x[i]);
  }
}

__global__ void split_bf16_kernel(const float* x, __nv_bfloat16* hi, __nv_bfloat16* lo, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const __nv_bfloat16 high = __float2bfloat16_rn(x[i]);
    hi[i] = high;
    lo[i] = __float2bfloat16_rn(x[i] - __bfloat162float(high));
  }
}

// out[i] = halves[i] + halves[i + n] (the hi and lo products).
__global__ void sum_halves_kernel(const float* halves, float* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    out[i] = halves[i] + halves[i + n];
  }
}

__global__ void add_bias_kernel(float* out, const float* bias, int64_t rows, int64_t outs) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int64_t n = rows * outs;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    out[i] += bias[i % outs];
  }
}

// act[r, f] = bf16(silu(g) · u), g = gate_up[r, f] (+ bias[f]), u = gate_up[r, F + f] (+ bias[F + f]):
// eight columns per thread step (F a multiple of 8, rows 16-byte aligned).
__global__ void swiglu_bf16_kernel(const uint4* gate_up, const float* bias, uint4* act, int64_t rows, int64_t octets) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int64_t n = rows * octets;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / octets;
    const int64_t f = i % octets;
    const uint4 g_packed = gate_up[r * 2 * octets + f];
    const uint4 u_packed = gate_up[r * 2 * octets + octets + f];
    const auto* g = reinterpret_cast<const __nv_bfloat162*>(&g_packed);
    const auto* u = reinterpret_cast<const __nv_bfloat162*>(&u_packed);
    __nv_bfloat162 result[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      float2 gate = __bfloat1622float2(g[k]);
      float2 up = __bfloat1622float2(u[k]);
      if (bias != nullptr) {
        const int64_t column = 8 * f + 2 * k;
        gate.x += bias[column];
        gate.y += bias[column + 1];
        up.x += bias[8 * octets + column];
        up.y += bias[8 * octets + column + 1];
      }
      result[k] = __floats2bfloat162_rn(gate.x / (1.0f + expf(-gate.x)) * up.x, gate.y / (1.0f + expf(-gate.y)) * up.y);
    }
    act[i] = *reinterpret_cast<const uint4*>(result);
  }
}

// out (fp32, or bf16 where out_type says so) = x · wᵀ per shape.
void strided_gemm(cublasHandle_t handle, const void* w, cudaDataType w_type, const void* x, cudaDataType x_type,
                  const GemmShape& shape, void* out, cudaDataType out_type = CUDA_R_32F) {
  const float beta = 0.0f;
  const float alpha = 1.0f;
  R1B_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      handle, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(shape.outs), static_cast<int>(shape.rows),
      static_cast<int>(shape.in), &alpha, w, w_type, static_cast<int>(shape.in), shape.w_batch_stride, x, x_type,
      static_cast<int>(shape.x_row_stride), shape.x_batch_stride, &beta, out, out_type,
      static_cast<int>(shape.out_row_stride), shape.out_batch_stride, static_cast<int>(shape.batch),
      CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

bool aligned_16(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer) % 16 == 0; }

void add_bias(float* out, const float* bias, int64_t rows, int64_t outs, Stream stream) {
  if (bias == nullptr) return;
  launch_dependent(add_bias_kernel, grid_for(rows * outs, kThreads), kThreads, 0, as_cuda(stream), out, bias, rows, outs);
}

void gemm_without_bias(cublasHandle_t blas, const float* x, const void* w, ElementType w_type, bool split_x,
                       const GemmShape& shape, float* out, Scratch& scratch, Stream stream) {
  if (w_type == ElementType::kF32) {
    strided_gemm(blas, w, CUDA_R_32F, x, CUDA_R_32F, shape, out);
    return;
  }
  const int64_t count = shape.rows * shape.x_row_stride;
  if (!split_x) {
    auto* rounded = static_cast<__nv_bfloat16*>(reserve(scratch, count * static_cast<int64_t>(sizeof(__nv_bfloat16)), stream));
    round_to_bf16(x, rounded, count, stream);
    strided_gemm(blas, w, CUDA_R_16BF, rounded, CUDA_R_16BF, shape, out);
    return;
  }
  // Scratch: the stacked bf16 rows [hi; lo], then the stacked fp32 products.
  const int64_t out_count = shape.rows * shape.out_row_stride;
  const int64_t parts_bytes = (2 * count * static_cast<int64_t>(sizeof(__nv_bfloat16)) + 255) / 256 * 256;
  auto* base = static_cast<char*>(
      reserve(scratch, parts_bytes + 2 * out_count * static_cast<int64_t>(sizeof(float)), stream));
  auto* parts = reinterpret_cast<__nv_bfloat16*>(base);
  auto* halves = reinterpret_cast<float*>(base + parts_bytes);
  split_bf16_kernel<<<grid_for(count, kThreads), kThreads, 0, as_cuda(stream)>>>(x, parts, parts + count, count);
  R1B_CUDA_CHECK_LAUNCH();
  GemmShape stacked = shape;
  stacked.rows = 2 * shape.rows;
  stacked.x_batch_stride = shape.batch == 1 ? 2 * count : shape.x_batch_stride;
  stacked.out_batch_stride = shape.batch == 1 ? 2 * out_count : shape.out_batch_stride;
  strided_gemm(blas, w, CUDA_R_16BF, parts, CUDA_R_16BF, stacked, halves);
  sum_halves_kernel<<<grid_for(out_count, kThreads), kThreads, 0, as_cuda(stream)>>>(halves, out, out_count);
  R1B_CUDA_CHECK_LAUNCH();
}

}  // namespace

BlasHandle create_blas(Stream stream) {
  cublasHandle_t handle = nullptr;
  R1B_CUBLAS_CHECK(cublasCreate(&handle));
  R1B_CUBLAS_CHECK(cublasSetStream(handle, as_cuda(stream)));
  return handle;
}

void destroy_blas(BlasHandle handle) { R1B_CUBLAS_CHECK(cublasDestroy(static_cast<cublasHandle_t>(handle))); }

void round_to_bf16(const float* x, void* rounded, int64_t n, Stream stream) {
  if (n == 0) return;
  const bool vectors = n % 4 == 0 && aligned_16(x) && reinterpret_cast<uintptr_t>(rounded) % 8 == 0;
  if (vectors) {
    launch_dependent(round_bf16_kernel, grid_for(n / 4, kThreads), kThreads, 0, as_cuda(stream),
                     reinterpret_cast<const float4*>(x), static_cast<uint2*>(rounded), n / 4);
  } else {
    launch_dependent(round_bf16_scalar_kernel, grid_for(n, kThreads), kThreads, 0, as_cuda(stream), x,
                     static_cast<__nv_bfloat16*>(rounded), n);
  }
}

bool swiglu_mlp_fits(const MlpShape& shape, ElementType w_type, bool split_x) {
  return w_type == ElementType::kBF16 && shape.in % 8 == 0 && shape.ffn % 8 == 0 &&
         (shape.rows <= kGemvMaxRows || !split_x);
}

void swiglu_mlp(BlasHandle handle, const void* x, ElementType x_type, const void* gate_up, const float* gate_up_bias,
                const void* down, const float* down_bias, const MlpShape& shape, float* out, Scratch& scratch,
                Stream stream) {
  if (shape.rows == 0) return;
  GemmShape first;
  first.rows = shape.rows;
  first.in = shape.in;
  first.outs = 2 * shape.ffn;
  first.x_row_stride = shape.in;
  first.out_row_stride = 2 * shape.ffn;
  GemmShape second;
  second.rows = shape.rows;
  second.in = shape.ffn;
  second.outs = shape.outs;
  second.x_row_stride = shape.ffn;
  second.out_row_stride = shape.outs;
  if (shape.rows <= kGemvMaxRows && x_type == ElementType::kF32) {
    auto* act = static_cast<float*>(reserve(scratch, shape.rows * shape.ffn * static_cast<int64_t>(sizeof(float)), stream));
    launch_gemv_swiglu(static_cast<const float*>(x), gate_up, gate_up_bias, first, act, as_cuda(stream));
    launch_gemv(act, down, down_bias, second, out, as_cuda(stream));
    return;
  }
  // Scratch: x (unless it came as bf16), [g | u] and act as bf16, each part 256-byte aligned.
  const auto part = [](int64_t count) { return (count * static_cast<int64_t>(sizeof(__nv_bfloat16)) + 255) / 256 * 256; };
  const int64_t x_bytes = x_type == ElementType::kBF16 ? 0 : part(shape.rows * shape.in);
  const int64_t product_bytes = part(shape.rows * 2 * shape.ffn);
  auto* base = static_cast<char*>(reserve(scratch, x_bytes + product_bytes + part(shape.rows * shape.ffn), stream));
  const void* x_bf16 = x;
  if (x_type == ElementType::kF32) {
    round_to_bf16(static_cast<const float*>(x), base, shape.rows * shape.in, stream);
    x_bf16 = base;
  }
  auto* product = base + x_bytes;
  auto* act = base + x_bytes + product_bytes;
  auto* blas = static_cast<cublasHandle_t>(handle);
  strided_gemm(blas, gate_up, CUDA_R_16BF, x_bf16, CUDA_R_16BF, first, product, CUDA_R_16BF);
  const int64_t octets = shape.ffn / 8;
  launch_dependent(swiglu_bf16_kernel, grid_for(shape.rows * octets, kThreads), kThreads, 0, as_cuda(stream),
                   reinterpret_cast<const uint4*>(product), gate_up_bias, reinterpret_cast<uint4*>(act), shape.rows,
                   octets);
  strided_gemm(blas, down, CUDA_R_16BF, act, CUDA_R_16BF, second, out);
  add_bias(out, down_bias, shape.rows, shape.outs, stream);
}

void gemm_xwt(BlasHandle handle, const void* x, ElementType x_type, const void* w, ElementType w_type, bool split_x,
              const GemmShape& shape, const float* bias, float* out, Scratch& scratch, Stream stream) {
  if (shape.rows == 0 || shape.outs == 0 || shape.batch == 0) return;
  auto* blas = static_cast<cublasHandle_t>(handle);
  if (x_type == ElementType::kBF16) {
    strided_gemm(blas, w, CUDA_R_16BF, x, CUDA_R_16BF, shape, out);
  } else if (gemv_fits(shape, w_type) && aligned_16(x) && aligned_16(w)) {
    launch_gemv(static_cast<const float*>(x), w, bias, shape, out, as_cuda(stream));
    return;
  } else {
    gemm_without_bias(blas, static_cast<const float*>(x), w, w_type, split_x, shape, out, scratch, stream);
  }
  add_bias(out, bias, shape.rows, shape.outs, stream);
}

}  // namespace r1b::kernels
