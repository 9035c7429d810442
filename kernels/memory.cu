// Devices, streams, events, graphs, device / pinned host memory and grow-only scratch for dispatch.h.
// Device allocation is stream-ordered (cudaMallocAsync) so short-lived activations and scratch
// growth cost no device-wide sync.
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
  // The device's default memory pool serves every device_alloc(). By default it hands unused memory
  // back to the driver at each synchronize, and the next step's allocations then map it again
  // (milliseconds per step); keeping it makes a steady-state allocation a pointer bump.
  int device = 0;
  R1B_CUDA_CHECK(cudaGetDevice(&device));
  cudaMemPool_t pool = nullptr;
  R1B_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
  uint64_t keep_all = UINT64_MAX;
  R1B_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep_all));
  cudaStream_t stream = nullptr;
  R1B_CUDA_CHECK(cudaStreamCreate(&stream));
  return stream;
}

void destroy_stream(Stream stream) { R1B_CUDA_CHECK(cudaStreamDestroy(as_cuda(stream))); }

MemoryInfo memory_info() {
  size_t free_bytes = 0, total_bytes = 0;
  R1B_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  return {static_cast<int64_t>(free_bytes), static_cast<int64_t>(total_bytes)};
}

std::string device_name() {
  int device = 0;
  R1B_CUDA_CHECK(cudaGetDevice(&device));
  cudaDeviceProp prop{};
  R1B_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  return prop.name;
}

void synchronize(Stream stream) { R1B_CUDA_CHECK(cudaStreamSynchronize(as_cuda(stream))); }

void* device_alloc(int64_t bytes, Stream stream) {
  const size_t size = bytes < 1 ? 1 : static_cast<size_t>(bytes);
  void* ptr = nullptr;
  R1B_CUDA_CHECK(cudaMallocAsync(&ptr, size, as_cuda(stream)));
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

void copy_to_device_async(void* dst, const void* src_host, int64_t bytes, Stream stream) {
  if (bytes == 0) return;
  R1B_CUDA_CHECK(cudaMemcpyAsync(dst, src_host, static_cast<size_t>(bytes), cudaMemcpyHostToDevice, as_cuda(stream)));
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

void* host_alloc_pinned(int64_t bytes) {
  void* ptr = nullptr;
  R1B_CUDA_CHECK(cudaMallocHost(&ptr, bytes < 1 ? 1 : static_cast<size_t>(bytes)));
  return ptr;
}

void host_free_pinned(void* ptr) { R1B_CUDA_CHECK(cudaFreeHost(ptr)); }

Event create_event() {
  cudaEvent_t event = nullptr;
  R1B_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
  return event;
}

void destroy_event(Event event) { R1B_CUDA_CHECK(cudaEventDestroy(static_cast<cudaEvent_t>(event))); }

void record_event(Event event, Stream stream) {
  R1B_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(event), as_cuda(stream)));
}

void wait_event(Event event) { R1B_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(event))); }

void begin_capture(Stream stream) {
  R1B_CUDA_CHECK(cudaStreamBeginCapture(as_cuda(stream), cudaStreamCaptureModeRelaxed));
}

Graph end_capture(Stream stream) {
  cudaGraph_t graph = nullptr;
  R1B_CUDA_CHECK(cudaStreamEndCapture(as_cuda(stream), &graph));
  cudaGraphExec_t exec = nullptr;
  R1B_CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  R1B_CUDA_CHECK(cudaGraphDestroy(graph));
  return exec;
}

void launch_graph(Graph graph, Stream stream) {
  R1B_CUDA_CHECK(cudaGraphLaunch(static_cast<cudaGraphExec_t>(graph), as_cuda(stream)));
}

void destroy_graph(Graph graph) { R1B_CUDA_CHECK(cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(graph))); }

void* reserve(Scratch& scratch, int64_t bytes, Stream stream) {
  if (bytes <= scratch.bytes) return scratch.data;
  if (scratch.data != nullptr) R1B_CUDA_CHECK(cudaFreeAsync(scratch.data, as_cuda(stream)));
  // Grow geometrically so a slowly rising size (longer contexts, larger batches) reallocates rarely.
  const int64_t size = bytes > 2 * scratch.bytes ? bytes : 2 * scratch.bytes;
  scratch.data = device_alloc(size, stream);
  scratch.bytes = size;
  return scratch.data;
}

void release(Scratch& scratch) {
  if (scratch.data != nullptr) device_free(scratch.data);
  scratch = Scratch{};
}

}  // namespace r1b::kernels
