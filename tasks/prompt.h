// Prompt templates: how a task becomes the text (or chat messages) sent to a model.
//
// A template has two parts:
//   - the instruction, chosen by task kind: math appends "Please reason step by step, and put
//     your final answer within \boxed{}."; choice lists the options as "A) ..." and asks for a
//     final "Answer: LETTER" line; code asks for one fenced solution; patch for a unified diff;
//   - the chat format of the model family, wrapping the instructed user message:
//       r1      <｜begin▁of▁sentence｜><｜User｜>{user}<｜Assistant｜><think>\n
//       qwen2   <|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n
//       llama3  <|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{user}<|eot_id|>
//               <|start_header_id|>assistant<|end_header_id|>\n\n
//       plain   {user}
//     For a chat endpoint the format is the server's own: only the user message is sent.
// The template's name and its text (template_text()) are stored with every run.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tasks/task.h"

namespace r1b::tasks {

enum class ChatFormat { kR1, kQwen2, kLlama3, kPlain };

std::optional<ChatFormat> parse_chat_format(std::string_view name);
std::string_view chat_format_name(ChatFormat format);

// The user message for a task: the problem with its kind's instruction.
std::string user_message(const Task& task);

// The full prompt text for a completion endpoint or the in-tree engine.
std::string render_prompt(ChatFormat format, const Task& task);

// A human-readable description of the whole template (format wrapper and every instruction),
// stored with the run so a reader knows exactly what the model saw.
std::string template_text(ChatFormat format);

}  // namespace r1b::tasks
