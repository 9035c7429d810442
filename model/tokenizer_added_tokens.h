// Added tokens (private to model/): the "added_tokens" of a tokenizer.json, which are split out
// of the text before normalization and BPE, as Hugging Face `tokenizers` does.
//
// AddedTokenMatcher finds them leftmost-longest (the Aho-Corasick LeftmostLongest semantics of
// `tokenizers`), non-overlapping, then applies each token's flags: single_word drops a match
// that touches a word character (\w) on either side; lstrip / rstrip make the token swallow the
// whitespace (\s) to its left / right, which then yields no ids.
// Thread-safety: const after construction; safe to share between threads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace r1b::model {

struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool special = false;      // skipped by decode(skip_special) and by encode(parse_special=false)
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;   // matched in normalized text (true) or in the raw input (false)
};

// A piece of text: an added token (token != nullptr) or plain text [begin, end).
struct TextSegment {
  size_t begin = 0;
  size_t end = 0;
  const AddedToken* token = nullptr;
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  // Matches each token by its paired text (its content, or its normalized content). The
  // tokens are borrowed and must outlive the matcher.
  explicit AddedTokenMatcher(const std::vector<std::pair<std::string, const AddedToken*>>& tokens);

  // Appends the segments of `text` to `segments`, in order and covering all of it. With
  // `skip_special`, matches of special tokens are left in the plain text (and, as in
  // `tokenizers`, a skipped match still hides any token that starts inside it).
  void split(std::string_view text, bool skip_special, std::vector<TextSegment>& segments) const;

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // byte -> node index
    const AddedToken* token = nullptr;                  // set when a token ends here
  };
  // The end and token of the longest match starting at `pos`, or {pos, nullptr}.
  std::pair<size_t, const AddedToken*> longest_match(std::string_view text, size_t pos) const;

  std::vector<Node> nodes_{1};           // nodes_[0] is the root
  std::array<bool, 256> first_byte_{};   // bytes that start some token
};

}  // namespace r1b::model
