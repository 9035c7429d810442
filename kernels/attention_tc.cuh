// Private to kernels/: the tensor-core prefill attention (attention_tc.cu: an fp32 cache on mma.sync;
// attention_wgmma.cu: a bf16 cache on Hopper's wgmma), which attention.cu's dispatcher uses when
// AttentionShape::tensor_cores allows it and the shape fits, and the SM count the attention kernels
// size their split-K grids by (attention.cu, attention_decode.cu).
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/dispatch.h"

namespace r1b::kernels {

// Query rows per tile of the tensor-core kernels (mma.sync: 8 warps of 16 rows; wgmma: 2 warpgroups
// of 64 rows).
inline constexpr int64_t kTensorCoreTileRows = 128;

// Whether the tensor-core kernels take this shape and cache: dense heads of width 128 with separate
// values; over a bf16 cache (attention_wgmma.cu's page-sized TMA boxes cover whole 8-row swizzle
// groups) blocks of a multiple of 8 positions.
bool tensor_core_attention_fits(const AttentionShape& shape, ElementType cache_type);

// Streaming multiprocessors of the current device (looked up once per process).
int num_sms();

// Queues the kernel: one block per (query tile of ≤ kTensorCoreTileRows rows, query head), tiles as
// in attention(); the tiles of a sequence should come in row order (the last ones start first).
void launch_tensor_core_attention(const float* q, const void* keys, const void* values, ElementType cache_type,
                                  const int32_t* tiles, int64_t num_tiles, const int32_t* block_tables,
                                  const AttentionShape& shape, float* out, cudaStream_t stream);

// The bf16-cache case of launch_tensor_core_attention (attention_wgmma.cu); sm_90 only.
void launch_wgmma_attention(const float* q, const __nv_bfloat16* keys, const __nv_bfloat16* values,
                            const int32_t* tiles, int64_t num_tiles, const int32_t* block_tables,
                            const AttentionShape& shape, float* out, cudaStream_t stream);

}  // namespace r1b::kernels
