#include "sandbox/submission.h"

#include <gtest/gtest.h>

namespace r1b::sandbox {
namespace {

TEST(SubmissionTest, TakesTheLastBlockAfterThink) {
  const std::string completion =
      "<think>\n```cpp\nint thinking() {}\n```\n</think>\nFirst try:\n```cpp\nint a;\n```\nFinal:\n```c++\nint main() {}\n```\n";
  const auto submission = extract_submission(completion, "python");
  ASSERT_TRUE(submission);
  EXPECT_EQ(submission->source, "int main() {}\n");
  EXPECT_EQ(submission->language, "cpp");
  EXPECT_EQ(submission->fence_tag, "c++");
}

TEST(SubmissionTest, BlocksOnlyInsideThinkDoNotCount) {
  EXPECT_FALSE(extract_submission("<think>```cpp\nx\n```\n</think>\nNo code here.", "cpp"));
}

TEST(SubmissionTest, WithoutThinkTheWholeCompletionIsSearched) {
  const auto submission = extract_submission("Here:\n```py\nprint(1)\n```\n", "cpp");
  ASSERT_TRUE(submission);
  EXPECT_EQ(submission->language, "python");
  EXPECT_EQ(submission->source, "print(1)\n");
}

TEST(SubmissionTest, UntaggedBlockUsesThePacksLanguage) {
  const auto submission = extract_submission("```\nprint(2)\n```", "python");
  ASSERT_TRUE(submission);
  EXPECT_EQ(submission->language, "python");
  EXPECT_EQ(submission->fence_tag, "");
}

TEST(SubmissionTest, TagsAreCaseInsensitiveAndUnknownTagsNameNoLanguage) {
  EXPECT_EQ(extract_submission("```CPP\nx\n```", "python")->language, "cpp");
  EXPECT_EQ(extract_submission("```python3\nx\n```", "cpp")->language, "python");
  const auto java = extract_submission("```java\nclass A {}\n```", "cpp");
  ASSERT_TRUE(java);
  EXPECT_EQ(java->language, "");
  EXPECT_EQ(java->fence_tag, "java");
}

TEST(SubmissionTest, NoBlockOrUnclosedBlockIsNone) {
  EXPECT_FALSE(extract_submission("The answer is 42.", "cpp"));
  EXPECT_FALSE(extract_submission("```cpp\nint main() {\n", "cpp"));
}

TEST(SubmissionTest, LongerFencesMayHoldShorterOnes) {
  const auto submission = extract_submission("````cpp\n// ```\nint x;\n````\n", "python");
  ASSERT_TRUE(submission);
  EXPECT_EQ(submission->source, "// ```\nint x;\n");
}

}  // namespace
}  // namespace r1b::sandbox
