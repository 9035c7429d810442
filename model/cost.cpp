#include "model/cost.h"

namespace r1b::model {

double causal_pairs(const SeqWork& work) {
  const auto n = static_cast<double>(work.num_new_tokens);
  const auto context = static_cast<double>(work.context_len);
  return n * (context - n) + n * (n + 1.0) / 2.0;
}

int64_t total_new_tokens(std::span<const SeqWork> batch) {
  int64_t total = 0;
  for (const SeqWork& work : batch) total += work.num_new_tokens;
  return total;
}

}  // namespace r1b::model
