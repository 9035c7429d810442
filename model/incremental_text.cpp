#include "model/incremental_text.h"

#include "model/tokenizer_utf8.h"

namespace r1b::model {

PendingText IncrementalText::next(const Detokenize& decode, std::span<const int32_t> tokens) {
  PendingText pending;
  pending.text = decode(tokens.subspan(settled_tokens_));
  pending.settled = !pending.text.ends_with(kReplacementChar);
  if (pending.settled) settled_tokens_ = tokens.size();
  return pending;
}

}  // namespace r1b::model
