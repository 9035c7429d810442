#include "model/dtype.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <vector>

namespace r1b::model {
namespace {

TEST(DTypeTest, Bf16IsTheTopHalfOfAnFp32) {
  EXPECT_EQ(bf16_to_float(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_float(0xC000), -2.0f);
  EXPECT_EQ(bf16_to_float(0x3FC0), 1.5f);
  EXPECT_EQ(bf16_to_float(0x0000), 0.0f);
  EXPECT_TRUE(std::isinf(bf16_to_float(0x7F80)));
}

TEST(DTypeTest, Fp32RoundsToBf16HalfToEvenAndKeepsNansQuiet) {
  // {fp32 bits, bf16 bits}, checked by hand: ties go to the even neighbour, overflow goes to inf.
  const std::vector<std::pair<uint32_t, uint16_t>> cases = {
      {0x3F800000, 0x3F80},  // 1.0
      {0x3F808000, 0x3F80},  // halfway between 0x3F80 and 0x3F81: even 0x3F80
      {0x3F818000, 0x3F82},  // halfway between 0x3F81 and 0x3F82: even 0x3F82
      {0x3F808001, 0x3F81},  // just above halfway
      {0xBFC00000, 0xBFC0},  // -1.5
      {0x00000001, 0x0000},  // the smallest subnormal rounds to zero
      {0x7F7FFFFF, 0x7F80},  // the largest finite fp32 rounds up to inf
      {0x7F800000, 0x7F80},  // inf
      {0x7FC00000, 0x7FC0},  // quiet NaN
      {0x7F800001, 0x7FC0},  // signalling NaN: quieted, not rounded into inf
      {0xFF800001, 0xFFC0},
  };
  std::vector<float> values;
  for (const auto& [fp32, bf16] : cases) {
    EXPECT_EQ(float_to_bf16(std::bit_cast<float>(fp32)), bf16) << std::hex << fp32;
    values.push_back(std::bit_cast<float>(fp32));
  }
  std::vector<uint16_t> bulk(values.size());
  float_to_bf16(values, bulk.data());
  for (size_t i = 0; i < cases.size(); ++i) EXPECT_EQ(bulk[i], cases[i].second) << i;
}

TEST(DTypeTest, BulkBf16DecodingReadsUnalignedLittleEndianBytes) {
  const std::vector<uint16_t> bits = {0x3F80, 0xC000, 0x3FC0, 0x7F80, 0x0001};
  std::vector<std::byte> bytes(1 + 2 * bits.size());
  std::memcpy(bytes.data() + 1, bits.data(), 2 * bits.size());  // an odd address
  std::vector<float> out(bits.size());
  bf16_to_float(bytes.data() + 1, out);
  for (size_t i = 0; i < bits.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint32_t>(out[i]), std::bit_cast<uint32_t>(bf16_to_float(bits[i]))) << i;
  }
}

TEST(DTypeTest, F16DecodesNormalsSubnormalsAndSpecials) {
  EXPECT_EQ(f16_to_float(0x3C00), 1.0f);
  EXPECT_EQ(f16_to_float(0xC000), -2.0f);
  EXPECT_EQ(f16_to_float(0x7BFF), 65504.0f);                 // largest finite
  EXPECT_EQ(f16_to_float(0x0001), std::ldexp(1.0f, -24));    // smallest subnormal
  EXPECT_EQ(f16_to_float(0x0400), std::ldexp(1.0f, -14));    // smallest normal
  EXPECT_TRUE(std::isinf(f16_to_float(0x7C00)));
  EXPECT_TRUE(std::isnan(f16_to_float(0x7E00)));
}

TEST(DTypeTest, F8E4M3MatchesTheOcpTable) {
  EXPECT_EQ(f8e4m3_to_float(0x38), 1.0f);                    // exponent 7, mantissa 0
  EXPECT_EQ(f8e4m3_to_float(0x7E), 448.0f);                  // largest finite
  EXPECT_EQ(f8e4m3_to_float(0xFE), -448.0f);
  EXPECT_EQ(f8e4m3_to_float(0x01), std::ldexp(1.0f, -9));    // smallest subnormal
  EXPECT_EQ(f8e4m3_to_float(0x08), std::ldexp(1.0f, -6));    // smallest normal
  EXPECT_EQ(f8e4m3_to_float(0x3C), 1.5f);
  EXPECT_EQ(f8e4m3_to_float(0x40), 2.0f);
  EXPECT_TRUE(std::isnan(f8e4m3_to_float(0x7F)));            // no infinities: S.1111.111 is NaN
  EXPECT_EQ(f8e4m3_to_float(0x78), 256.0f);                  // exponent 15 is a normal binade
}

TEST(DTypeTest, NamesRoundTripAndUnknownNamesAreRejected) {
  for (DType dtype : {DType::kF32, DType::kBF16, DType::kF16, DType::kF8E4M3, DType::kI64, DType::kI32}) {
    EXPECT_EQ(parse_dtype(dtype_name(dtype)), dtype);
  }
  EXPECT_FALSE(parse_dtype("F8_E5M2").has_value());
  EXPECT_EQ(dtype_size(DType::kF8E4M3), 1u);
  EXPECT_EQ(dtype_size(DType::kBF16), 2u);
}

}  // namespace
}  // namespace r1b::model
