// IncrementalText: the text of a growing token sequence, decoded a few tokens at a time. The
// engine's stop-string check (Engine::append_token) and `serve`'s streamed deltas
// (harness/engine_generator.cpp) take each new token's text this way, rather than decoding the
// whole completion again per token (~5·10^8 token decodes for a 32k-token completion).
//
// Contract of `decode` (as EngineOptions::detokenize states it): decode(a ++ b) == decode(a) +
// decode(b) whenever decode(a) is empty or does not end in U+FFFD. Tokenizer::decode has it: it
// concatenates the tokens' bytes and replaces each ill-formed UTF-8 subpart by U+FFFD, scanning
// left to right; a whole, valid character is decided by its own bytes and leaves the scan at its
// start state, and each replacement before the last character is decided by bytes before that
// character. So when decode(a) ends in a character other than U+FFFD, decoding a ++ b scans a's
// bytes exactly as alone, then b's. A trailing U+FFFD (a character split across tokens, a stray
// byte, or a literal U+FFFD) may still change, so the tokens it came from stay pending.
//
// Thread-safety: none (one sequence's state, used by one thread at a time).
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>

namespace r1b::model {

using Detokenize = std::function<std::string(std::span<const int32_t>)>;

// What next() decoded: the text of the pending tokens (those after the settled ones), and whether
// it is final (empty, or ending in a whole character other than U+FFFD).
struct PendingText {
  std::string text;
  bool settled = false;
};

class IncrementalText {
 public:
  // decode(tokens after the settled ones). When that text is final the pending tokens become
  // settled, so decode(tokens) is the settled calls' texts concatenated in order, followed by
  // the last call's text (by the contract above). Invariant: decode(settled tokens) is empty or
  // ends in a whole character other than U+FFFD. Cost: one decode of the pending tokens (one
  // token, or the few of a split character; k of them after k tokens in a row that each end in
  // U+FFFD).
  PendingText next(const Detokenize& decode, std::span<const int32_t> tokens);

 private:
  std::size_t settled_tokens_ = 0;
};

}  // namespace r1b::model
