#include "model/dtype.h"

#include <gtest/gtest.h>

#include <cmath>

namespace r1b::model {
namespace {

TEST(DTypeTest, Bf16IsTheTopHalfOfAnFp32) {
  EXPECT_EQ(bf16_to_float(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_float(0xC000), -2.0f);
  EXPECT_EQ(bf16_to_float(0x3FC0), 1.5f);
  EXPECT_EQ(bf16_to_float(0x0000), 0.0f);
  EXPECT_TRUE(std::isinf(bf16_to_float(0x7F80)));
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
