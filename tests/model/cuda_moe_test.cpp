// CudaBackend::moe_experts on its fast path — bf16 GEMM activations (the backend's default), which
// run the grouped tensor-core GEMM of kernels/moe.cu — against CpuBackend: at DeepSeek-V2-Lite's
// expert widths for decode and prefill token counts, at widths that are not multiples of the tiles,
// with routing piled onto a few experts, and replayed as a CUDA graph while the routing changes.
// Every test skips when no CUDA device is visible (CI has none).
//
// Both backends hold the same bf16-exact weights and take their expert ids and weights from their
// own router (identical: see cuda_backend_test.cpp). Error = max |gpu − cpu| / max |cpu| over the
// output. Bound kBf16Activations: the GPU rounds x and the SwiGLU activation to bf16 (2^-9 ≈ 2e-3
// relative each) before sums of up to 2048 products whose rounding errors are independent; the
// worst element over an output then lands at 2.2e-3 – 3.5e-3 of the largest (measured on an H100
// for every case here). 1e-2 leaves room for other draws, while a wrong expert, row or routing
// weight gives errors near 1. The exact path (D not a multiple of 8) measures ~1e-7.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>

#include "model/cpu_backend.h"
#include "model/cuda_backend.h"
#include "model/dtype.h"
#include "close_values.h"

namespace r1b::model {
namespace {

using testing::normalised_error;
using testing::uniform_values;

constexpr double kBf16Activations = 1e-2;

struct ExpertCase {
  int64_t experts = 0;  // held by this backend
  int64_t hidden = 0;   // D
  int64_t ffn = 0;      // F
  int64_t top_k = 0;
  int64_t first_expert = 0;    // expert parallelism: the held experts' first global id
  int64_t router_experts = 0;  // the model's experts (router width); 0: `experts`
};

class CudaMoeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!CudaBackend::device_available()) GTEST_SKIP() << "no CUDA device visible";
    Result<std::unique_ptr<CudaBackend>> created = CudaBackend::create();
    ASSERT_TRUE(created.is_ok()) << created.status().message();
    gpu_ = std::move(created).value();
  }

  std::vector<float> random(int64_t count, float scale) { return uniform_values(rng_, count, scale); }

  // Random bf16-exact expert weights on both backends (the GPU stores them as bf16), scaled so
  // that the gate and up products and the output are O(1) for x in [-1, 1).
  void make_experts(const ExpertCase& shape) {
    shape_ = shape;
    const float in_scale = 2.0f / std::sqrt(static_cast<float>(shape.hidden));
    const float out_scale = 4.0f / std::sqrt(static_cast<float>(shape.ffn));
    auto weight = [&](std::vector<int64_t> dims, float scale, Tensor& cpu, Tensor& gpu) {
      std::vector<float> values = random(dims[0] * dims[1] * dims[2], scale);
      for (float& value : values) value = round_to_bf16(value);
      cpu = cpu_.alloc(dims, DType::kF32);
      cpu_.upload(values, cpu);
      gpu = gpu_->alloc(dims, DType::kF32);
      gpu_->upload(values, gpu);
    };
    weight({shape.experts, shape.ffn, shape.hidden}, in_scale, cpu_experts_.gate, gpu_experts_.gate);
    weight({shape.experts, shape.ffn, shape.hidden}, in_scale, cpu_experts_.up, gpu_experts_.up);
    weight({shape.experts, shape.hidden, shape.ffn}, out_scale, cpu_experts_.down, gpu_experts_.down);
    cpu_experts_.first_expert = gpu_experts_.first_expert = shape.first_expert;
    if (shape_.router_experts == 0) shape_.router_experts = shape.experts;
    gpu_logits_ = Tensor();
    gpu_x_ = Tensor();
  }

  // Router logits for `tokens` tokens; `favoured` experts get +8, so every token picks them first.
  std::vector<float> logits(int64_t tokens, std::initializer_list<int64_t> favoured = {}) {
    std::vector<float> values = random(tokens * shape_.router_experts, 2.0f);
    for (int64_t t = 0; t < tokens; ++t) {
      for (int64_t e : favoured) values[t * shape_.router_experts + e] += 8.0f;
    }
    return values;
  }

  // Routes `logit_values` and runs the experts on x on both backends (on the GPU as one decode
  // step when `as_decode_step`: the first of a shape runs eagerly, the second is recorded as a
  // CUDA graph, later ones replay it; its inputs then keep their device addresses across calls).
  // Returns the normalised error of the GPU's output.
  double compare(const std::vector<float>& logit_values, const std::vector<float>& x_values, bool as_decode_step) {
    const auto tokens = static_cast<int64_t>(x_values.size()) / shape_.hidden;
    const RouterParams router{RouterScoring::kSoftmax, shape_.top_k, 1, 1, GroupScore::kNone, false, 1.0f};

    Tensor cpu_logits = cpu_.alloc({tokens, shape_.router_experts}, DType::kF32);
    Tensor cpu_x = cpu_.alloc({tokens, shape_.hidden}, DType::kF32);
    cpu_.upload(logit_values, cpu_logits);
    cpu_.upload(x_values, cpu_x);
    Tensor cpu_ids = cpu_.alloc({tokens, shape_.top_k}, DType::kI32);
    Tensor cpu_weights = cpu_.alloc({tokens, shape_.top_k}, DType::kF32);
    Tensor cpu_out = cpu_.alloc({tokens, shape_.hidden}, DType::kF32);
    cpu_.moe_route(cpu_logits, Tensor(), router, cpu_ids, cpu_weights);
    cpu_.moe_experts(cpu_x, cpu_ids, cpu_weights, cpu_experts_, cpu_out);

    if (gpu_logits_.empty() || gpu_logits_.dim(0) != tokens) {
      gpu_logits_ = gpu_->alloc({tokens, shape_.router_experts}, DType::kF32);
      gpu_x_ = gpu_->alloc({tokens, shape_.hidden}, DType::kF32);
    }
    gpu_->upload_activation(logit_values, gpu_logits_);
    gpu_->upload_activation(x_values, gpu_x_);
    if (as_decode_step) gpu_->begin_decode_step(tokens, 256);
    Tensor gpu_ids = gpu_->alloc({tokens, shape_.top_k}, DType::kI32);
    Tensor gpu_weights = gpu_->alloc({tokens, shape_.top_k}, DType::kF32);
    Tensor gpu_out = gpu_->alloc({tokens, shape_.hidden}, DType::kF32);
    gpu_->moe_route(gpu_logits_, Tensor(), router, gpu_ids, gpu_weights);
    gpu_->moe_experts(gpu_x_, gpu_ids, gpu_weights, gpu_experts_, gpu_out);
    if (as_decode_step) gpu_->end_decode_step();

    return normalised_error(gpu_->download(gpu_out), cpu_.download(cpu_out)).error;
  }

  // compare() outside a decode step, reported and checked against the bound.
  void expect_close(const std::vector<float>& logit_values, int64_t tokens, const std::string& what) {
    const double error = compare(logit_values, random(tokens * shape_.hidden, 1.0f), false);
    std::cout << what << ": error " << error << " (bound " << kBf16Activations << ")\n";
    EXPECT_LE(error, kBf16Activations) << what;
  }

  std::mt19937 rng_{4321};
  CpuBackend cpu_{0};
  std::unique_ptr<CudaBackend> gpu_;
  ExpertCase shape_;
  ExpertWeights cpu_experts_, gpu_experts_;
  Tensor gpu_logits_, gpu_x_;
};

