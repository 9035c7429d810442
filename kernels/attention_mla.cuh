// Private to kernels/: MLA attention on the tensor cores (attention_mla.cu), which attention.cu's
// dispatcher uses for DeepSeek's absorbed latent shape (one 576-wide latent KV head whose first
// 512 columns are the values) over a bf16 cache.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/dispatch.h"

namespace r1b::kernels {

// Whether attention() takes the MLA kernel: the latent form (tensor cores allowed, one KV head,
// k_dim 576 with the values in its first 512 columns, v_in_k) over a bf16 cache.
bool mla_attention_fits(const AttentionShape& shape, ElementType cache_type);

// Query tokens per tile for an mla_attention_fits() shape: a block holds ≤ 64 (token, head) rows,
// so 64 / min(heads, 64) tokens, at least 1 and at most 16.
int64_t mla_rows_per_tile(const AttentionShape& shape);

// attention() for mla_attention_fits() shapes (same arguments and contract): queues the kernel
// and, when it splits the context over the GPU or `projection` is given, the merge of the splits
// (applying the projection), whose partial results use `scratch`. The launch shape depends only on
// (num_tiles, rows_per_tile, max_visible, shape, projection.outs).
void launch_mla_attention(const float* q, int64_t q_rows, const void* keys, const int32_t* tiles, int64_t num_tiles,
                          int64_t rows_per_tile, int64_t max_visible, const int32_t* block_tables,
                          const AttentionShape& shape, float* out, Scratch& scratch, cudaStream_t stream,
                          const HeadProjection& projection);

}  // namespace r1b::kernels
