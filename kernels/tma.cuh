// Private to kernels/: Hopper's bulk tensor copies (TMA) and the shared-memory barriers (mbarrier)
// that count their bytes, for the kernels that stream tiles of the paged KV cache
// (attention_wgmma.cu, attention_decode.cu). A tensor map (cache_map) describes the whole cache as
// rows of bf16; a box is a run of consecutive rows of one page × 64 columns, written to shared
// memory 128-byte swizzled: 16-byte chunk c of a box row r lands at chunk c ^ (r % 8) of its
// 128-byte row, so a box (and every panel built of boxes) must start on a 1024-byte boundary.
#pragma once

#include <cuda_bf16.h>
#include <cudaTypedefs.h>  // the driver's tensor map types; libcuda is reached through the runtime

#include <cstdint>

namespace r1b::kernels {

// Tensor map over a cache of rows of `row_width` bf16 (its row count unknown here: the largest a
// 32-bit TMA coordinate reaches; only rows the block tables name are read), boxes of `box_rows`
// rows × 64 columns stored 128-byte swizzled. Aborts with a message if the driver refuses it.
CUtensorMap cache_map(const __nv_bfloat16* cache, int64_t row_width, int box_rows);
// The same cache as 64-column panels: a box is `box_rows` rows × two consecutive panels, stored
// panel after panel (each box_rows × 128 bytes, 128-byte swizzled). Coordinates (row, panel).
CUtensorMap panel_map(const __nv_bfloat16* cache, int64_t row_width, int box_rows);

// The 32-bit shared-window address of a pointer into shared memory.
__device__ inline uint32_t shared_address(const void* shared) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(shared));
}

__device__ inline void barrier_init(uint32_t barrier, int count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(barrier), "r"(count) : "memory");
}
// Arrives once on `barrier`.
__device__ inline void barrier_arrive(uint32_t barrier) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(barrier) : "memory");
}
// Arrives once and makes the phase also wait for `bytes` of asynchronous copies.
__device__ inline void barrier_arrive_expect(uint32_t barrier, int bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(barrier), "r"(bytes) : "memory");
}
// Waits until the phase of parity `parity` has completed (a fresh barrier counts its phase "−1",
// of parity 1, as completed).
__device__ inline void barrier_wait(uint32_t barrier, int parity) {
  asm volatile(
      "{\n.reg .pred done;\nwait:\n"
      "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
      "@!done bra wait;\n}\n" ::"r"(barrier),
      "r"(parity)
      : "memory");
}
// Copies the box at (column, row) of `map` to shared `destination`; completes `bytes` on `barrier`.
__device__ inline void tma_load(uint32_t destination, const CUtensorMap& map, int column, int row, uint32_t barrier) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];\n" ::"r"(
          destination),
      "l"(reinterpret_cast<uint64_t>(&map)), "r"(column), "r"(row), "r"(barrier)
      : "memory");
}
// Copies the box at (row, first panel) of a panel_map() to shared `destination`; completes its
// bytes on `barrier`.
__device__ inline void tma_load_panels(uint32_t destination, const CUtensorMap& map, int row, int panel,
                                       uint32_t barrier) {
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4}], [%5];\n" ::"r"(
          destination),
      "l"(reinterpret_cast<uint64_t>(&map)), "r"(0), "r"(row), "r"(panel), "r"(barrier)
      : "memory");
}
// Starts fetching tensor map `map` (a __grid_constant__ kernel parameter) into the copy unit, so
// that the first copy through it does not wait for the descriptor.
__device__ inline void prefetch_tensor_map(const CUtensorMap& map) {
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(&map)) : "memory");
}
// Synchronises `threads` threads (whole warps) on named barrier `id`.
__device__ inline void named_barrier_sync(int id, int threads) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}
// Orders this thread's generic writes to shared memory (plain stores, completed cp.async) before
// later asynchronous-proxy accesses of the same memory: a TMA copy into it, or a wgmma reading it.
__device__ inline void fence_shared_for_async() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }
// Makes barrier_init()'s results visible to the asynchronous proxy (before the first copy).
__device__ inline void fence_barrier_init() { asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory"); }

}  // namespace r1b::kernels
