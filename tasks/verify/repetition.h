// Repetition detection for looping generations (reported per sample).
//
// Contract: a pure function, thread-safe, never throws; reads at most the last
// kMaxRepetitionWords words, so its cost is bounded whatever the completion length.
// Measure: the text is split on whitespace; each window of kRepetitionNgram consecutive words is
// an n-gram. repeated_share is the share of n-grams that already occurred earlier in the text;
// tail_repeated_share is the same over the last quarter (at most kTailNgrams n-grams).
// A generation is looping when its tail is almost all repeats (tail_repeated_share >= 0.9 over
// at least kMinTailNgrams n-grams): it is cycling rather than reasoning.
#pragma once

#include <cstddef>
#include <string_view>

namespace r1b::tasks {

inline constexpr size_t kRepetitionNgram = 8;
inline constexpr size_t kMaxRepetitionWords = 50000;
inline constexpr size_t kTailNgrams = 2000;
inline constexpr size_t kMinTailNgrams = 30;

struct RepetitionReport {
  size_t num_words = 0;               // words read (capped)
  double repeated_share = 0.0;        // 0..1
  double tail_repeated_share = 0.0;   // 0..1
  bool looping = false;
};

RepetitionReport detect_repetition(std::string_view text);

}  // namespace r1b::tasks
