// Test helpers for the GPU-vs-CPU tests: the error measure their bounds are stated in, and the
// uniform random values they draw.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <vector>

namespace r1b::model::testing {

struct ValuesError {
  double error = 0.0;        // max |got − want| / max |want| (max |got − want| where want is all 0)
  size_t worst_index = 0;    // where |got − want| is largest; a NaN counts as largest
  double max_reference = 0.0;  // max |want|
};

inline ValuesError normalised_error(const std::vector<float>& got, const std::vector<float>& want) {
  ValuesError result;
  double worst = 0.0;
  for (size_t i = 0; i < want.size() && i < got.size(); ++i) {
    result.max_reference = std::max(result.max_reference, std::fabs(static_cast<double>(want[i])));
    const double diff = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (!(diff <= worst)) {  // NaN counts as worst
      worst = diff;
      result.worst_index = i;
    }
  }
  result.error = result.max_reference > 0 ? worst / result.max_reference : worst;
  return result;
}

// Prints "<what>: error E (bound B)" and expects the sizes to match and E ≤ bound, naming the
// worst element when it is not.
inline void expect_close_values(const std::vector<float>& got, const std::vector<float>& want, double bound,
                                const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  const ValuesError e = normalised_error(got, want);
  std::cout << what << ": error " << e.error << " (bound " << bound << ")\n";
  EXPECT_LE(e.error, bound) << what << ": worst element " << e.worst_index << " gpu " << got[e.worst_index] << " cpu "
                            << want[e.worst_index] << " (max |cpu| " << e.max_reference << ")";
}

// `count` values uniform in [-scale, scale) from `rng`.
inline std::vector<float> uniform_values(std::mt19937& rng, int64_t count, float scale) {
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> values(count);
  for (float& value : values) value = dist(rng);
  return values;
}

}  // namespace r1b::model::testing
