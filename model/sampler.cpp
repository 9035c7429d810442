#include "model/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace r1b::model {

namespace {

int32_t argmax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

}  // namespace

uint64_t SampleRng::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double SampleRng::next_uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

uint64_t sample_seed(uint64_t seed, int64_t sample_index) {
  SampleRng mixer(seed ^ (0xD1B54A32D192ED03ull * static_cast<uint64_t>(sample_index + 1)));
  return mixer.next();
}

std::vector<double> sampling_distribution(std::span<const float> logits, const SamplingParams& params) {
  std::vector<double> probs(logits.size(), 0.0);
  if (logits.empty()) return probs;
  if (params.temperature <= 0.0f) {
    probs[argmax(logits)] = 1.0;
    return probs;
  }
  // Tokens by descending logit, ties by id.
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  size_t kept = order.size();
  if (params.top_k > 0) kept = std::min<size_t>(kept, static_cast<size_t>(params.top_k));

  const double max_logit = logits[order[0]];
  std::vector<double> weights(kept);
  double total = 0.0;
  for (size_t i = 0; i < kept; ++i) {
    weights[i] = std::exp((static_cast<double>(logits[order[i]]) - max_logit) / params.temperature);
    total += weights[i];
  }
  if (params.top_p < 1.0f) {
    double cumulative = 0.0;
    size_t nucleus = 0;
    while (nucleus < kept && cumulative < params.top_p * total) cumulative += weights[nucleus++];
    kept = std::max<size_t>(1, nucleus);
    total = std::accumulate(weights.begin(), weights.begin() + static_cast<std::ptrdiff_t>(kept), 0.0);
  }
  for (size_t i = 0; i < kept; ++i) probs[order[i]] = weights[i] / total;
  return probs;
}

int32_t sample_token(std::span<const float> logits, const SamplingParams& params, SampleRng& rng) {
  if (params.temperature <= 0.0f) return argmax(logits);
  const std::vector<double> probs = sampling_distribution(logits, params);
  const double target = rng.next_uniform();
  double cumulative = 0.0;
  int32_t last_nonzero = 0;
  for (size_t id = 0; id < probs.size(); ++id) {
    if (probs[id] == 0.0) continue;
    cumulative += probs[id];
    last_nonzero = static_cast<int32_t>(id);
    if (target < cumulative) return last_nonzero;
  }
  return last_nonzero;  // rounding left the total just under 1
}

}  // namespace r1b::model
