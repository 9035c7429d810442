#include "model/rope.h"

#include <gtest/gtest.h>

#include <cmath>

namespace r1b::model {
namespace {

TEST(RopeTest, DefaultFrequenciesAreThetaPowers) {
  Result<RopeConfig> rope = parse_rope_config({{"rope_theta", 100.0}}, "config.json");
  ASSERT_TRUE(rope.is_ok());
  const RopeTable table = make_rope_table(*rope, 4, 256, false);
  ASSERT_EQ(table.inv_freq.size(), 2u);
  EXPECT_FLOAT_EQ(table.inv_freq[0], 1.0f);
  EXPECT_FLOAT_EQ(table.inv_freq[1], 0.1f);
  EXPECT_EQ(table.attention_factor, 1.0f);
}

TEST(RopeTest, LinearScalingDividesEveryFrequency) {
  Result<RopeConfig> rope =
      parse_rope_config({{"rope_theta", 100.0}, {"rope_scaling", {{"type", "linear"}, {"factor", 4.0}}}}, "c");
  ASSERT_TRUE(rope.is_ok());
  const RopeTable table = make_rope_table(*rope, 4, 256, false);
  EXPECT_FLOAT_EQ(table.inv_freq[1], 0.025f);
}

TEST(RopeTest, Llama3KeepsHighFrequenciesAndScalesLowOnes) {
  // theta 10000, dim 8: wavelengths 2π, 2π·10, 2π·100, 2π·1000; old context 64, factors 1 / 4:
  // wavelen < 16 unchanged, > 64 divided by 8, between smoothed.
  Result<RopeConfig> rope = parse_rope_config(
      {{"rope_parameters", {{"rope_type", "llama3"}, {"rope_theta", 10000.0}, {"factor", 8.0},
                            {"low_freq_factor", 1.0}, {"high_freq_factor", 4.0},
                            {"original_max_position_embeddings", 64}}}},
      "c");
  ASSERT_TRUE(rope.is_ok()) << rope.status().message();
  const RopeTable table = make_rope_table(*rope, 8, 256, false);
  EXPECT_FLOAT_EQ(table.inv_freq[0], 1.0f);
  EXPECT_FLOAT_EQ(table.inv_freq[2], 0.01f / 8);
  EXPECT_FLOAT_EQ(table.inv_freq[3], 0.001f / 8);
  const double smooth = (64 / (2 * M_PI * 10) - 1) / 3;
  EXPECT_NEAR(table.inv_freq[1], (1 - smooth) * 0.1 / 8 + smooth * 0.1, 1e-7);
}

TEST(RopeTest, YarnAttentionFactorUsesMscaleRatio) {
  Result<RopeConfig> rope = parse_rope_config(
      {{"rope_scaling", {{"type", "yarn"}, {"factor", 4.0}, {"mscale", 1.0}, {"mscale_all_dim", 0.5},
                         {"original_max_position_embeddings", 64}}}},
      "c");
  ASSERT_TRUE(rope.is_ok());
  const RopeTable table = make_rope_table(*rope, 8, 256, true);
  EXPECT_NEAR(table.attention_factor, yarn_mscale(4, 1) / yarn_mscale(4, 0.5), 1e-6);
  EXPECT_TRUE(table.interleaved);
  // The highest frequency is extrapolated (unchanged), the lowest interpolated (÷ factor).
  EXPECT_FLOAT_EQ(table.inv_freq[0], 1.0f);
  EXPECT_NEAR(table.inv_freq[3], std::pow(10000.0, -6.0 / 8) / 4, 1e-9);
}

}  // namespace
}  // namespace r1b::model
