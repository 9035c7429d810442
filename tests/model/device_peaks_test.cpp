#include "model/device_peaks.h"

#include <gtest/gtest.h>

namespace r1b::model {
namespace {

TEST(DevicePeaks, KnownGpusAsCudaNamesThemGetTheirDatasheetPeak) {
  EXPECT_EQ(dense_bf16_peak_flops("NVIDIA H100 80GB HBM3"), 989e12);
  EXPECT_EQ(dense_bf16_peak_flops("NVIDIA H100 PCIe"), 756e12);
  EXPECT_EQ(dense_bf16_peak_flops("NVIDIA H100 NVL"), 835e12);
  EXPECT_EQ(dense_bf16_peak_flops("NVIDIA H200"), 989e12);
  EXPECT_EQ(dense_bf16_peak_flops("NVIDIA H200 NVL"), 835e12);
  EXPECT_EQ(dense_bf16_peak_flops("NVIDIA H20"), 148e12);
  EXPECT_EQ(dense_bf16_peak_flops("NVIDIA A100-SXM4-80GB"), 312e12);
  EXPECT_EQ(dense_bf16_peak_flops("NVIDIA A100 80GB PCIe"), 312e12);
  EXPECT_EQ(dense_bf16_peak_flops("NVIDIA A10"), 125e12);
  EXPECT_EQ(dense_bf16_peak_flops("NVIDIA L40S"), 362e12);
  EXPECT_EQ(dense_bf16_peak_flops("NVIDIA L4"), 121e12);
  EXPECT_EQ(dense_bf16_peak_flops("NVIDIA GeForce RTX 4090"), 165e12);
}

TEST(DevicePeaks, ShorterNamesDoNotMatchInsideLongerOnes) {
  EXPECT_EQ(dense_bf16_peak_flops("NVIDIA H200"), 989e12);  // not the H20's
  EXPECT_EQ(dense_bf16_peak_flops("NVIDIA L40S"), 362e12);  // not the L4's
  EXPECT_EQ(dense_bf16_peak_flops("NVIDIA A10G"), std::nullopt);  // a different chip from the A10
  EXPECT_EQ(dense_bf16_peak_flops("nvidia h100 pcie"), 756e12);  // case does not matter
}

TEST(DevicePeaks, UnknownDeviceHasNoPeak) {
  EXPECT_EQ(dense_bf16_peak_flops("NVIDIA GeForce GTX 1080"), std::nullopt);
  EXPECT_EQ(dense_bf16_peak_flops("cpu"), std::nullopt);
  EXPECT_EQ(dense_bf16_peak_flops(""), std::nullopt);
  EXPECT_EQ(mfu_peak_flops("NVIDIA GeForce GTX 1080", 0), std::nullopt);
}

TEST(DevicePeaks, OverrideWinsOverTheTableAndGivesUnknownDevicesAPeak) {
  EXPECT_EQ(mfu_peak_flops("NVIDIA H100 80GB HBM3", 500), 500e12);
  EXPECT_EQ(mfu_peak_flops("NVIDIA GeForce GTX 1080", 11.3), 11.3e12);
  EXPECT_EQ(mfu_peak_flops("NVIDIA H100 80GB HBM3", 0), 989e12);
}

}  // namespace
}  // namespace r1b::model
