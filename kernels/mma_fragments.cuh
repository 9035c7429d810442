// Private to kernels/: the warp-level tensor-core pieces the attention kernels share (attention_tc.cu,
// attention_decode.cu, attention_mla.cu; attention_wgmma.cu packs with it): ldmatrix loads of bf16
// fragments from shared memory, the m16n8k16 bf16 mma with fp32 accumulation, and packing two
// floats into a bf16 pair.
#pragma once

#include <cuda_bf16.h>

#include <cstdint>
#include <cstring>

namespace r1b::kernels {

// Four 8×8 bf16 matrices from shared memory; lane l gives the row address of matrix l / 8.
__device__ inline void load_matrices(uint32_t (&r)[4], const __nv_bfloat16* row) {
  const auto address = static_cast<unsigned>(__cvta_generic_to_shared(row));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address));
}

// The same, each matrix transposed.
__device__ inline void load_matrices_transposed(uint32_t (&r)[4], const __nv_bfloat16* row) {
  const auto address = static_cast<unsigned>(__cvta_generic_to_shared(row));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address));
}

// d (16×8 fp32) += a (16×16 bf16, row-major fragment) · b (16×8 bf16, column-major fragment).
__device__ inline void mma(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Two floats as packed bf16, `low` in the low half (the lower column of a fragment pair).
__device__ inline uint32_t pack_bf16(float low, float high) {
  const __nv_bfloat162 pair = __floats2bfloat162_rn(low, high);
  uint32_t bits;
  memcpy(&bits, &pair, sizeof(bits));
  return bits;
}

}  // namespace r1b::kernels
