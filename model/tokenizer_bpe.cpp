#include "model/tokenizer_bpe.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <mutex>
#include <queue>
#include <shared_mutex>
#include <span>

#include <nlohmann/json.hpp>

#include "model/tokenizer_byte_level.h"

namespace r1b::model {

// word bytes -> ids, for words up to kMaxWordBytes long; stops growing at kCapacity entries
// (as the cache of `tokenizers` does) so memory stays bounded on adversarial input.
class BpeWordCache {
 public:
  static constexpr size_t kCapacity = 1 << 17;
  static constexpr size_t kMaxWordBytes = 128;

  bool lookup(std::string_view word, std::vector<int32_t>& ids) const {
    std::shared_lock lock(mutex_);
    auto it = entries_.find(word);
    if (it == entries_.end()) return false;
    ids.insert(ids.end(), it->second.begin(), it->second.end());
    return true;
  }

  void insert(std::string_view word, std::span<const int32_t> word_ids) {
    std::unique_lock lock(mutex_);
    if (entries_.size() >= kCapacity) return;
    entries_.try_emplace(std::string(word), word_ids.begin(), word_ids.end());
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::vector<int32_t>, Hash, std::equal_to<>> entries_;  // guarded by mutex_
};

namespace {

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

Status field_error(const std::string& file, const std::string& field, const std::string& what) {
  return Status::invalid_input(file + ": field \"" + field + "\": " + what +
                               " (is this a Hugging Face tokenizer.json?)");
}

// Splits one merge entry ("a b" or ["a", "b"]) into its two tokens.
bool merge_parts(const nlohmann::json& entry, std::string* left, std::string* right) {
  if (entry.is_string()) {
    const std::string& text = entry.get_ref<const std::string&>();
    const size_t space = text.find(' ');
    if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos) return false;
    *left = text.substr(0, space);
    *right = text.substr(space + 1);
    return true;
  }
  if (entry.is_array() && entry.size() == 2 && entry[0].is_string() && entry[1].is_string()) {
    *left = entry[0].get<std::string>();
    *right = entry[1].get<std::string>();
    return true;
  }
  return false;
}

}  // namespace

BpeModel::BpeModel() : cache_(std::make_unique<BpeWordCache>()) {}
BpeModel::BpeModel(BpeModel&&) noexcept = default;
BpeModel& BpeModel::operator=(BpeModel&&) noexcept = default;
BpeModel::~BpeModel() = default;

Result<BpeModel> BpeModel::from_json(const nlohmann::json& model, const std::string& file) {
  if (!model.is_object()) return field_error(file, "model", "missing or not an object");
  const auto type = model.find("type");
  if (type == model.end() || !type->is_string()) return field_error(file, "model.type", "missing or not a string");
  if (*type != "BPE") {
    return Status::invalid_input(file + ": field \"model.type\": unsupported model type \"" +
                                 type->get<std::string>() + "\" (only byte-level \"BPE\" is supported)");
  }
  const auto vocab = model.find("vocab");
  if (vocab == model.end() || !vocab->is_object()) return field_error(file, "model.vocab", "missing or not an object");
  const auto merges = model.find("merges");
  if (merges == model.end() || !merges->is_array()) return field_error(file, "model.merges", "missing or not an array");
  for (const char* flag : {"dropout", "continuing_subword_prefix", "end_of_word_suffix"}) {
    const auto it = model.find(flag);
    const bool unset = it == model.end() || it->is_null() || (it->is_string() && it->get_ref<const std::string&>().empty());
    if (!unset) {
      return Status::invalid_input(file + ": field \"model." + flag + "\": set, but this tokenizer supports only plain "
                                   "byte-level BPE (no dropout, subword prefix or word suffix)");
    }
  }

  BpeModel bpe;
  bpe.ignore_merges_ = model.value("ignore_merges", false);
  bpe.byte_fallback_ = model.value("byte_fallback", false);
  bpe.vocab_.reserve(vocab->size());
  int32_t max_id = -1;
  for (const auto& [token, id] : vocab->items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > std::numeric_limits<int32_t>::max() / 2) {
      return field_error(file, "model.vocab[\"" + token + "\"]", "id is not a non-negative integer");
    }
    const auto token_id = id.get<int32_t>();
    bpe.vocab_.emplace(token, token_id);
    max_id = std::max(max_id, token_id);
  }
  bpe.id_to_token_.assign(static_cast<size_t>(max_id + 1), std::string());
  bpe.has_id_.assign(static_cast<size_t>(max_id + 1), false);
  for (const auto& [token, id] : bpe.vocab_) {
    bpe.id_to_token_[id] = token;
    bpe.has_id_[id] = true;
  }
  for (int byte = 0; byte < 256; ++byte) {
    const auto it = bpe.vocab_.find(std::string(byte_level_char(static_cast<uint8_t>(byte))));
    if (it == bpe.vocab_.end()) {
      return field_error(file, "model.vocab", "byte " + std::to_string(byte) +
                                                  " of the byte-level alphabet has no token (not a byte-level BPE)");
    }
    bpe.byte_ids_[byte] = it->second;
  }

