// Tensor maps for tma.cuh: cuTensorMapEncodeTiled of the driver, reached through the runtime.
#include "kernels/tma.cuh"

#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>

#include "kernels/cuda_check.cuh"

namespace r1b::kernels {

namespace {

// cuTensorMapEncodeTiled of the driver, looked up once through the runtime.
PFN_cuTensorMapEncodeTiled_v12000 encode_tiled() {
  static const PFN_cuTensorMapEncodeTiled_v12000 function = [] {
    void* found = nullptr;
    cudaDriverEntryPointQueryResult result{};
    R1B_CUDA_CHECK(cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &found, 12000, cudaEnableDefault,
                                                    &result));
    if (result != cudaDriverEntryPointSuccess || found == nullptr) {
      std::fprintf(stderr, "r1bench: the CUDA driver has no cuTensorMapEncodeTiled (%d) at %s:%d\n",
                   static_cast<int>(result), __FILE__, __LINE__);
      std::abort();
    }
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(found);
  }();
  return function;
}

}  // namespace

CUtensorMap cache_map(const __nv_bfloat16* cache, int64_t row_width, int box_rows) {
  CUtensorMap map;
  const cuuint64_t dims[2] = {static_cast<cuuint64_t>(row_width), cuuint64_t{0x7FFFFFFF}};
  const cuuint64_t strides[1] = {static_cast<cuuint64_t>(row_width) * sizeof(__nv_bfloat16)};
  const cuuint32_t box[2] = {64, static_cast<cuuint32_t>(box_rows)};
  const cuuint32_t element_strides[2] = {1, 1};
  const CUresult result =
      encode_tiled()(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 2, const_cast<__nv_bfloat16*>(cache), dims, strides, box,
                     element_strides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                     CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (result != CUDA_SUCCESS) {
    std::fprintf(stderr, "r1bench: cuTensorMapEncodeTiled failed (%d) for a cache at %p, rows of %lld at %s:%d\n",
                 static_cast<int>(result), static_cast<const void*>(cache), static_cast<long long>(row_width),
                 __FILE__, __LINE__);
    std::abort();
  }
  return map;
}

CUtensorMap panel_map(const __nv_bfloat16* cache, int64_t row_width, int box_rows) {
  CUtensorMap map;
  // Dimensions, innermost first: 64 columns of a panel, rows, panels of a row.
  const cuuint64_t dims[3] = {64, cuuint64_t{0x7FFFFFFF}, static_cast<cuuint64_t>(row_width / 64)};
  const cuuint64_t strides[2] = {static_cast<cuuint64_t>(row_width) * sizeof(__nv_bfloat16), 64 * sizeof(__nv_bfloat16)};
  const cuuint32_t box[3] = {64, static_cast<cuuint32_t>(box_rows), 2};
  const cuuint32_t element_strides[3] = {1, 1, 1};
  const CUresult result =
      encode_tiled()(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 3, const_cast<__nv_bfloat16*>(cache), dims, strides, box,
                     element_strides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                     CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (result != CUDA_SUCCESS) {
    std::fprintf(stderr, "r1bench: cuTensorMapEncodeTiled failed (%d) for a panel map at %p, rows of %lld at %s:%d\n",
                 static_cast<int>(result), static_cast<const void*>(cache), static_cast<long long>(row_width),
                 __FILE__, __LINE__);
    std::abort();
  }
  return map;
}

}  // namespace r1b::kernels
