// Collectives across the GPUs of one host through NCCL: communicator setup and the in-place sum
// that tensor parallelism runs after each row-parallel layer (dispatch.h, "collectives").
// A failed NCCL call aborts with its error string and file:line, like the CUDA calls (dispatch.h,
// "Errors").
#include <nccl.h>

#include "kernels/cuda_check.cuh"
#include "kernels/dispatch.h"

namespace r1b::kernels {

namespace {

void nccl_check(ncclResult_t result, const char* call, const char* file, int line) {
  if (result == ncclSuccess) return;
  std::fprintf(stderr, "r1bench: NCCL call failed: %s: %s at %s:%d\n", call, ncclGetErrorString(result), file, line);
  std::abort();
}

#define R1B_NCCL_CHECK(call) nccl_check((call), #call, __FILE__, __LINE__)

ncclComm_t as_nccl(Comm comm) { return static_cast<ncclComm_t>(comm); }

}  // namespace

void set_device(int device) { R1B_CUDA_CHECK(cudaSetDevice(device)); }

std::vector<Comm> create_comms(int devices) {
  std::vector<ncclComm_t> comms(devices);
  R1B_NCCL_CHECK(ncclCommInitAll(comms.data(), devices, nullptr));
  return std::vector<Comm>(comms.begin(), comms.end());
}

void destroy_comm(Comm comm) { R1B_NCCL_CHECK(ncclCommDestroy(as_nccl(comm))); }

int comm_rank(Comm comm) {
  int rank = 0;
  R1B_NCCL_CHECK(ncclCommUserRank(as_nccl(comm), &rank));
  return rank;
}

int comm_world(Comm comm) {
  int count = 0;
  R1B_NCCL_CHECK(ncclCommCount(as_nccl(comm), &count));
  return count;
}

void all_reduce_sum(float* x, int64_t n, Comm comm, Stream stream) {
  R1B_NCCL_CHECK(ncclAllReduce(x, x, static_cast<size_t>(n), ncclFloat32, ncclSum, as_nccl(comm), as_cuda(stream)));
}

}  // namespace r1b::kernels
