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

// A bf16, 128-byte-swizzled map of `rank` dimensions over `cache` (rows of `row_width`); aborts
// with a message naming the map when the driver refuses it.
CUtensorMap encode(const char* kind, const __nv_bfloat16* cache, int64_t row_width, cuuint32_t rank,
                   const cuuint64_t* dims, const cuuint64_t* strides, const cuuint32_t* box) {
  CUtensorMap map;
  const cuuint32_t element_strides[3] = {1, 1, 1};
  const CUresult result =
      encode_tiled()(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, rank, const_cast<__nv_bfloat16*>(cache), dims, strides,
                     box, element_strides, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                     CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (result != CUDA_SUCCESS) {
    std::fprintf(stderr, "r1bench: cuTensorMapEncodeTiled failed (%d) for a %s at %p, rows of %lld at %s:%d\n",
                 static_cast<int>(result), kind, static_cast<const void*>(cache), static_cast<long long>(row_width),
                 __FILE__, __LINE__);
    std::abort();
  }
  return map;
}

// The cache's row count is not known here: the largest a 32-bit TMA coordinate reaches (only rows
// the block tables name are read).
constexpr cuuint64_t kAnyRows = 0x7FFFFFFF;

}  // namespace

CUtensorMap cache_map(const __nv_bfloat16* cache, int64_t row_width, int box_rows) {
  const cuuint64_t dims[2] = {static_cast<cuuint64_t>(row_width), kAnyRows};
  const cuuint64_t strides[1] = {static_cast<cuuint64_t>(row_width) * sizeof(__nv_bfloat16)};
  const cuuint32_t box[2] = {64, static_cast<cuuint32_t>(box_rows)};
  return encode("cache map", cache, row_width, 2, dims, strides, box);
}

CUtensorMap panel_map(const __nv_bfloat16* cache, int64_t row_width, int box_rows) {
  // Dimensions, innermost first: 64 columns of a panel, rows, panels of a row.
  const cuuint64_t dims[3] = {64, kAnyRows, static_cast<cuuint64_t>(row_width / 64)};
  const cuuint64_t strides[2] = {static_cast<cuuint64_t>(row_width) * sizeof(__nv_bfloat16), 64 * sizeof(__nv_bfloat16)};
  const cuuint32_t box[3] = {64, static_cast<cuuint32_t>(box_rows), 2};
  return encode("panel map", cache, row_width, 3, dims, strides, box);
}

}  // namespace r1b::kernels
