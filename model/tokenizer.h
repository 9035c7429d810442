// Tokenizer: the byte-level BPE tokenizers of the model families r1bench runs (Qwen2 / Qwen3,
// DeepSeek-V3 / R1, Llama 3), loaded from a Hugging Face tokenizer.json and reproducing the
// ids of Hugging Face `tokenizers` exactly (encode with add_special_tokens=False).
//
// encode() runs the pipeline of `tokenizers`:
//   1. added tokens with "normalized": false are split out of the raw text (tokenizer_added_tokens.h);
//   2. each remaining piece is normalized (NFC for Qwen, nothing for DeepSeek; ICU);
//   3. added tokens with "normalized": true are split out of the normalized pieces;
//   4. the pre-tokenizer's Split regexes cut the rest into words (ICU regex, tokenizer_pretokenizer.h);
//   5. each word becomes byte-level symbols merged by BPE rank (tokenizer_bpe.h), through a word cache.
// Input that is not valid UTF-8 is first repaired: each ill-formed sequence becomes U+FFFD
// (maximal-subpart rule), which is what Python's errors="replace" hands `tokenizers`.
// The post-processor is not applied: encode() never adds BOS/EOS (see add_bos_token()).
//
// decode() maps ids back to bytes (ByteLevel inverse; "<0xHH>" pieces when the model has
// byte_fallback), then turns ill-formed UTF-8 into U+FFFD. Unknown ids are skipped, as in
// `tokenizers`.
//
// Thread-safety: all const methods may be called concurrently (the BPE word cache inside is
// guarded by its own mutex). Movable, not copyable; a moved-from Tokenizer may only be destroyed
// or assigned to.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/tokenizer_added_tokens.h"

namespace r1b::model {

class Tokenizer {
 public:
  // Loads `tokenizer_json` and, when present beside it, tokenizer_config.json (for bos_token,
  // eos_token, add_bos_token and chat_template) and chat_template.jinja (the template, when the
  // config has none). Fails with kNotFound when the file is missing, kIOError when it cannot be
  // read, and kInvalidInput (naming the file, and the JSON field or byte offset) when it is not
  // JSON, a field is missing or malformed, or the model, normalizer, pre-tokenizer or decoder
  // type is not supported (only byte-level BPE is). Takes about 0.5 s for a 150k-token vocabulary.
  static Result<Tokenizer> load(const std::filesystem::path& tokenizer_json);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;
  ~Tokenizer();

  // The ids of `text` (any bytes; see above for invalid UTF-8). With parse_special = false,
  // special added tokens written in the text are encoded as plain text (as `tokenizers` does
  // with split_special_tokens); non-special added tokens such as Qwen3's "<think>" still match.
  std::vector<int32_t> encode(std::string_view text, bool parse_special = true) const;

  // The text of `ids`, always valid UTF-8. With skip_special, special added tokens are left out.
  // decode(encode(x)) is x after the normalizer (x itself for DeepSeek, NFC(x) for Qwen).
  std::string decode(std::span<const int32_t> ids, bool skip_special = false) const;

  // The raw bytes one token stands for (possibly a partial UTF-8 sequence, for streaming);
  // empty for an unknown id.
  std::string token_to_piece(int32_t id) const;

  // One more than the largest id of the vocabulary and the added tokens.
  int32_t vocab_size() const;

  // The id of a token written as its vocabulary string (an added token's content, or a BPE
  // vocabulary entry in byte-level form), if any.
  std::optional<int32_t> token_id(std::string_view token) const;

  // True when `id` is an added token marked "special".
  bool is_special(int32_t id) const;

  // The added tokens, in file order. Borrowed; valid while this Tokenizer lives.
  const std::vector<AddedToken>& added_tokens() const;

  // bos_token / eos_token of tokenizer_config.json, when it names a known token.
  std::optional<int32_t> bos_id() const;
  std::optional<int32_t> eos_id() const;

  // add_bos_token of tokenizer_config.json (false when absent).
  bool add_bos_token() const;

  // The Jinja chat_template of tokenizer_config.json ("" when absent; for a list of named
  // templates, the one named "default", else the first).
  const std::string& chat_template() const;

 private:
  struct State;  // the loaded pipeline and tables (tokenizer.cpp); immutable after load
  explicit Tokenizer(std::unique_ptr<State> state);
  void encode_plain(std::string_view text, std::vector<int32_t>& ids) const;

  std::unique_ptr<State> state_;
};

}  // namespace r1b::model
