#include "model/sampler.h"

#include <gtest/gtest.h>

#include <cmath>

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

}  // namespace
}  // namespace r1b::model
