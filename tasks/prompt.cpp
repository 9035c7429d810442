#include "tasks/prompt.h"

#include <array>

namespace r1b::tasks {

namespace {

constexpr std::string_view kMathInstruction =
    "Please reason step by step, and put your final answer within \\boxed{}.";
constexpr std::string_view kChoiceInstruction =
    "Answer the following multiple choice question. Think step by step before answering. "
    "The last line of your response must be of the form \"Answer: LETTER\" (without quotes), "
    "where LETTER is the letter of the correct option.";
constexpr std::string_view kCodeInstruction =
    "Solve the following programming problem. Read from standard input and write to standard output. "
    "Think step by step, then give the complete solution as one fenced code block (```cpp or ```python) "
    "at the end of your response.";
constexpr std::string_view kPatchInstruction =
    "Fix the issue described below in the given repository. Think step by step, then give the fix as one "
    "unified diff (as produced by `git diff`) in a fenced ```diff block at the end of your response.";

struct FormatSpec {
  ChatFormat format;
  std::string_view name;
  std::string_view before;  // text before the user message
  std::string_view after;   // text after it (the assistant turn opener)
};

constexpr std::array<FormatSpec, 4> kFormats = {{
    {ChatFormat::kR1, "r1", "<｜begin▁of▁sentence｜><｜User｜>", "<｜Assistant｜><think>\n"},
    {ChatFormat::kQwen2, "qwen2", "<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n"},
    {ChatFormat::kLlama3, "llama3", "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n",
     "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
    {ChatFormat::kPlain, "plain", "", ""},
}};

const FormatSpec& spec_of(ChatFormat format) {
  for (const FormatSpec& s : kFormats) {
    if (s.format == format) return s;
  }
  return kFormats.back();
}

}  // namespace

std::optional<ChatFormat> parse_chat_format(std::string_view name) {
  for (const FormatSpec& s : kFormats) {
    if (s.name == name) return s.format;
  }
  return std::nullopt;
}

std::string_view chat_format_name(ChatFormat format) { return spec_of(format).name; }

std::string user_message(const Task& task) {
  std::string out;
  switch (task.kind) {
    case TaskKind::kMath:
      out = task.prompt + "\n" + std::string(kMathInstruction);
      break;
    case TaskKind::kChoice:
      out = std::string(kChoiceInstruction) + "\n\n" + task.prompt + "\n";
      for (size_t i = 0; i < task.choices.size(); ++i) {
        out += "\n" + std::string(1, static_cast<char>('A' + i)) + ") " + task.choices[i];
      }
      break;
    case TaskKind::kCode:
      out = std::string(kCodeInstruction) + "\n\n" + task.prompt;
      break;
    case TaskKind::kPatch:
      out = std::string(kPatchInstruction) + "\n\n" + task.prompt;
      break;
  }
  return out;
}

std::string render_prompt(ChatFormat format, const Task& task) {
  const FormatSpec& s = spec_of(format);
  return std::string(s.before) + user_message(task) + std::string(s.after);
}

std::string template_text(ChatFormat format) {
  const FormatSpec& s = spec_of(format);
  std::string out = "format " + std::string(s.name) + ": " + std::string(s.before) + "{user}" + std::string(s.after);
  out += "\nmath: {problem}\\n" + std::string(kMathInstruction);
  out += "\nchoice: " + std::string(kChoiceInstruction) + "\\n\\n{question}\\n\\nA) {option A}\\nB) ...";
  out += "\ncode: " + std::string(kCodeInstruction) + "\\n\\n{statement}";
  out += "\npatch: " + std::string(kPatchInstruction) + "\\n\\n{issue}";
  return out;
}

}  // namespace r1b::tasks
