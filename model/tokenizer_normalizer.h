// Normalizer: the "normalizer" of a tokenizer.json (private to model/), through ICU Normalizer2.
//
// Supported: null, "NFC", "NFD", "NFKC", "NFKD" and a "Sequence" of those (an empty Sequence,
// as in DeepSeek-V3, changes nothing). Any other type is a load error.
// Thread-safety: const and stateless after construction (ICU's normalizer singletons are
// immutable); safe to share between threads. Copyable.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <unicode/normalizer2.h>

#include "base/status.h"

namespace r1b::model {

class Normalizer {
 public:
  // Builds the normalizer from the "normalizer" value of tokenizer.json (may be null).
  // `file` names the file in messages. Fails (kInvalidInput) on an unsupported type.
  static Result<Normalizer> from_json(const nlohmann::json& normalizer, const std::string& file);

  // Normalizes valid UTF-8 `text`: returns `text` itself when it is already normalized,
  // otherwise a view of `scratch`, which receives the normalized text.
  std::string_view normalize(std::string_view text, std::string& scratch) const;

 private:
  std::vector<const icu::Normalizer2*> steps_;  // ICU singletons, owned by ICU, never freed
};

}  // namespace r1b::model
