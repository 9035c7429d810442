// CpuBackend ops against hand-computed values and against themselves under other layouts
// (paged vs contiguous KV, other thread counts).
#include "model/cpu_backend.h"

#include <gtest/gtest.h>

#include <cmath>

namespace r1b::model {
namespace {

Tensor make(Backend& backend, std::vector<int64_t> shape, const std::vector<float>& values) {
  Tensor tensor = backend.alloc(std::move(shape), DType::kF32);
  backend.upload(values, tensor);
  return tensor;
}

std::vector<float> ramp(int64_t count, float scale) {
  std::vector<float> values(count);
  for (int64_t i = 0; i < count; ++i) values[i] = std::sin(static_cast<float>(i) * 0.7f + 0.3f) * scale;
  return values;
}

TEST(CpuBackendTest, MatmulAddsBiasAndHandlesOddSizes) {
  CpuBackend backend(3);
  Tensor x = make(backend, {2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor w = make(backend, {1, 3}, {1, 0, -1});
  Tensor b = make(backend, {1}, {0.5f});
  Tensor out = backend.alloc({2, 1}, DType::kF32);
  backend.matmul(x, w, b, out);
  EXPECT_EQ(backend.download(out), (std::vector<float>{-1.5f, -1.5f}));
}

TEST(CpuBackendTest, RmsNormMatchesTheFormulaInPlace) {
  CpuBackend backend(1);
  Tensor x = make(backend, {1, 2}, {3, 4});
  Tensor w = make(backend, {2}, {1, 2});
  backend.rmsnorm(x, w, 0.0f, x);
  const float inv_rms = 1.0f / std::sqrt(12.5f);
  const std::vector<float> out = backend.download(x);
  EXPECT_FLOAT_EQ(out[0], 3 * inv_rms);
  EXPECT_FLOAT_EQ(out[1], 2 * 4 * inv_rms);
}

TEST(CpuBackendTest, RopeRotatesHalfOrInterleavedPairs) {
  CpuBackend backend(1);
  RopeTable table;
  table.inv_freq = {1.0f, 0.0f};
  const int32_t position = 1;
  const float c = std::cos(1.0f), s = std::sin(1.0f);
  Tensor half = make(backend, {1, 1, 4}, {1, 2, 3, 4});  // pairs (0,2) and (1,3)
  backend.rope(half, std::span(&position, 1), table, 0);
  std::vector<float> out = backend.download(half);
  EXPECT_FLOAT_EQ(out[0], 1 * c - 3 * s);
  EXPECT_FLOAT_EQ(out[2], 3 * c + 1 * s);
  EXPECT_FLOAT_EQ(out[1], 2);
  table.interleaved = true;
  Tensor pairs = make(backend, {1, 1, 4}, {1, 2, 3, 4});  // pairs (0,1) and (2,3)
  backend.rope(pairs, std::span(&position, 1), table, 0);
  out = backend.download(pairs);
  EXPECT_FLOAT_EQ(out[0], 1 * c - 2 * s);
  EXPECT_FLOAT_EQ(out[1], 2 * c + 1 * s);
  EXPECT_FLOAT_EQ(out[3], 4);
}

// Attention over keys scattered through a shuffled block table equals attention over the same
// keys stored contiguously, and matches a direct softmax for the last query.
TEST(CpuBackendTest, PagedAttentionEqualsContiguousAttention) {
  CpuBackend backend(2);
  const int64_t heads = 4, kv_heads = 2, dim = 5, context = 7, block = 3;
  AttentionParams params{heads, kv_heads, dim, dim, false, 0.4f, block};
  const std::vector<float> keys = ramp(context * kv_heads * dim, 1.0f);
  const std::vector<float> values = ramp(context * kv_heads * dim, 2.0f);
  const std::vector<float> queries = ramp(2 * heads * dim, 1.5f);
  Tensor q = make(backend, {2, heads, dim}, queries);

  // Contiguous: blocks 0, 1, 2.
  Tensor k_flat = backend.alloc({9, kv_heads * dim}, DType::kF32);
  Tensor v_flat = backend.alloc({9, kv_heads * dim}, DType::kF32);
  std::vector<int32_t> slots_flat(context);
  for (int64_t p = 0; p < context; ++p) slots_flat[p] = static_cast<int32_t>(p);
  backend.write_kv(make(backend, {context, kv_heads * dim}, keys), slots_flat, k_flat);
  backend.write_kv(make(backend, {context, kv_heads * dim}, values), slots_flat, v_flat);
  AttentionSeq seq_flat{0, 2, context, {0, 1, 2}};
  Tensor out_flat = backend.alloc({2, heads, dim}, DType::kF32);
  backend.attention(q, k_flat, v_flat, std::span(&seq_flat, 1), params, out_flat);

  // Paged: blocks 4, 1, 3 of a 5-block cache.
  const std::vector<int32_t> table = {4, 1, 3};
  Tensor k_paged = backend.alloc({15, kv_heads * dim}, DType::kF32);
  Tensor v_paged = backend.alloc({15, kv_heads * dim}, DType::kF32);
  std::vector<int32_t> slots(context);
  for (int64_t p = 0; p < context; ++p) slots[p] = static_cast<int32_t>(table[p / block] * block + p % block);
  backend.write_kv(make(backend, {context, kv_heads * dim}, keys), slots, k_paged);
  backend.write_kv(make(backend, {context, kv_heads * dim}, values), slots, v_paged);
  AttentionSeq seq_paged{0, 2, context, table};
  Tensor out_paged = backend.alloc({2, heads, dim}, DType::kF32);
  backend.attention(q, k_paged, v_paged, std::span(&seq_paged, 1), params, out_paged);
  const std::vector<float> flat = backend.download(out_flat);
  EXPECT_EQ(flat, backend.download(out_paged));

  // Direct check: last query (sees all 7 keys), head 3 (kv head 1).
  std::vector<double> weights(context);
  double total = 0;
  for (int64_t p = 0; p < context; ++p) {
    double dot = 0;
    for (int64_t d = 0; d < dim; ++d) dot += queries[(heads + 3) * dim + d] * keys[(p * kv_heads + 1) * dim + d];
    weights[p] = std::exp(dot * 0.4);
    total += weights[p];
  }
  for (int64_t d = 0; d < dim; ++d) {
    double expected = 0;
    for (int64_t p = 0; p < context; ++p) expected += weights[p] / total * values[(p * kv_heads + 1) * dim + d];
    EXPECT_NEAR(flat[(heads + 3) * dim + d], expected, 1e-5);
  }
}

TEST(CpuBackendTest, ResultsDoNotDependOnTheThreadCount) {
  CpuBackend one(1);
  CpuBackend four(4);
  const std::vector<float> xs = ramp(5 * 33, 1.0f);
  const std::vector<float> ws = ramp(17 * 33, 0.3f);
  std::vector<std::vector<float>> results;
  for (CpuBackend* backend : {&one, &four}) {
    Tensor out = backend->alloc({5, 17}, DType::kF32);
    backend->matmul(make(*backend, {5, 33}, xs), make(*backend, {17, 33}, ws), Tensor(), out);
    results.push_back(backend->download(out));
  }
  EXPECT_EQ(results[0], results[1]);
}

TEST(CpuBackendTest, SigmoidRouterKeepsTheBestGroupsAndNormalizes) {
  CpuBackend backend(1);
  // 4 experts in 2 groups; logits make group 1 (experts 2, 3) strongest.
  Tensor logits = make(backend, {1, 4}, {0.0f, -1.0f, 2.0f, 1.0f});
  Tensor ids = backend.alloc({1, 2}, DType::kI32);
  Tensor weights = backend.alloc({1, 2}, DType::kF32);
  RouterParams params{RouterScoring::kSigmoid, 2, 2, 1, GroupScore::kTop2Sum, true, 2.0f};
  backend.moe_route(logits, Tensor(), params, ids, weights);
  EXPECT_EQ(ids.data_as<int32_t>()[0], 2);
  EXPECT_EQ(ids.data_as<int32_t>()[1], 3);
  const double s2 = 1 / (1 + std::exp(-2.0)), s3 = 1 / (1 + std::exp(-1.0));
  EXPECT_NEAR(weights.data_as<float>()[0], 2 * s2 / (s2 + s3), 1e-6);
  EXPECT_NEAR(weights.data_as<float>()[1], 2 * s3 / (s2 + s3), 1e-6);

  // A correction bias changes the choice but not the weights' source scores.
  Tensor bias = make(backend, {4}, {5.0f, 5.0f, 0.0f, 0.0f});
  backend.moe_route(logits, bias, params, ids, weights);
  EXPECT_EQ(ids.data_as<int32_t>()[0], 0);
  EXPECT_EQ(ids.data_as<int32_t>()[1], 1);
}

TEST(CpuBackendTest, SoftmaxRouterWithoutNormalizationKeepsRawProbabilities) {
  CpuBackend backend(1);
  Tensor logits = make(backend, {1, 3}, {0.0f, 1.0f, 2.0f});
  Tensor ids = backend.alloc({1, 1}, DType::kI32);
  Tensor weights = backend.alloc({1, 1}, DType::kF32);
  backend.moe_route(logits, Tensor(), RouterParams{}, ids, weights);
  const double total = 1 + std::exp(1.0) + std::exp(2.0);
  EXPECT_EQ(ids.data_as<int32_t>()[0], 2);
  EXPECT_NEAR(weights.data_as<float>()[0], std::exp(2.0) / total, 1e-6);
}

}  // namespace
}  // namespace r1b::model
