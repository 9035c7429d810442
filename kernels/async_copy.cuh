// Private to kernels/: Ampere+ asynchronous global → shared copies (cp.async), used by the
// pipelined tile loaders of the grouped expert GEMM (moe.cu) and the MLA attention
// (attention_mla.cu).
#pragma once

#include <cuda_runtime.h>

namespace r1b::kernels {

// 16 bytes global → shared without staging in registers; zero-filled when !valid (`global` is
// then not read but must still be a mapped address).
__device__ inline void copy_16_async(void* shared, const void* global, bool valid) {
  const auto address = static_cast<unsigned>(__cvta_generic_to_shared(shared));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(address), "l"(global), "r"(valid ? 16 : 0));
}
// Closes the group of copies issued since the last commit.
__device__ inline void commit_async() { asm volatile("cp.async.commit_group;\n" ::); }
// Waits until at most kPending committed groups are still in flight.
template <int kPending>
__device__ inline void wait_async() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
}

}  // namespace r1b::kernels
