// Elementwise ops and row movement for dispatch.h: grid-stride loops, one thread per element.
#include <cuda_bf16.h>

#include "kernels/cuda_check.cuh"
#include "kernels/dispatch.h"

namespace r1b::kernels {

namespace {

constexpr int kThreads = 256;


template <typename T>
__global__ void gather_rows_kernel(const T* table, int64_t width, const int32_t* ids, int64_t count, float* out) {
  const int64_t n = count * width;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t t = i / width;
    out[i] = load_f32(table, ids[t] * width + i % width);
  }
}

__device__ inline void store(float* p, int64_t i, float value) { p[i] = value; }
__device__ inline void store(__nv_bfloat16* p, int64_t i, float value) { p[i] = __float2bfloat16_rn(value); }

template <typename T>
__global__ void scatter_rows_kernel(const float* rows, int64_t width, const int32_t* slots, int64_t count, T* cache) {
  const int64_t n = count * width;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t t = i / width;
    store(cache, slots[t] * width + i % width, rows[i]);
  }
}

__global__ void copy_columns_kernel(const float* src, int64_t src_stride, float* dst, int64_t dst_stride,
                                    int64_t rows, int64_t width) {
  const int64_t n = rows * width;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / width;
    const int64_t j = i % width;
    dst[r * dst_stride + j] = src[r * src_stride + j];
  }
}

__global__ void add_kernel(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    out[i] = a[i] + b[i];
  }
}

__global__ void swiglu_kernel(const float* gate_up, float* out, int64_t rows, int64_t ffn) {
  const int64_t n = rows * ffn;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / ffn;
    const int64_t f = i % ffn;
    const float g = gate_up[r * 2 * ffn + f];
    out[i] = g / (1.0f + expf(-g)) * gate_up[r * 2 * ffn + ffn + f];
  }
}

}  // namespace

void gather_rows(const void* table, ElementType table_type, int64_t width, const int32_t* ids, int64_t count,
                 float* out, Stream stream) {
  if (count * width == 0) return;
  const unsigned blocks = grid_for(count * width, kThreads);
  if (table_type == ElementType::kBF16) {
    gather_rows_kernel<<<blocks, kThreads, 0, as_cuda(stream)>>>(static_cast<const __nv_bfloat16*>(table), width, ids,
                                                                 count, out);
  } else {
    gather_rows_kernel<<<blocks, kThreads, 0, as_cuda(stream)>>>(static_cast<const float*>(table), width, ids, count,
                                                                 out);
  }
  R1B_CUDA_CHECK_LAUNCH();
}

void scatter_rows(const float* rows, int64_t width, const int32_t* slots, int64_t count, void* cache,
                  ElementType cache_type, Stream stream) {
  if (count * width == 0) return;
  const unsigned blocks = grid_for(count * width, kThreads);
  if (cache_type == ElementType::kBF16) {
    scatter_rows_kernel<<<blocks, kThreads, 0, as_cuda(stream)>>>(rows, width, slots, count,
                                                                  static_cast<__nv_bfloat16*>(cache));
  } else {
    scatter_rows_kernel<<<blocks, kThreads, 0, as_cuda(stream)>>>(rows, width, slots, count, static_cast<float*>(cache));
  }
  R1B_CUDA_CHECK_LAUNCH();
}

void copy_columns(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows, int64_t width,
                  Stream stream) {
  if (rows * width == 0) return;
  copy_columns_kernel<<<grid_for(rows * width, kThreads), kThreads, 0, as_cuda(stream)>>>(src, src_stride, dst,
                                                                                        dst_stride, rows, width);
  R1B_CUDA_CHECK_LAUNCH();
}

void add(const float* a, const float* b, float* out, int64_t n, Stream stream) {
  if (n == 0) return;
  add_kernel<<<grid_for(n, kThreads), kThreads, 0, as_cuda(stream)>>>(a, b, out, n);
  R1B_CUDA_CHECK_LAUNCH();
}

void swiglu(const float* gate_up, float* out, int64_t rows, int64_t ffn, Stream stream) {
  if (rows * ffn == 0) return;
  swiglu_kernel<<<grid_for(rows * ffn, kThreads), kThreads, 0, as_cuda(stream)>>>(gate_up, out, rows, ffn);
  R1B_CUDA_CHECK_LAUNCH();
}

}  // namespace r1b::kernels
