#include "model/chat_format.h"

#include <algorithm>
#include <array>
#include <optional>

namespace r1b::model {

namespace {

struct FormatSpec {
  ChatFormatKind kind;
  std::string_view name;
  bool opens_think;
  std::vector<std::string_view> markers;      // tokens the format writes (all must exist)
  std::vector<std::string_view> stop_tokens;  // tokens that end the turn (those that exist)
};

const std::array<FormatSpec, 4>& format_specs() {
  static const std::array<FormatSpec, 4> kSpecs = {{
      {ChatFormatKind::kDeepSeek, "r1", true,
       {"<｜begin▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>"},
       {"<｜end▁of▁sentence｜>"}},
      {ChatFormatKind::kDeepSeek, "deepseek_v3", false,
       {"<｜begin▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>"},
       {"<｜end▁of▁sentence｜>"}},
      {ChatFormatKind::kQwen2, "qwen2", false, {"<|im_start|>", "<|im_end|>"}, {"<|im_end|>", "<|endoftext|>"}},
      {ChatFormatKind::kLlama3, "llama3", false,
       {"<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"},
       {"<|eot_id|>", "<|end_of_text|>", "<|eom_id|>"}},
  }};
  return kSpecs;
}

std::optional<int32_t> added_token_id(const Tokenizer& tokenizer, std::string_view content) {
  for (const AddedToken& token : tokenizer.added_tokens()) {
    if (token.content == content) return token.id;
  }
  return std::nullopt;
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// The known ways a Jinja template can differ from the built-in format, as one line ("" if none).
std::string template_differences(const FormatSpec& spec, std::string_view jinja) {
  if (jinja.empty()) return "";
  std::vector<std::string> differences;
  for (std::string_view marker : spec.markers) {
    // The BOS marker is usually written as {{ bos_token }}.
    if (marker == "<｜begin▁of▁sentence｜>" || marker == "<|begin_of_text|>") continue;
    if (!contains(jinja, marker)) differences.push_back("it never writes " + std::string(marker));
  }
  const bool template_opens_think = contains(jinja, "<think>\\n") || contains(jinja, "<think>\n");
  if (spec.kind == ChatFormatKind::kDeepSeek && spec.opens_think && !template_opens_think) {
    differences.emplace_back("it does not open the assistant turn with <think>\\n (r1bench does, as DeepSeek advises "
                             "for R1 models)");
  }
  if (contains(jinja, "You are Qwen") || contains(jinja, "You are a helpful assistant")) {
    differences.emplace_back("it adds a default system prompt when none is given (r1bench adds none)");
  }
  if (contains(jinja, "Cutting Knowledge Date")) {
    differences.emplace_back("it adds a dated system header (r1bench adds none)");
  }
  if (differences.empty()) return "";
  std::string line = "tokenizer_config.json's chat_template differs from r1bench's built-in \"" +
                     std::string(spec.name) + "\" format, which is used: ";
  for (size_t i = 0; i < differences.size(); ++i) line += (i == 0 ? "" : "; ") + differences[i];
  return line;
}

Result<ChatFormat> build(const Tokenizer& tokenizer, const FormatSpec& spec) {
  for (std::string_view marker : spec.markers) {
    if (!added_token_id(tokenizer, marker)) {
      return Status::invalid_input("chat format \"" + std::string(spec.name) + "\" writes " + std::string(marker) +
                                   ", which is not a token of this tokenizer (pick another format)");
    }
  }
  ChatFormat format;
  format.kind = spec.kind;
  format.name = std::string(spec.name);
  format.opens_think = spec.opens_think;
  for (std::string_view stop : spec.stop_tokens) {
    if (auto id = added_token_id(tokenizer, stop)) {
      format.stop_ids.push_back(*id);
      format.stop_strings.emplace_back(stop);
    }
  }
  if (auto eos = tokenizer.eos_id(); eos && std::find(format.stop_ids.begin(), format.stop_ids.end(), *eos) ==
                                                format.stop_ids.end()) {
    format.stop_ids.push_back(*eos);
    format.stop_strings.push_back(tokenizer.decode(std::span<const int32_t>(&*eos, 1)));
  }
  format.template_warning = template_differences(spec, tokenizer.chat_template());
  return format;
}

}  // namespace

Result<ChatFormat> chat_format_by_name(const Tokenizer& tokenizer, std::string_view name) {
  for (const FormatSpec& spec : format_specs()) {
    if (spec.name == name) return build(tokenizer, spec);
  }
  return Status::invalid_input("unknown chat format \"" + std::string(name) +
                               "\" (known: r1, deepseek_v3, qwen2, llama3)");
}

Result<ChatFormat> select_chat_format(const Tokenizer& tokenizer) {
  // The first spec whose markers all exist wins, DeepSeek before qwen2 (an R1-Distill-Qwen
  // tokenizer may keep Qwen's ChatML tokens but uses DeepSeek's format). A DeepSeek checkpoint is
  // r1 when it reasons: its tokenizer has a <think> token or its template writes one.
  const bool reasons = added_token_id(tokenizer, "<think>").has_value() || contains(tokenizer.chat_template(), "<think>");
  for (const FormatSpec& spec : format_specs()) {
    bool fits = spec.kind != ChatFormatKind::kDeepSeek || spec.opens_think == reasons;
    for (std::string_view marker : spec.markers) fits = fits && added_token_id(tokenizer, marker).has_value();
    if (fits) return build(tokenizer, spec);
  }
  return Status::invalid_input(
      "cannot tell the chat format from the tokenizer: it has none of <｜User｜>+<｜Assistant｜> (DeepSeek), "
      "<|start_header_id|>+<|eot_id|> (Llama 3), <|im_start|>+<|im_end|> (Qwen2); name the format explicitly");
}

std::string render_chat_prompt(const ChatFormat& format, const ChatTurns& turns) {
  std::string out;
  switch (format.kind) {
    case ChatFormatKind::kDeepSeek:
      out = "<｜begin▁of▁sentence｜>" + turns.system + "<｜User｜>" + turns.user + "<｜Assistant｜>";
      if (format.opens_think) out += "<think>\n";
      break;
    case ChatFormatKind::kQwen2:
      if (!turns.system.empty()) out = "<|im_start|>system\n" + turns.system + "<|im_end|>\n";
      out += "<|im_start|>user\n" + turns.user + "<|im_end|>\n<|im_start|>assistant\n";
      break;
    case ChatFormatKind::kLlama3:
      out = "<|begin_of_text|>";
      if (!turns.system.empty()) out += "<|start_header_id|>system<|end_header_id|>\n\n" + turns.system + "<|eot_id|>";
      out += "<|start_header_id|>user<|end_header_id|>\n\n" + turns.user +
             "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
      break;
  }
  return out;
}

}  // namespace r1b::model
