// Private to kernels/: programmatic dependent launch (Hopper), for the chains of short kernels of a
// decode step. A kernel queued with launch_dependent() may start while the kernel before it on the
// stream still runs, as soon as every block of that kernel has called let_next_kernel_start(). It
// then runs its prologue — reading data nothing in the step writes, e.g. prefetching its weights
// into L2 — and blocks in wait_for_previous_kernel() until the kernel before it has finished and its
// writes are visible. Since that kernel itself returned from its own wait first, everything queued
// earlier on the stream has finished too.
//
// Contract for a kernel launched with launch_dependent(): before wait_for_previous_kernel() it reads
// only data that no kernel of the step writes — weights, biases, norm vectors, index data uploaded
// for the step (every upload is a copy that the kernels queued after it wait for), KV cache rows
// of earlier steps — and writes nothing but its own shared memory. Every block calls
// wait_for_previous_kernel() before it exits, even one with no work: a kernel whose blocks all
// left without waiting could end before the kernel it follows, and the next kernel's wait would
// then no longer cover that one. Both device calls are no-ops in a kernel launched the ordinary
// way, so kernels call them unconditionally.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda_check.cuh"

namespace r1b::kernels {

// Lets the next kernel on the stream be scheduled once every block of this one has called it.
__device__ inline void let_next_kernel_start() { asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory"); }

// Waits until the kernel before this one has finished and its memory is visible.
__device__ inline void wait_for_previous_kernel() { asm volatile("griddepcontrol.wait;\n" ::: "memory"); }

// Starts loading `bytes` (a multiple of 16) from the 16-byte aligned `global` into L2, without
// waiting for it (one instruction, issued by one thread).
__device__ inline void prefetch_to_l2(const void* global, uint32_t bytes) {
  asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;\n" ::"l"(global), "r"(bytes) : "memory");
}

// Queues kernel<<<grid, block, shared_bytes, stream>>>(args...) allowed to overlap the previous
// kernel as described above; checks the launch.
template <typename... Params, typename... Args>
void launch_dependent(void (*kernel)(Params...), dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream,
                      Args... args) {
  cudaLaunchAttribute attribute{};
  attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attribute.val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = shared_bytes;
  config.stream = stream;
  config.attrs = &attribute;
  config.numAttrs = 1;
  R1B_CUDA_CHECK(cudaLaunchKernelEx(&config, kernel, static_cast<Params>(args)...));
}

}  // namespace r1b::kernels
