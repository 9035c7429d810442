// Token sampling: greedy, temperature, top-k and top-p, with a per-sample seeded generator.
//
// Order as transformers applies its logits warpers: temperature, then top-k (keep the k most
// likely), then top-p (keep the smallest most-likely set whose probability reaches top_p; at least
// one token). Ties keep the lower token id first. temperature <= 0 is greedy: the first argmax,
// drawing nothing from the generator. A sample's tokens depend only on its logits and its own
// generator, so they do not change with the batch it runs in.
//
// Pure functions; SampleRng is a small value type (not shared between threads).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace r1b::model {

struct SamplingParams {
  float temperature = 0.0f;  // <= 0: greedy
  float top_p = 1.0f;        // 1: off
  int64_t top_k = 0;         // 0: off
  uint64_t seed = 0;
};

// SplitMix64: portable, so a seed means the same draws on every platform.
class SampleRng {
 public:
  explicit SampleRng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  // Uniform in [0, 1) with 53 random bits.
  double next_uniform();

 private:
  uint64_t state_;
};

// The seed of sample `sample_index` of a request seeded with `seed`.
uint64_t sample_seed(uint64_t seed, int64_t sample_index);

// Probabilities after temperature / top-k / top-p (removed tokens are 0; sums to 1). Greedy gives
// a one-hot vector at the argmax.
std::vector<double> sampling_distribution(std::span<const float> logits, const SamplingParams& params);

// One token id drawn from sampling_distribution() (greedy draws nothing).
int32_t sample_token(std::span<const float> logits, const SamplingParams& params, SampleRng& rng);

}  // namespace r1b::model
