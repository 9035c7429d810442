// DType: element types of checkpoint files and backend tensors, and their conversion to fp32.
//
// Tensor dimension legend used across model/: B batch (sequences in a step), T tokens (rows of a
// step, all sequences concatenated), H attention heads, D head dim, E experts.
//
// The conversion functions are pure and thread-safe. Tables follow the IEEE / OCP definitions:
//   BF16: the top 16 bits of an fp32.
//   F16:  IEEE binary16 (subnormals, inf, NaN).
//   F8_E4M3: OCP "e4m3fn" as torch.float8_e4m3fn: bias 7, no infinities, S.1111.111 is NaN,
//            largest finite 448, smallest subnormal 2^-9.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace r1b::model {

enum class DType { kF32, kBF16, kF16, kF8E4M3, kI64, kI32 };

// Bytes per element.
size_t dtype_size(DType dtype);
// The safetensors spelling ("F32", "BF16", "F16", "F8_E4M3", "I64", "I32").
std::string_view dtype_name(DType dtype);
// Parses the safetensors spelling; nullopt for any other string.
std::optional<DType> parse_dtype(std::string_view name);
// Comma-separated list of the spellings parse_dtype() accepts (for error messages).
std::string supported_dtype_names();

float bf16_to_float(uint16_t bits);
// fp32 → bf16 bits, rounded to nearest even as torch's .to(bfloat16); NaN stays NaN.
uint16_t float_to_bf16(float value);
// The fp32 value a bf16 store of `value` holds: bf16_to_float(float_to_bf16(value)).
float round_to_bf16(float value);
float f16_to_float(uint16_t bits);
float f8e4m3_to_float(uint8_t bits);
// The same conversions over whole ranges, as loops the compiler vectorises (weight loading moves
// gigabytes through them): out[i] = bf16_to_float(bits i of `src`, little-endian, any alignment),
// and out[i] = float_to_bf16(values[i]). `out` holds values.size() elements.
void bf16_to_float(const std::byte* src, std::span<float> out);
void float_to_bf16(std::span<const float> values, uint16_t* out);

}  // namespace r1b::model
