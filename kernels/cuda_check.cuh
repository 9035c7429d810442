// Private to kernels/: the abort-on-failure check for CUDA and cuBLAS calls (see dispatch.h,
// "Errors"), launch geometry helpers, element loads and block reductions shared by the kernels.
#pragma once

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace r1b::kernels {

inline void cuda_check(cudaError_t error, const char* call, const char* file, int line) {
  if (error == cudaSuccess) return;
  std::fprintf(stderr, "r1bench: CUDA call failed: %s: %s at %s:%d\n", call, cudaGetErrorString(error), file, line);
  std::abort();
}

inline void cublas_check(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  std::fprintf(stderr, "r1bench: cuBLAS call failed: %s: %s at %s:%d\n", call, cublasGetStatusString(status), file,
               line);
  std::abort();
}

#define R1B_CUDA_CHECK(call) ::r1b::kernels::cuda_check((call), #call, __FILE__, __LINE__)
#define R1B_CUBLAS_CHECK(call) ::r1b::kernels::cublas_check((call), #call, __FILE__, __LINE__)
// After a kernel launch: reports bad launch configurations at the call site.
#define R1B_CUDA_CHECK_LAUNCH() R1B_CUDA_CHECK(cudaGetLastError())

inline cudaStream_t as_cuda(void* stream) { return static_cast<cudaStream_t>(stream); }

// Blocks for a grid-stride loop over n elements (capped: the loop covers the rest).
inline unsigned grid_for(int64_t n, int threads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > 65535 ? 65535 : blocks));
}

// Element i of a weight or cache array as fp32.
__device__ inline float load_f32(const float* p, int64_t i) { return p[i]; }
__device__ inline float load_f32(const __nv_bfloat16* p, int64_t i) { return __bfloat162float(p[i]); }

// Block-wide sum / max of one value per thread; every thread gets the result. `scratch` holds
// 32 floats in shared memory; blockDim.x is a multiple of 32. Ends with a barrier-safe read.
__device__ inline float block_reduce(float value, float* scratch, bool is_max) {
  for (int offset = 16; offset > 0; offset /= 2) {
    const float other = __shfl_xor_sync(0xffffffffu, value, offset);
    value = is_max ? fmaxf(value, other) : value + other;
  }
  const int lane = threadIdx.x % 32;
  const int warp = threadIdx.x / 32;
  const int num_warps = blockDim.x / 32;
  __syncthreads();  // scratch may still be read by a previous reduction
  if (lane == 0) scratch[warp] = value;
  __syncthreads();
  float total = scratch[0];
  for (int w = 1; w < num_warps; ++w) total = is_max ? fmaxf(total, scratch[w]) : total + scratch[w];
  return total;
}

}  // namespace r1b::kernels
