// Chat formats: how the in-tree engine wraps a conversation (optional system message, one user
// message, the assistant turn opener) for the model family of a checkpoint, and which tokens
// end the assistant's turn.
//
//   r1           <｜begin▁of▁sentence｜>{system}<｜User｜>{user}<｜Assistant｜><think>\n
//   deepseek_v3  <｜begin▁of▁sentence｜>{system}<｜User｜>{user}<｜Assistant｜>
//   qwen2        [<|im_start|>system\n{system}<|im_end|>\n]<|im_start|>user\n{user}<|im_end|>\n
//                <|im_start|>assistant\n
//   llama3       <|begin_of_text|>[<|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>]
//                <|start_header_id|>user<|end_header_id|>\n\n{user}<|eot_id|>
//                <|start_header_id|>assistant<|end_header_id|>\n\n
// Without a system message these are the r1 / qwen2 / llama3 texts of tasks/prompt.h, so the
// engine and an HTTP backend see the same prompt. No default system prompt is ever added.
//
// The format is picked from the tokenizer's added tokens (tokenizer.json / tokenizer_config.json):
// <｜User｜> and <｜Assistant｜> mean DeepSeek (r1 when the tokenizer has a <think> token or the
// chat_template writes <think>, as for R1 and the R1-Distill models, else deepseek_v3); <|start_header_id|> and <|eot_id|> mean llama3;
// <|im_start|> and <|im_end|> mean qwen2. The Jinja chat_template is not run: it is only checked
// for the known ways it can differ from the built-in format (a marker the format uses is absent,
// a default system prompt, a dated system header, the <think> opener), and a difference becomes
// ChatFormat::template_warning. The check is textual: a template without a warning is not proven
// identical.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/tokenizer.h"

namespace r1b::model {

enum class ChatFormatKind { kDeepSeek, kQwen2, kLlama3 };

struct ChatFormat {
  ChatFormatKind kind = ChatFormatKind::kDeepSeek;
  std::string name;                        // "r1", "deepseek_v3", "qwen2" or "llama3"
  bool opens_think = false;                // r1: the assistant turn starts with "<think>\n"
  std::vector<int32_t> stop_ids;           // tokens that end the assistant turn (and the EOS token)
  std::vector<std::string> stop_strings;   // their texts, in the same order
  // "" when tokenizer_config.json has no chat_template or no difference was found; otherwise one
  // line naming the format used and each difference, for the caller to print once.
  std::string template_warning;
};

// One single-turn conversation. An empty `system` means no system message.
struct ChatTurns {
  std::string system;
  std::string user;
};

// Picks the chat format from the tokenizer's special tokens (see above). Fails (kInvalidInput)
// when the tokenizer has the markers of none of the formats; the message lists what was looked
// for and says to name the format explicitly.
Result<ChatFormat> select_chat_format(const Tokenizer& tokenizer);

// The named format ("r1", "deepseek_v3", "qwen2", "llama3") for `tokenizer`. Fails
// (kInvalidInput) on an unknown name, or when the tokenizer lacks a token the format writes.
Result<ChatFormat> chat_format_by_name(const Tokenizer& tokenizer, std::string_view name);

// The prompt text of `turns` in `format`, ending with the assistant turn opener. It already starts
// with the BOS token where the format has one (r1, deepseek_v3, llama3): do not add another, even
// when Tokenizer::add_bos_token() is true. Encode it with parse_special = true so that the
// format's markers become their token ids.
std::string render_chat_prompt(const ChatFormat& format, const ChatTurns& turns);

}  // namespace r1b::model
