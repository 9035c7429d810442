// PreTokenizer: the "pre_tokenizer" of a tokenizer.json (private to model/): splits normalized
// text into the words that BPE encodes one by one.
//
// Supported: "Split" (a {"Regex": ...} or {"String": ...} pattern, behavior "Isolated", not
// inverted), "ByteLevel" (add_prefix_space false; with use_regex it splits by the GPT-2 pattern
// first) and a "Sequence" of those; a ByteLevel step must be present, since the model is
// byte-level BPE. Each Split applies to every piece the previous step produced, as in
// `tokenizers`: matches and the gaps between them both become pieces, and a pattern never sees
// past the end of its piece (lookahead such as \s+(?!\S) treats a piece end as end of text).
//
// The patterns are Oniguruma syntax (what `tokenizers` runs); they run on ICU regex over UTF-16,
// after one rewrite: \s and \S become \p{White_Space} and \P{White_Space}, because ICU's \s
// leaves out U+000B and U+0085, which Oniguruma's includes.
//
// Thread-safety: split() is const and safe to call concurrently (each call builds its own
// matchers from the shared, immutable compiled patterns). Movable, not copyable.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <unicode/regex.h>

#include "base/status.h"

namespace r1b::model {

class PreTokenizer {
 public:
  // Builds the pre-tokenizer from the "pre_tokenizer" value of tokenizer.json. `file` names the
  // file in messages. Fails (kInvalidInput) on an unsupported type or option, a pattern ICU
  // cannot compile, or when no ByteLevel step is present.
  static Result<PreTokenizer> from_json(const nlohmann::json& pre_tokenizer, const std::string& file);

  // Appends the words of valid UTF-8 `text`, as views into `text`, to `words`.
  void split(std::string_view text, std::vector<std::string_view>& words) const;

  // The Oniguruma pattern rewritten for ICU (see above). Exposed for tests.
  static std::string icu_pattern_for_testing(std::string_view oniguruma_pattern);

 private:
  std::vector<std::unique_ptr<icu::RegexPattern>> patterns_;  // applied in order
};

}  // namespace r1b::model
