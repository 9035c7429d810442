// Devices, streams and device memory for dispatch.h. Allocation is stream-ordered
// (cudaMallocAsync) so per-op scratch and short-lived activations cost no device-wide sync.
#include "kernels/cuda_check.cuh"
#include "kernels/dispatch.h"

namespace r1b::kernels {

int device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return count;
}

Stream create_stream() {
  cudaStream_t stream = nullptr;
  R1B_CUDA_CHECK(cudaStreamCreate(&stream));
  return stream;
}

void destroy_stream(Stream stream) { R1B_CUDA_CHECK(cudaStreamDestroy(as_cuda(stream))); }

void synchronize(Stream stream) { R1B_CUDA_CHECK(cudaStreamSynchronize(as_cuda(stream))); }

void* device_alloc(int64_t bytes, Stream stream) {
  const size_t size = bytes < 1 ? 1 : static_cast<size_t>(bytes);
  void* ptr = nullptr;
  R1B_CUDA_CHECK(cudaMallocAsync(&ptr, size, as_cuda(stream)));
  R1B_CUDA_CHECK(cudaMemsetAsync(ptr, 0, size, as_cuda(stream)));
  return ptr;
}

void device_free(void* ptr) {
  // The legacy default stream waits for all earlier work of blocking streams, so the memory is
  // released only after every op that could still read it.
  R1B_CUDA_CHECK(cudaFreeAsync(ptr, cudaStreamLegacy));
}

void copy_to_device(void* dst, const void* src_host, int64_t bytes, Stream stream) {
  if (bytes == 0) return;
  R1B_CUDA_CHECK(cudaMemcpyAsync(dst, src_host, static_cast<size_t>(bytes), cudaMemcpyHostToDevice, as_cuda(stream)));
  // Pageable sources are staged before cudaMemcpyAsync returns, but a pinned one would not be:
  // synchronizing keeps "reusable on return" true whatever the caller passes.
  R1B_CUDA_CHECK(cudaStreamSynchronize(as_cuda(stream)));
}

void copy_to_host(void* dst_host, const void* src, int64_t bytes, Stream stream) {
  if (bytes == 0) return;
  R1B_CUDA_CHECK(cudaMemcpyAsync(dst_host, src, static_cast<size_t>(bytes), cudaMemcpyDeviceToHost, as_cuda(stream)));
  R1B_CUDA_CHECK(cudaStreamSynchronize(as_cuda(stream)));
}

void copy_on_device(void* dst, const void* src, int64_t bytes, Stream stream) {
  if (bytes == 0) return;
  R1B_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), cudaMemcpyDeviceToDevice, as_cuda(stream)));
}

}  // namespace r1b::kernels
