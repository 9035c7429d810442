#include "model/dtype.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace r1b::model {

namespace {

struct DTypeRow {
  DType dtype;
  std::string_view name;
  size_t size;
};

constexpr DTypeRow kDTypes[] = {
    {DType::kF32, "F32", 4},     {DType::kBF16, "BF16", 2}, {DType::kF16, "F16", 2},
    {DType::kF8E4M3, "F8_E4M3", 1}, {DType::kI64, "I64", 8},   {DType::kI32, "I32", 4},
};

const DTypeRow& row_of(DType dtype) {
  for (const DTypeRow& row : kDTypes) {
    if (row.dtype == dtype) return row;
  }
  return kDTypes[0];  // unreachable: every enumerator has a row
}

// float_to_bf16 without branches, so that loops over it vectorise: round half to even by adding
// 0x7fff plus the kept part's lowest bit; a NaN keeps its top bits with a quiet bit set instead.
inline uint16_t to_bf16(float value) {
  const auto bits = std::bit_cast<uint32_t>(value);
  const uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
  const uint32_t quiet_nan = (bits >> 16) | 0x40u;
  return static_cast<uint16_t>((bits & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded);
}

}  // namespace

size_t dtype_size(DType dtype) { return row_of(dtype).size; }

std::string_view dtype_name(DType dtype) { return row_of(dtype).name; }

std::optional<DType> parse_dtype(std::string_view name) {
  for (const DTypeRow& row : kDTypes) {
    if (row.name == name) return row.dtype;
  }
  return std::nullopt;
}

std::string supported_dtype_names() {
  std::string names;
  for (const DTypeRow& row : kDTypes) {
    if (!names.empty()) names += ", ";
    names += row.name;
  }
  return names;
}

float bf16_to_float(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

uint16_t float_to_bf16(float value) { return to_bf16(value); }

void bf16_to_float(const std::byte* src, std::span<float> out) {
  for (size_t i = 0; i < out.size(); ++i) {
    uint16_t bits;
    std::memcpy(&bits, src + 2 * i, sizeof(bits));  // the project targets little-endian hosts
    out[i] = bf16_to_float(bits);
  }
}

void float_to_bf16(std::span<const float> values, uint16_t* out) {
  for (size_t i = 0; i < values.size(); ++i) out[i] = to_bf16(values[i]);
}

float round_to_bf16(float value) { return bf16_to_float(float_to_bf16(value)); }

float f16_to_float(uint16_t bits) {
  const float sign = (bits & 0x8000) ? -1.0f : 1.0f;
  const int exponent = (bits >> 10) & 0x1F;
  const int mantissa = bits & 0x3FF;
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -24);
  if (exponent == 31) {
    return mantissa == 0 ? sign * std::numeric_limits<float>::infinity()
                         : std::numeric_limits<float>::quiet_NaN();
  }
  return sign * std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
}

float f8e4m3_to_float(uint8_t bits) {
  const float sign = (bits & 0x80) ? -1.0f : 1.0f;
  const int exponent = (bits >> 3) & 0xF;
  const int mantissa = bits & 0x7;
  if (exponent == 15 && mantissa == 7) return std::numeric_limits<float>::quiet_NaN();
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -9);
  return sign * std::ldexp(static_cast<float>(mantissa + 8), exponent - 10);
}

}  // namespace r1b::model
