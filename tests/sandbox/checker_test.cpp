#include "sandbox/checker.h"

#include <gtest/gtest.h>

namespace r1b::sandbox {
namespace {

TEST(CheckerTest, ExactIgnoresTrailingSpacesAndBlankLines) {
  EXPECT_TRUE(check_exact("1 2\n3\n", "1 2   \r\n3\n\n\n").accepted);
  EXPECT_TRUE(check_exact("1\n", "1").accepted);
}

TEST(CheckerTest, ExactNamesTheFirstDifferingLine) {
  const CheckResult result = check_exact("1\n2\n", "1\n3\n");
  EXPECT_FALSE(result.accepted);
  EXPECT_EQ(result.reason, "line 2: expected '2', got '3'");
  EXPECT_FALSE(check_exact("1 2\n", "1  2\n").accepted);  // inner spaces count
  EXPECT_FALSE(check_exact("1\n", "1\n2\n").accepted);
  EXPECT_FALSE(check_exact("a\n", " a\n").accepted);  // leading spaces count
}

TEST(CheckerTest, TokensIgnoreLayoutButNotExtraTokens) {
  EXPECT_TRUE(check_tokens("1 2\n3", "  1\n2 3\n\n").accepted);
  const CheckResult extra = check_tokens("1 2", "1 2 3");
  EXPECT_FALSE(extra.accepted);
  EXPECT_EQ(extra.reason, "expected 2 tokens, got 3");
  EXPECT_FALSE(check_tokens("YES", "yes").accepted);
  EXPECT_FALSE(check_tokens("1", "").accepted);
}

TEST(CheckerTest, FloatAcceptsWithinAbsoluteOrRelativeTolerance) {
  EXPECT_TRUE(check_float("0", "1e-7", 1e-6, 1e-6).accepted);
  EXPECT_TRUE(check_float("0", "-0", 0, 0).accepted);
  EXPECT_TRUE(check_float("-0.0", "0.000000", 0, 0).accepted);
  EXPECT_TRUE(check_float("1000000", "1000000.5", 1e-9, 1e-6).accepted);  // relative
  EXPECT_FALSE(check_float("1000000", "1000002", 1e-9, 1e-6).accepted);
  EXPECT_FALSE(check_float("0", "2e-6", 1e-6, 1e-6).accepted);  // relative to 0 is 0
  EXPECT_TRUE(check_float("3.14159", "+3.141590", 1e-6, 0).accepted);
}

TEST(CheckerTest, FloatNanMatchesOnlyNanAndInfinityOnlyItself) {
  EXPECT_TRUE(check_float("nan", "nan", 1e-6, 1e-6).accepted);
  EXPECT_FALSE(check_float("nan", "0", 1e-6, 1e-6).accepted);
  EXPECT_FALSE(check_float("1", "nan", 1e-6, 1e-6).accepted);
  EXPECT_TRUE(check_float("inf", "inf", 1e-6, 1e-6).accepted);
  EXPECT_FALSE(check_float("inf", "-inf", 1e-6, 1e-6).accepted);
  EXPECT_FALSE(check_float("1e308", "inf", 1e-6, 1e-6).accepted);
}

TEST(CheckerTest, FloatComparesWordsExactlyAndCountsTokens) {
  EXPECT_TRUE(check_float("YES 0.5", "YES 0.5000001", 1e-6, 0).accepted);
  EXPECT_FALSE(check_float("YES 0.5", "NO 0.5", 1e-6, 0).accepted);
  EXPECT_FALSE(check_float("0.5", "abc", 1e-6, 0).accepted);
  EXPECT_FALSE(check_float("0.5", "0.5 0.5", 1e-6, 0).accepted);
  EXPECT_FALSE(check_float("0.5", "0.5x", 1e-6, 0).accepted);
}

}  // namespace
}  // namespace r1b::sandbox