  bpe.merges_.reserve(merges->size());
  std::string left;
  std::string right;
  for (size_t rank = 0; rank < merges->size(); ++rank) {
    const std::string where = "model.merges[" + std::to_string(rank) + "]";
    if (!merge_parts((*merges)[rank], &left, &right)) {
      return field_error(file, where, "not a \"left right\" string nor a [left, right] pair");
    }
    const auto left_it = bpe.vocab_.find(left);
    const auto right_it = bpe.vocab_.find(right);
    const auto merged_it = bpe.vocab_.find(left + right);
    if (left_it == bpe.vocab_.end() || right_it == bpe.vocab_.end() || merged_it == bpe.vocab_.end()) {
      return field_error(file, where, "\"" + left + "\" + \"" + right + "\" names a token missing from model.vocab");
    }
    // The first (lowest) rank of a pair wins, as in `tokenizers`.
    bpe.merges_.try_emplace(pair_key(left_it->second, right_it->second),
                            MergeTarget{static_cast<int32_t>(rank), merged_it->second});
  }
  return bpe;
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>& ids) const {
  if (word.empty()) return;
  const bool cacheable = word.size() <= BpeWordCache::kMaxWordBytes;
  if (cacheable && cache_->lookup(word, ids)) return;
  const size_t first = ids.size();
  if (ignore_merges_) {
    if (auto id = token_to_id(byte_level_encode(word))) {
      ids.push_back(*id);
      if (cacheable) cache_->insert(word, std::span<const int32_t>(ids).subspan(first));
      return;
    }
  }
  std::vector<int32_t> symbols;
  symbols.reserve(word.size());
  for (char c : word) symbols.push_back(byte_ids_[static_cast<uint8_t>(c)]);
  merge_symbols(symbols);
  ids.insert(ids.end(), symbols.begin(), symbols.end());
  if (cacheable) cache_->insert(word, std::span<const int32_t>(ids).subspan(first));
}

// Merges adjacent symbols in place, lowest rank first and leftmost first among equal ranks:
// a priority queue of candidate merges over a doubly linked list of symbols, re-checking each
// candidate when popped (its symbols may have been merged away since it was queued).
void BpeModel::merge_symbols(std::vector<int32_t>& symbols) const {
  const int count = static_cast<int>(symbols.size());
  if (count < 2) return;
  struct Candidate {
    int32_t rank;
    int position;
    int32_t merged_id;
    bool operator>(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : position > other.position;
    }
  };
  std::vector<int> prev(count);
  std::vector<int> next(count);
  std::vector<bool> alive(count, true);
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto push_candidate = [&](int position) {
    const int right = next[position];
    if (right >= count) return;
    const auto it = merges_.find(pair_key(symbols[position], symbols[right]));
    if (it != merges_.end()) queue.push({it->second.rank, position, it->second.merged_id});
  };
  for (int i = 0; i < count; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1;
  }
  for (int i = 0; i + 1 < count; ++i) push_candidate(i);
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    if (!alive[top.position]) continue;
    const int right = next[top.position];
    if (right >= count) continue;
    const auto it = merges_.find(pair_key(symbols[top.position], symbols[right]));
    if (it == merges_.end() || it->second.merged_id != top.merged_id) continue;
    symbols[top.position] = top.merged_id;
    alive[right] = false;
    next[top.position] = next[right];
    if (next[right] < count) prev[next[right]] = top.position;
    if (prev[top.position] >= 0) push_candidate(prev[top.position]);
    push_candidate(top.position);
  }
  int out = 0;
  for (int i = 0; i < count; i = next[i]) symbols[out++] = symbols[i];
  symbols.resize(out);
}

std::optional<int32_t> BpeModel::token_to_id(std::string_view token) const {
  const auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::id_to_token(int32_t id) const {
  if (id < 0 || id >= id_limit() || !has_id_[id]) return nullptr;
  return &id_to_token_[id];
}

}  // namespace r1b::model
