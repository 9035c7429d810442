#include "model/device_peaks.h"

#include <cctype>
#include <cstddef>

namespace r1b::model {
namespace {

struct DevicePeak {
  std::string_view name_words;  // whole words of the CUDA device name
  double dense_bf16_flops;
};

// Most specific first (see the header); NVIDIA datasheets, dense, no sparsity.
constexpr DevicePeak kDevicePeaks[] = {
    {"H100 PCIe", 756e12}, {"H100 NVL", 835e12}, {"H100", 989e12}, {"H200 NVL", 835e12},
    {"H200", 989e12},      {"H20", 148e12},      {"A100", 312e12}, {"A10", 125e12},
    {"L40S", 362e12},      {"L4", 121e12},       {"RTX 4090", 165e12},
};

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool same_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// Whether `words` occurs in `name` (case-insensitively) with no letter or digit right before or after.
bool contains_words(std::string_view name, std::string_view words) {
  for (std::size_t at = 0; at + words.size() <= name.size(); ++at) {
    if (!same_ignoring_case(name.substr(at, words.size()), words)) continue;
    const bool starts_word = at == 0 || !is_word_char(name[at - 1]);
    const std::size_t end = at + words.size();
    const bool ends_word = end == name.size() || !is_word_char(name[end]);
    if (starts_word && ends_word) return true;
  }
  return false;
}

}  // namespace

std::optional<double> dense_bf16_peak_flops(std::string_view device_name) {
  for (const DevicePeak& peak : kDevicePeaks) {
    if (contains_words(device_name, peak.name_words)) return peak.dense_bf16_flops;
  }
  return std::nullopt;
}

std::optional<double> mfu_peak_flops(std::string_view device_name, double override_tflops) {
  if (override_tflops > 0) return override_tflops * 1e12;
  return dense_bf16_peak_flops(device_name);
}

}  // namespace r1b::model