// DeepSeek-V2-Lite's routed experts (D 2048, F 1408, 64 experts, top-6): decode tokens up to and
// past the few-token products (≤ 4 tokens), a small batch, and prefill-sized batches on either side
// of the grouped GEMM's switch from 16- to 64-row tiles (T·top_k ≥ 32 · E).
TEST_F(CudaMoeTest, ExpertsMatchCpuAtV2LiteWidths) {
  make_experts({64, 2048, 1408, 6});
  for (int64_t tokens : {1, 2, 4, 5, 7, 300, 600}) {
    expect_close(logits(tokens), tokens, "V2-Lite experts, T=" + std::to_string(tokens));
  }
}

// Widths that leave partial column and k tiles (D 40, F 24), with every token routed to the same
// two experts (many row tiles for one expert, empty experts elsewhere), in both tile sizes; and a
// width that is not a multiple of 8 (D 33), which takes the exact fp32 path.
TEST_F(CudaMoeTest, GroupedExpertsHandlePartialTilesAndSkewedRouting) {
  make_experts({5, 40, 24, 2});
  for (int64_t tokens : {37, 300}) {
    expect_close(logits(tokens, {1, 3}), tokens, "D=40 F=24 skewed, T=" + std::to_string(tokens));
    expect_close(logits(tokens), tokens, "D=40 F=24, T=" + std::to_string(tokens));
  }
  make_experts({8, 33, 19, 3});
  expect_close(logits(5), 5, "D=33 F=19 (exact path)");
}

// Expert parallelism: this backend holds experts [2, 5) of 8; pairs routed elsewhere add nothing,
// on the few-token and grouped paths (D 40: T = 1 and 50) and on the exact one (D 33).
TEST_F(CudaMoeTest, ExpertsOfOtherRanksAddNothing) {
  for (int64_t hidden : {40, 33}) {
    make_experts({3, hidden, 24, 3, /*first_expert=*/2, /*router_experts=*/8});
    for (int64_t tokens : {1, 50}) {
      expect_close(logits(tokens), tokens, "experts [2, 5) of 8, D=" + std::to_string(hidden) + " T=" +
                                               std::to_string(tokens));
    }
  }
}

// A decode step recorded once and replayed must follow each step's routing: the per-expert
// grouping (grouped GEMM, 16 tokens) and each pair's expert (few-token products, 3 tokens) are
// read on the device, never baked into the graph.
TEST_F(CudaMoeTest, ReplayedDecodeStepFollowsEachStepsRouting) {
  make_experts({64, 256, 128, 6});
  for (const int64_t tokens : {16, 3}) {
    for (int step = 0; step < 4; ++step) {
      const double error = compare(step % 2 == 0 ? logits(tokens) : logits(tokens, {5, 9}),
                                   random(tokens * shape_.hidden, 1.0f), /*as_decode_step=*/true);
      std::cout << "T=" << tokens << " decode step " << step << ": error " << error << "\n";
      EXPECT_LE(error, kBf16Activations) << "T=" << tokens << " step " << step;
    }
  }
}

}  // namespace
}  // namespace r1b::model
