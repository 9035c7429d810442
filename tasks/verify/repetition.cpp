#include "tasks/verify/repetition.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <functional>
#include <unordered_set>
#include <vector>

namespace r1b::tasks {

RepetitionReport detect_repetition(std::string_view text) {
  RepetitionReport report;
  std::vector<std::string_view> words;
  // Walk backwards to keep only the last kMaxRepetitionWords words.
  size_t end = text.size();
  while (end > 0 && words.size() < kMaxRepetitionWords) {
    while (end > 0 && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
    size_t begin = end;
    while (begin > 0 && !std::isspace(static_cast<unsigned char>(text[begin - 1]))) --begin;
    if (begin < end) words.push_back(text.substr(begin, end - begin));
    end = begin;
  }
  std::reverse(words.begin(), words.end());
  report.num_words = words.size();
  if (words.size() < kRepetitionNgram) return report;
  size_t num_ngrams = words.size() - kRepetitionNgram + 1;
  std::vector<uint64_t> word_hash(words.size());
  for (size_t k = 0; k < words.size(); ++k) word_hash[k] = std::hash<std::string_view>{}(words[k]);
  std::unordered_set<uint64_t> seen;
  seen.reserve(num_ngrams * 2);
  std::vector<bool> repeated(num_ngrams, false);
  size_t num_repeated = 0;
  for (size_t k = 0; k < num_ngrams; ++k) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t j = 0; j < kRepetitionNgram; ++j) h = (h ^ word_hash[k + j]) * 1099511628211ULL;
    if (!seen.insert(h).second) {
      repeated[k] = true;
      ++num_repeated;
    }
  }
  report.repeated_share = static_cast<double>(num_repeated) / static_cast<double>(num_ngrams);
  size_t tail = std::min(kTailNgrams, std::max<size_t>(1, num_ngrams / 4));
  size_t tail_repeated = 0;
  for (size_t k = num_ngrams - tail; k < num_ngrams; ++k) tail_repeated += repeated[k];
  report.tail_repeated_share = static_cast<double>(tail_repeated) / static_cast<double>(tail);
  report.looping = tail >= kMinTailNgrams && report.tail_repeated_share >= 0.9;
  return report;
}

}  // namespace r1b::tasks
