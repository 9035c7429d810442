// BpeModel: the byte-level BPE model of a Hugging Face tokenizer.json ("model": {"type": "BPE"}).
//
// A word (one piece from the pre-tokenizer, raw UTF-8 bytes) starts as one symbol per byte
// (the byte-level alphabet, see tokenizer_byte_level.h); adjacent symbols are then merged,
// lowest merge rank first (leftmost first among equal ranks), exactly as `tokenizers` does.
// Merges may be stored as "a b" strings or as ["a", "b"] pairs. With "ignore_merges" a word
// that is itself in the vocabulary maps to its id directly (Llama 3).
//
// Thread-safety: encode_word() and the lookups are safe to call concurrently; the word cache
// inside is guarded by its own mutex. Movable, not copyable.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"

namespace r1b::model {

class BpeWordCache;

class BpeModel {
 public:
  // Builds the model from the "model" object of tokenizer.json. `file` names the file in
  // messages. Fails (kInvalidInput) when a field is missing or of the wrong type, when the type
  // is not "BPE", when a byte of the byte-level alphabet is not in the vocabulary, or when a
  // merge names a token (or yields one) that is not in the vocabulary.
  static Result<BpeModel> from_json(const nlohmann::json& model, const std::string& file);

  BpeModel(BpeModel&&) noexcept;
  BpeModel& operator=(BpeModel&&) noexcept;
  BpeModel(const BpeModel&) = delete;
  BpeModel& operator=(const BpeModel&) = delete;
  ~BpeModel();

  // Appends the ids of `word` (raw bytes of one pre-tokenized piece) to `ids`.
  void encode_word(std::string_view word, std::vector<int32_t>& ids) const;

  // The id of a vocabulary string (byte-level text), if any.
  std::optional<int32_t> token_to_id(std::string_view token) const;

  // The vocabulary string of `id`, or nullptr when no vocabulary entry has that id.
  const std::string* id_to_token(int32_t id) const;

  // True when the model declares "byte_fallback" (then "<0xHH>" tokens stand for one byte).
  bool byte_fallback() const { return byte_fallback_; }

  // One more than the largest id in the vocabulary.
  int32_t id_limit() const { return static_cast<int32_t>(id_to_token_.size()); }

 private:
  struct MergeTarget {
    int32_t rank;
    int32_t merged_id;
  };
  BpeModel();
  void merge_symbols(std::vector<int32_t>& symbols) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::string> id_to_token_;        // "" where no entry has the id
  std::vector<bool> has_id_;
  std::unordered_map<uint64_t, MergeTarget> merges_;  // (left id << 32 | right id) -> target
  int32_t byte_ids_[256] = {};
  bool ignore_merges_ = false;
  bool byte_fallback_ = false;
  std::unique_ptr<BpeWordCache> cache_;
};

}  // namespace r1b::model
