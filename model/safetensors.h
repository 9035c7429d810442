// SafetensorsFile: one memory-mapped *.safetensors file with its validated header.
//
// Format: an 8-byte little-endian header length N, N bytes of JSON
//   {"<name>": {"dtype": "BF16", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}
// and the data block; offsets are relative to the data block.
//
// open() maps the file read-only (the bytes are paged in only when a tensor is read, and each tensor
// is read once by its consumer) and validates the whole header before returning: the JSON length,
// the JSON itself, every dtype (one of dtype.h's), every shape, and that each byte range lies in
// the file and equals numel × dtype size. Any violation is one InvalidInput error naming the file
// and the tensor; a missing or unreadable file is NotFound / IOError.
//
// Ownership: the file owns the mapping; TensorEntry::bytes points into it and is valid for the
// file's lifetime. Thread-safety: immutable after open(); reading from several threads is safe.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "model/dtype.h"

namespace r1b::model {

struct TensorEntry {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::span<const std::byte> bytes;  // into the mapping

  int64_t numel() const;
};

class SafetensorsFile {
 public:
  static Result<std::unique_ptr<SafetensorsFile>> open(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  // The entry named `name`, or nullptr.
  const TensorEntry* find(std::string_view name) const;
  // Every tensor, in header order.
  const std::vector<TensorEntry>& tensors() const { return tensors_; }
  // "__metadata__" (an empty object when absent).
  const nlohmann::json& metadata() const { return metadata_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  SafetensorsFile() = default;
  std::filesystem::path path_;
  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  std::vector<TensorEntry> tensors_;
  std::unordered_map<std::string, size_t> index_;  // name -> position in tensors_
  nlohmann::json metadata_ = nlohmann::json::object();
};

// "[2, 3]" — used in shape error messages.
std::string shape_string(std::span<const int64_t> shape);

// Converts a floating-point entry (F32, BF16, F16, F8_E4M3) to fp32; `out` has numel() elements.
// Fails (InvalidInput naming the tensor) for integer dtypes.
Status convert_to_fp32(const TensorEntry& entry, std::span<float> out);

}  // namespace r1b::model
