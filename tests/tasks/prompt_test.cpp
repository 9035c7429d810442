#include "tasks/prompt.h"

#include <gtest/gtest.h>

namespace r1b::tasks {
namespace {

Task math_task() {
  Task t;
  t.id = "t1";
  t.kind = TaskKind::kMath;
  t.prompt = "What is 1+1?";
  t.answer = "2";
  return t;
}

TEST(Prompt, R1FormatWrapsTheMathInstructionAndOpensThink) {
  EXPECT_EQ(render_prompt(ChatFormat::kR1, math_task()),
            "<｜begin▁of▁sentence｜><｜User｜>What is 1+1?\nPlease reason step by step, and put your final "
            "answer within \\boxed{}.<｜Assistant｜><think>\n");
}

TEST(Prompt, Qwen2FormatUsesImStartTurns) {
  std::string p = render_prompt(ChatFormat::kQwen2, math_task());
  EXPECT_EQ(p.rfind("<|im_start|>user\n", 0), 0u);
  EXPECT_TRUE(p.ends_with("<|im_end|>\n<|im_start|>assistant\n"));
}

TEST(Prompt, ChoiceListsLetteredOptionsAndAsksForAnswerLine) {
  Task t;
  t.kind = TaskKind::kChoice;
  t.prompt = "Pick one.";
  t.choices = {"red", "green", "blue", "cyan"};
  t.answer = "B";
  std::string m = user_message(t);
  EXPECT_NE(m.find("\nA) red\nB) green\nC) blue\nD) cyan"), std::string::npos);
  EXPECT_NE(m.find("Answer: LETTER"), std::string::npos);
}

TEST(Prompt, FormatNamesRoundTrip) {
  for (auto f : {ChatFormat::kR1, ChatFormat::kQwen2, ChatFormat::kLlama3, ChatFormat::kPlain}) {
    EXPECT_EQ(parse_chat_format(chat_format_name(f)), f);
  }
  EXPECT_FALSE(parse_chat_format("chatml9").has_value());
}

TEST(Prompt, TemplateTextNamesFormatAndInstructions) {
  std::string text = template_text(ChatFormat::kR1);
  EXPECT_NE(text.find("format r1"), std::string::npos);
  EXPECT_NE(text.find("\\boxed{}"), std::string::npos);
}

}  // namespace
}  // namespace r1b::tasks
