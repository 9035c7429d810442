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
// A few rows with bf16 weights (decode of a small batch) take gemv.cu instead: fp32 x as it is,
// bias in the same pass.
#include <cuda_bf16.h>

#include "kernels/cuda_check.cuh"
#include "kernels/dispatch.h"
#include "kernels/gemv.cuh"

namespace r1b::kernels {

namespace {

constexpr int kThreads = 256;

__global__ void round_bf16_kernel(const float* x, __nv_bfloat16* rounded, int64_t n) {
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
  const int64_t n = rows * outs;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    out[i] += bias[i % outs];
  }
}

void strided_gemm(cublasHandle_t handle, const void* w, cudaDataType w_type, const void* x, cudaDataType x_type,
                  const GemmShape& shape, float beta, float* out) {
  const float alpha = 1.0f;
  R1B_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      handle, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(shape.outs), static_cast<int>(shape.rows),
      static_cast<int>(shape.in), &alpha, w, w_type, static_cast<int>(shape.in), shape.w_batch_stride, x, x_type,
      static_cast<int>(shape.x_row_stride), shape.x_batch_stride, &beta, out, CUDA_R_32F,
      static_cast<int>(shape.out_row_stride), shape.out_batch_stride, static_cast<int>(shape.batch),
      CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

void add_bias(float* out, const float* bias, int64_t rows, int64_t outs, Stream stream) {
  if (bias == nullptr) return;
  add_bias_kernel<<<grid_for(rows * outs, kThreads), kThreads, 0, as_cuda(stream)>>>(out, bias, rows, outs);
  R1B_CUDA_CHECK_LAUNCH();
}

void gemm_without_bias(cublasHandle_t blas, const float* x, const void* w, ElementType w_type, bool split_x,
                       const GemmShape& shape, float* out, Scratch& scratch, Stream stream) {
  if (w_type == ElementType::kF32) {
    strided_gemm(blas, w, CUDA_R_32F, x, CUDA_R_32F, shape, 0.0f, out);
    return;
  }
  const int64_t count = shape.rows * shape.x_row_stride;
  if (!split_x) {
    auto* rounded = static_cast<__nv_bfloat16*>(reserve(scratch, count * static_cast<int64_t>(sizeof(__nv_bfloat16)), stream));
    round_to_bf16(x, rounded, count, stream);
    strided_gemm(blas, w, CUDA_R_16BF, rounded, CUDA_R_16BF, shape, 0.0f, out);
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
  strided_gemm(blas, w, CUDA_R_16BF, parts, CUDA_R_16BF, stacked, 0.0f, halves);
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
  round_bf16_kernel<<<grid_for(n, kThreads), kThreads, 0, as_cuda(stream)>>>(x, static_cast<__nv_bfloat16*>(rounded), n);
  R1B_CUDA_CHECK_LAUNCH();
}

void gemm_xwt(BlasHandle handle, const float* x, const void* w, ElementType w_type, bool split_x, const GemmShape& shape,
              const float* bias, float* out, Scratch& scratch, Stream stream) {
  if (shape.rows == 0 || shape.outs == 0 || shape.batch == 0) return;
  if (gemv_fits(shape, w_type)) {
    launch_gemv(x, w, bias, shape, out, as_cuda(stream));
    return;
  }
  gemm_without_bias(static_cast<cublasHandle_t>(handle), x, w, w_type, split_x, shape, out, scratch, stream);
  add_bias(out, bias, shape.rows, shape.outs, stream);
}

}  // namespace r1b::kernels
