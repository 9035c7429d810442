#include "model/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <span>
#include <vector>

namespace r1b::model {
namespace {

// Logits whose softmax is exactly {0.5, 0.25, 0.125, 0.125}.
const std::vector<float> kLogits = {std::log(4.0f), std::log(2.0f), 0.0f, 0.0f};

TEST(SamplerTest, GreedyPicksTheFirstMaximum) {
  SampleRng rng(1);
  EXPECT_EQ(sample_token(std::vector<float>{1, 3, 3, 2}, SamplingParams{}, rng), 1);
  EXPECT_EQ(sampling_distribution(std::vector<float>{1, 3, 3, 2}, SamplingParams{}),
            (std::vector<double>{0, 1, 0, 0}));
}

TEST(SamplerTest, TemperatureOneKeepsTheSoftmax) {
  const std::vector<double> probs = sampling_distribution(kLogits, SamplingParams{1.0f, 1.0f, 0, 0});
  EXPECT_NEAR(probs[0], 0.5, 1e-6);
  EXPECT_NEAR(probs[1], 0.25, 1e-6);
  EXPECT_NEAR(probs[3], 0.125, 1e-6);
}

TEST(SamplerTest, TopKKeepsTheKMostLikely) {
  const std::vector<double> probs = sampling_distribution(kLogits, SamplingParams{1.0f, 1.0f, 2, 0});
  EXPECT_NEAR(probs[0], 2.0 / 3, 1e-6);
  EXPECT_NEAR(probs[1], 1.0 / 3, 1e-6);
  EXPECT_EQ(probs[2], 0.0);
  EXPECT_EQ(probs[3], 0.0);
}

TEST(SamplerTest, TopPKeepsTheSmallestSetReachingP) {
  // 0.5 < 0.6, then 0.5 + 0.25 reaches it: two tokens.
  std::vector<double> probs = sampling_distribution(kLogits, SamplingParams{1.0f, 0.6f, 0, 0});
  EXPECT_NEAR(probs[0], 2.0 / 3, 1e-6);
  EXPECT_EQ(probs[2], 0.0);
  // Exactly 0.5 is reached by the first token alone.
  probs = sampling_distribution(kLogits, SamplingParams{1.0f, 0.5f, 0, 0});
  EXPECT_EQ(probs[0], 1.0);
  // A tiny p still keeps one token.
  probs = sampling_distribution(kLogits, SamplingParams{1.0f, 0.01f, 0, 0});
  EXPECT_EQ(probs[0], 1.0);
}

TEST(SamplerTest, TopKThenTopPCompose) {
  // top-k 3 renormalises to {0.571, 0.286, 0.143}; top-p 0.8 then keeps two.
  const std::vector<double> probs = sampling_distribution(kLogits, SamplingParams{1.0f, 0.8f, 3, 0});
  EXPECT_NEAR(probs[0], 2.0 / 3, 1e-6);
  EXPECT_EQ(probs[2], 0.0);
}

TEST(SamplerTest, SameSeedSameDraws) {
  const SamplingParams params{0.8f, 0.95f, 0, 0};
  std::vector<int32_t> first, second;
  SampleRng a(42), b(42);
  for (int i = 0; i < 50; ++i) {
    first.push_back(sample_token(kLogits, params, a));
    second.push_back(sample_token(kLogits, params, b));
  }
  EXPECT_EQ(first, second);
  EXPECT_NE(sample_seed(7, 0), sample_seed(7, 1));
}

TEST(SamplerTest, DrawFrequenciesFollowTheDistribution) {
  SampleRng rng(3);
  std::vector<int> counts(4, 0);
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) ++counts[sample_token(kLogits, SamplingParams{1.0f, 1.0f, 0, 0}, rng)];
  // 5 standard deviations of a binomial with p = 0.5 is about 0.018.
  EXPECT_NEAR(counts[0] / static_cast<double>(draws), 0.5, 0.02);
  EXPECT_NEAR(counts[2] / static_cast<double>(draws), 0.125, 0.02);
}


// The definition, written the slow way: sort the whole vocabulary (descending logit, ties by id),
// keep the top k, then the shortest prefix whose weight reaches top_p of the kept total.
std::vector<double> reference_distribution(std::span<const float> logits, const SamplingParams& params) {
  std::vector<int32_t> order(logits.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  size_t kept = params.top_k > 0 ? std::min<size_t>(order.size(), static_cast<size_t>(params.top_k)) : order.size();
  std::vector<double> weights(kept);
  double total = 0.0;
  for (size_t i = 0; i < kept; ++i) {
    weights[i] = std::exp((static_cast<double>(logits[order[i]]) - logits[order[0]]) / params.temperature);
    total += weights[i];
  }
  double cumulative = 0.0;
  size_t nucleus = 0;
  while (nucleus < kept && cumulative < params.top_p * total) cumulative += weights[nucleus++];
  kept = std::max<size_t>(1, nucleus);
  total = 0.0;
  for (size_t i = 0; i < kept; ++i) total += weights[i];
  std::vector<double> probs(logits.size(), 0.0);
  for (size_t i = 0; i < kept; ++i) probs[order[i]] = weights[i] / total;
  return probs;
}

// A vocabulary-sized distribution (20k logits with many exact ties) goes through the selection
// path: the kept set equals the full sort's, and every probability agrees to 1e-12.
TEST(SamplerTest, SelectionMatchesTheFullSortOnALargeVocabularyWithTies) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  std::vector<float> logits(20000);
  for (float& logit : logits) logit = std::round(dist(rng) * 8.0f) / 8.0f;  // coarse: many ties
  for (const SamplingParams& params : {SamplingParams{0.6f, 0.95f, 0, 0}, SamplingParams{1.0f, 0.5f, 0, 0},
                                       SamplingParams{0.3f, 0.9f, 0, 0}, SamplingParams{1.0f, 0.99f, 1000, 0},
                                       SamplingParams{1.5f, 1.0f, 50, 0}, SamplingParams{1.0f, 1e-6f, 0, 0}}) {
    const std::vector<double> ours = sampling_distribution(logits, params);
    const std::vector<double> expected = reference_distribution(logits, params);
    size_t kept = 0;
    for (size_t i = 0; i < logits.size(); ++i) {
      ASSERT_EQ(ours[i] > 0.0, expected[i] > 0.0) << "token " << i << " top_p " << params.top_p << " top_k "
                                                  << params.top_k;
      EXPECT_NEAR(ours[i], expected[i], 1e-12);
      kept += ours[i] > 0.0;
    }
    EXPECT_GE(kept, 1u);
  }
}

}  // namespace
}  // namespace r1b::model
