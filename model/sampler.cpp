#include "model/sampler.h"

#include <algorithm>
#include <cmath>

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
  // The kept tokens are a prefix of the order "descending logit, ties by id". Nothing needs the
  // whole order: top-k is one selection, and the nucleus is found by bisecting with selections on
  // shrinking ranges (expected linear time, where a full sort of a 152k vocabulary took ~17 ms).
  struct Candidate {
    int32_t id;
    double weight;
  };
  auto before = [&](const Candidate& a, const Candidate& b) {
    return logits[a.id] > logits[b.id] || (logits[a.id] == logits[b.id] && a.id < b.id);
  };
  std::vector<Candidate> candidates(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) candidates[i] = {static_cast<int32_t>(i), 0.0};
  auto first = candidates.begin();
  size_t kept = candidates.size();
  if (params.top_k > 0 && static_cast<size_t>(params.top_k) < kept) {
    kept = static_cast<size_t>(params.top_k);
    std::nth_element(first, first + static_cast<std::ptrdiff_t>(kept), candidates.end(), before);
  }
  const double max_logit = logits[argmax(logits)];
  double total = 0.0;
  for (size_t i = 0; i < kept; ++i) {
    candidates[i].weight = std::exp((static_cast<double>(logits[candidates[i].id]) - max_logit) / params.temperature);
    total += candidates[i].weight;
  }
  if (params.top_p < 1.0f) {
    // Smallest prefix whose weight reaches top_p · total: [0, lo) is inside it (weight `inside`),
    // [hi, kept) outside, and the boundary lies in (lo, hi].
    const double need = params.top_p * total;
    size_t lo = 0, hi = kept;
    double inside = 0.0;
    constexpr size_t kSortBelow = 64;
    while (hi - lo > kSortBelow) {
      const size_t mid = lo + (hi - lo) / 2;
      std::nth_element(first + static_cast<std::ptrdiff_t>(lo), first + static_cast<std::ptrdiff_t>(mid),
                       first + static_cast<std::ptrdiff_t>(hi), before);
      double upper = 0.0;
      for (size_t i = lo; i < mid; ++i) upper += candidates[i].weight;
      if (inside + upper >= need) {
        hi = mid;
      } else {
        inside += upper;
        lo = mid;
      }
    }
    std::sort(first + static_cast<std::ptrdiff_t>(lo), first + static_cast<std::ptrdiff_t>(hi), before);
    size_t nucleus = lo;
    while (nucleus < hi && inside < need) inside += candidates[nucleus++].weight;
    // nucleus is 0 only when lo is 0, and then [0, hi) is sorted: entry 0 is the top token.
    kept = std::max<size_t>(1, nucleus);
    total = 0.0;
    for (size_t i = 0; i < kept; ++i) total += candidates[i].weight;
  }
  for (size_t i = 0; i < kept; ++i) probs[candidates[i].id] = candidates[i].weight / total;
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
