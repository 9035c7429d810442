// Mixture-of-experts routing and expert SwiGLU for dispatch.h.
//
// Routing: one thread per token runs the CPU spec's steps serially (scores, correction bias,
// group limit, top-k with ties to the lower index, optional normalisation in double), with its
// working arrays in dynamic shared memory; a token's choice is a few hundred comparisons, so the
// serial form costs nothing next to the experts and keeps the tie rules identical.
//
// Experts: two kernels without atomics, so results are deterministic. (1) one warp per
// (token, k, f) computes act = silu(gate_e[f] · x) ⊙ (up_e[f] · x) into scratch [T, K, F];
// (2) one warp per (token, d) sums weights[t, k] · (down_e[d] · act[t, k]) over k in routing
// order. Dots accumulate in fp32 from fp32 activations and fp32 / bf16 weights.
#include <cuda_bf16.h>

#include "kernels/cuda_check.cuh"
#include "kernels/dispatch.h"

namespace r1b::kernels {

namespace {

constexpr int kRouteThreads = 32;  // tokens per block, one thread each
constexpr int kWarpsPerBlock = 8;

// Index of the largest of values[0, n) not yet taken, lowest index on ties (as a stable sort).
__device__ int64_t arg_max_untaken(const float* values, const unsigned char* taken, int64_t n) {
  int64_t best = -1;
  for (int64_t i = 0; i < n; ++i) {
    if (taken[i]) continue;
    if (best < 0 || values[i] > values[best]) best = i;
  }
  return best;
}

__global__ void moe_route_kernel(const float* logits, const float* correction_bias, RouteShape shape,
                                 int32_t* expert_ids, float* expert_weights) {
  extern __shared__ unsigned char route_shared[];
  const int64_t t = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  const int64_t experts = shape.experts;
  // Per thread: scores [E], choice [E], group scores [G] floats, then taken flags [max(E, G)].
  const int64_t floats_per_thread = 2 * experts + shape.num_groups;
  const int64_t flags_per_thread = experts > shape.num_groups ? experts : shape.num_groups;
  float* scores = reinterpret_cast<float*>(route_shared) + threadIdx.x * floats_per_thread;
  float* choice = scores + experts;
  float* group_scores = choice + experts;
  unsigned char* taken = route_shared + blockDim.x * floats_per_thread * sizeof(float) + threadIdx.x * flags_per_thread;
  if (t >= shape.tokens) return;

  const float* row = logits + t * experts;
  if (shape.sigmoid) {
    for (int64_t e = 0; e < experts; ++e) scores[e] = 1.0f / (1.0f + expf(-row[e]));
  } else {
    float max_logit = row[0];
    for (int64_t e = 1; e < experts; ++e) max_logit = fmaxf(max_logit, row[e]);
    double total = 0.0;
    for (int64_t e = 0; e < experts; ++e) total += exp(static_cast<double>(row[e]) - max_logit);
    for (int64_t e = 0; e < experts; ++e) scores[e] = static_cast<float>(exp(static_cast<double>(row[e]) - max_logit) / total);
  }
  for (int64_t e = 0; e < experts; ++e) choice[e] = scores[e] + (correction_bias == nullptr ? 0.0f : correction_bias[e]);

  if (shape.group_top != 0) {
    const int64_t per_group = experts / shape.num_groups;
    for (int64_t g = 0; g < shape.num_groups; ++g) {
      const float* members = choice + g * per_group;
      for (int64_t i = 0; i < per_group; ++i) taken[i] = 0;
      const int64_t picks = shape.group_top < per_group ? shape.group_top : per_group;
      group_scores[g] = 0.0f;
      for (int64_t k = 0; k < picks; ++k) {
        const int64_t best = arg_max_untaken(members, taken, per_group);
        taken[best] = 1;
        group_scores[g] += members[best];
      }
    }
    for (int64_t g = 0; g < shape.num_groups; ++g) taken[g] = 0;
    for (int64_t k = 0; k < shape.top_groups && k < shape.num_groups; ++k) {
      taken[arg_max_untaken(group_scores, taken, shape.num_groups)] = 1;
    }
    // As transformers: experts of dropped groups score 0 (not -inf) for the final top-k.
    for (int64_t e = 0; e < experts; ++e) {
      if (!taken[e / per_group]) choice[e] = 0.0f;
    }
  }

  for (int64_t e = 0; e < experts; ++e) taken[e] = 0;
  int32_t* ids = expert_ids + t * shape.top_k;
  double total = 0.0;
  for (int64_t k = 0; k < shape.top_k; ++k) {
    const int64_t best = arg_max_untaken(choice, taken, experts);
    taken[best] = 1;
    ids[k] = static_cast<int32_t>(best);
    total += scores[best];
  }
  for (int64_t k = 0; k < shape.top_k; ++k) {
    double weight = scores[ids[k]];
    if (shape.normalize) weight /= total + 1e-20;
    expert_weights[t * shape.top_k + k] = static_cast<float>(weight * shape.scaling_factor);
  }
}


// Σ_i a[i] · w[i] over n, by one warp; every lane gets the sum.
template <typename W>
__device__ float warp_dot(const float* a, const W* w, int64_t n) {
  float sum = 0.0f;
  for (int64_t i = threadIdx.x % 32; i < n; i += 32) sum += a[i] * load_f32(w, i);
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  return sum;
}

template <typename W>
__global__ void expert_act_kernel(const float* x, const int32_t* expert_ids, const W* gate, const W* up,
                                  ExpertShape shape, float* act) {
  const int64_t warp = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / 32;
  if (warp >= shape.tokens * shape.top_k * shape.ffn) return;
  const int64_t f = warp % shape.ffn;
  const int64_t tk = warp / shape.ffn;  // t · top_k + k
  const int64_t t = tk / shape.top_k;
  const int64_t e = expert_ids[tk];
  const float* row = x + t * shape.hidden;
  const int64_t w_offset = (e * shape.ffn + f) * shape.hidden;
  const float g = warp_dot(row, gate + w_offset, shape.hidden);
  const float u = warp_dot(row, up + w_offset, shape.hidden);
  if (threadIdx.x % 32 == 0) act[warp] = g / (1.0f + expf(-g)) * u;
}

template <typename W>
__global__ void expert_down_kernel(const float* act, const int32_t* expert_ids, const float* expert_weights,
                                   const W* down, ExpertShape shape, float* out) {
  const int64_t warp = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / 32;
  if (warp >= shape.tokens * shape.hidden) return;
  const int64_t d = warp % shape.hidden;
  const int64_t t = warp / shape.hidden;
  float total = 0.0f;
  for (int64_t k = 0; k < shape.top_k; ++k) {
    const int64_t tk = t * shape.top_k + k;
    const int64_t e = expert_ids[tk];
    total += expert_weights[tk] * warp_dot(act + tk * shape.ffn, down + (e * shape.hidden + d) * shape.ffn, shape.ffn);
  }
  if (threadIdx.x % 32 == 0) out[warp] = total;
}

unsigned warp_blocks(int64_t warps) {
  const int64_t blocks = (warps + kWarpsPerBlock - 1) / kWarpsPerBlock;
  return static_cast<unsigned>(blocks < 1 ? 1 : blocks);
}

template <typename W>
void run_experts(const float* x, const int32_t* expert_ids, const float* expert_weights, const W* gate, const W* up,
                 const W* down, const ExpertShape& shape, float* out, Scratch& scratch, Stream stream) {
  const int64_t act_count = shape.tokens * shape.top_k * shape.ffn;
  auto* act = static_cast<float*>(reserve(scratch, act_count * static_cast<int64_t>(sizeof(float)), stream));
  expert_act_kernel<<<warp_blocks(act_count), kWarpsPerBlock * 32, 0, as_cuda(stream)>>>(x, expert_ids, gate, up,
                                                                                          shape, act);
  R1B_CUDA_CHECK_LAUNCH();
  expert_down_kernel<<<warp_blocks(shape.tokens * shape.hidden), kWarpsPerBlock * 32, 0, as_cuda(stream)>>>(
      act, expert_ids, expert_weights, down, shape, out);
  R1B_CUDA_CHECK_LAUNCH();
}

}  // namespace

void moe_route(const float* logits, const float* correction_bias, const RouteShape& shape, int32_t* expert_ids,
               float* expert_weights, Stream stream) {
  if (shape.tokens == 0) return;
  const int64_t floats_per_thread = 2 * shape.experts + shape.num_groups;
  const int64_t flags_per_thread = shape.experts > shape.num_groups ? shape.experts : shape.num_groups;
  const size_t shared_bytes = static_cast<size_t>(kRouteThreads * (floats_per_thread * sizeof(float) + flags_per_thread));
  if (shared_bytes > 48 * 1024) {
    R1B_CUDA_CHECK(cudaFuncSetAttribute(moe_route_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                        static_cast<int>(shared_bytes)));
  }
  const auto blocks = static_cast<unsigned>((shape.tokens + kRouteThreads - 1) / kRouteThreads);
  moe_route_kernel<<<blocks, kRouteThreads, shared_bytes, as_cuda(stream)>>>(
      logits, correction_bias, shape, expert_ids, expert_weights);
  R1B_CUDA_CHECK_LAUNCH();
}

void moe_experts(const float* x, const int32_t* expert_ids, const float* expert_weights, const void* gate,
                 const void* up, const void* down, const ExpertShape& shape, float* out, Scratch& scratch,
                 Stream stream) {
  if (shape.tokens == 0) return;
  if (shape.weight_type == ElementType::kBF16) {
    run_experts(x, expert_ids, expert_weights, static_cast<const __nv_bfloat16*>(gate),
                static_cast<const __nv_bfloat16*>(up), static_cast<const __nv_bfloat16*>(down), shape, out, scratch,
                stream);
  } else {
    run_experts(x, expert_ids, expert_weights, static_cast<const float*>(gate), static_cast<const float*>(up),
                static_cast<const float*>(down), shape, out, scratch, stream);
  }
}

}  // namespace r1b::kernels
