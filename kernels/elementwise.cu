// Elementwise ops and row movement for dispatch.h: grid-stride loops, one thread per element (per
// four for swiglu over aligned rows), launched as dependent kernels (dependent_launch.cuh).
#include <cuda_bf16.h>

#include "kernels/cuda_check.cuh"
#include "kernels/dependent_launch.cuh"
#include "kernels/dispatch.h"

namespace r1b::kernels {

namespace {

constexpr int kThreads = 256;


template <typename T>
__global__ void gather_rows_kernel(const T* table, int64_t width, const int32_t* ids, int64_t count, float* out) {
  let_next_kernel_start();
  wait_for_previous_kernel();
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
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int64_t n = count * width;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t t = i / width;
    store(cache, slots[t] * width + i % width, rows[i]);
  }
}

__global__ void copy_columns_kernel(const float* src, int64_t src_stride, float* dst, int64_t dst_stride,
                                    int64_t rows, int64_t width) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int64_t n = rows * width;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / width;
    const int64_t j = i % width;
    dst[r * dst_stride + j] = src[r * src_stride + j];
  }
}

__global__ void add_kernel(const float* a, const float* b, float* out, int64_t n) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    out[i] = a[i] + b[i];
  }
}

__device__ inline float silu_times(float gate, float up) { return gate / (1.0f + expf(-gate)) * up; }

// Four columns per thread step (ffn a multiple of 4, 16-byte aligned rows).
__global__ void swiglu_vector_kernel(const float4* gate_up, float4* out, int64_t rows, int64_t quads) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int64_t n = rows * quads;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / quads;
    const int64_t f = i % quads;
    const float4 g = gate_up[r * 2 * quads + f];
    const float4 u = gate_up[r * 2 * quads + quads + f];
    out[i] = make_float4(silu_times(g.x, u.x), silu_times(g.y, u.y), silu_times(g.z, u.z), silu_times(g.w, u.w));
  }
}

__global__ void swiglu_kernel(const float* gate_up, float* out, int64_t rows, int64_t ffn) {
  let_next_kernel_start();
  wait_for_previous_kernel();
  const int64_t n = rows * ffn;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / ffn;
    const int64_t f = i % ffn;
    out[i] = silu_times(gate_up[r * 2 * ffn + f], gate_up[r * 2 * ffn + ffn + f]);
  }
}

}  // namespace

void gather_rows(const void* table, ElementType table_type, int64_t width, const int32_t* ids, int64_t count,
                 float* out, Stream stream) {
  if (count * width == 0) return;
  const unsigned blocks = grid_for(count * width, kThreads);
  if (table_type == ElementType::kBF16) {
    launch_dependent(gather_rows_kernel<__nv_bfloat16>, blocks, kThreads, 0, as_cuda(stream),
                     static_cast<const __nv_bfloat16*>(table), width, ids, count, out);
  } else {
    launch_dependent(gather_rows_kernel<float>, blocks, kThreads, 0, as_cuda(stream), static_cast<const float*>(table),
                     width, ids, count, out);
  }
}

void scatter_rows(const float* rows, int64_t width, const int32_t* slots, int64_t count, void* cache,
                  ElementType cache_type, Stream stream) {
  if (count * width == 0) return;
  const unsigned blocks = grid_for(count * width, kThreads);
  if (cache_type == ElementType::kBF16) {
    launch_dependent(scatter_rows_kernel<__nv_bfloat16>, blocks, kThreads, 0, as_cuda(stream), rows, width, slots,
                     count, static_cast<__nv_bfloat16*>(cache));
  } else {
    launch_dependent(scatter_rows_kernel<float>, blocks, kThreads, 0, as_cuda(stream), rows, width, slots, count,
                     static_cast<float*>(cache));
  }
}

void copy_columns(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows, int64_t width,
                  Stream stream) {
  if (rows * width == 0) return;
  launch_dependent(copy_columns_kernel, grid_for(rows * width, kThreads), kThreads, 0, as_cuda(stream), src, src_stride,
                   dst, dst_stride, rows, width);
}

void add(const float* a, const float* b, float* out, int64_t n, Stream stream) {
  if (n == 0) return;
  launch_dependent(add_kernel, grid_for(n, kThreads), kThreads, 0, as_cuda(stream), a, b, out, n);
}

void swiglu(const float* gate_up, float* out, int64_t rows, int64_t ffn, Stream stream) {
  if (rows * ffn == 0) return;
  if (ffn % 4 == 0 && (reinterpret_cast<uintptr_t>(gate_up) | reinterpret_cast<uintptr_t>(out)) % 16 == 0) {
    launch_dependent(swiglu_vector_kernel, grid_for(rows * ffn / 4, kThreads), kThreads, 0, as_cuda(stream),
                     reinterpret_cast<const float4*>(gate_up), reinterpret_cast<float4*>(out), rows, ffn / 4);
  } else {
    launch_dependent(swiglu_kernel, grid_for(rows * ffn, kThreads), kThreads, 0, as_cuda(stream), gate_up, out, rows,
                     ffn);
  }
}

}  // namespace r1b::kernels
