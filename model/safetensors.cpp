#include "model/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

namespace r1b::model {

namespace {

// Header JSON larger than this is refused as corrupt (real checkpoints stay below a few MiB).
constexpr uint64_t kMaxHeaderBytes = uint64_t{100} << 20;

template <typename T>
T load_le(const std::byte* bytes) {
  T value;
  std::memcpy(&value, bytes, sizeof(T));  // the project targets little-endian hosts
  return value;
}

Status corrupt(const std::filesystem::path& path, const std::string& what) {
  return Status::invalid_input(path.string() + ": invalid safetensors file: " + what +
                               " (re-download or re-export the checkpoint)");
}

}  // namespace

int64_t TensorEntry::numel() const {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  return count;
}

std::string shape_string(std::span<const int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::open(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::not_found(path.string() + ": no such safetensors file");
    return Status::io_error(path.string() + ": cannot open: " + std::strerror(err));
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::io_error(path.string() + ": cannot stat: " + std::strerror(err));
  }
  const auto file_size = static_cast<uint64_t>(info.st_size);
  if (file_size < 8) {
    ::close(fd);
    return corrupt(path, "file is " + std::to_string(file_size) + " bytes, shorter than the 8-byte header length");
  }
  void* mapping = ::mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);
  if (mapping == MAP_FAILED) return Status::io_error(path.string() + ": mmap failed: " + std::strerror(map_errno));

  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->mapping_ = mapping;
  file->mapping_size_ = file_size;
  const auto* base = static_cast<const std::byte*>(mapping);

  const uint64_t header_bytes = load_le<uint64_t>(base);
  if (header_bytes > kMaxHeaderBytes || header_bytes > file_size - 8) {
    return corrupt(path, "header length " + std::to_string(header_bytes) + " exceeds the file size " +
                             std::to_string(file_size) + " (truncated file?)");
  }
  const auto* header_begin = reinterpret_cast<const char*>(base + 8);
  nlohmann::json header = nlohmann::json::parse(header_begin, header_begin + header_bytes, nullptr, false);
  if (header.is_discarded() || !header.is_object()) return corrupt(path, "header is not a JSON object");

  const std::byte* data = base + 8 + header_bytes;
  const uint64_t data_bytes = file_size - 8 - header_bytes;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      file->metadata_ = it.value();
      continue;
    }
    const std::string where = "tensor '" + it.key() + "'";
    const nlohmann::json& desc = it.value();
    if (!desc.is_object() || !desc.contains("dtype") || !desc["dtype"].is_string() || !desc.contains("shape") ||
        !desc["shape"].is_array() || !desc.contains("data_offsets") || !desc["data_offsets"].is_array() ||
        desc["data_offsets"].size() != 2) {
      return corrupt(path, where + " needs \"dtype\", \"shape\" and two \"data_offsets\"");
    }
    TensorEntry entry;
    entry.name = it.key();
    const std::string dtype_text = desc["dtype"].get<std::string>();
    const std::optional<DType> dtype = parse_dtype(dtype_text);
    if (!dtype) {
      return corrupt(path, where + " has unsupported dtype " + dtype_text + " (supported: " +
                               supported_dtype_names() + ")");
    }
    entry.dtype = *dtype;
    for (const nlohmann::json& dim : desc["shape"]) {
      if (!dim.is_number_unsigned()) return corrupt(path, where + " has a shape entry that is not a non-negative integer");
      entry.shape.push_back(dim.get<int64_t>());
    }
    const nlohmann::json& offsets = desc["data_offsets"];
    if (!offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned()) {
      return corrupt(path, where + " has data_offsets that are not non-negative integers");
    }
    const auto begin = offsets[0].get<uint64_t>();
    const auto end = offsets[1].get<uint64_t>();
    if (begin > end || end > data_bytes) {
      return corrupt(path, where + " has data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                               "] outside the " + std::to_string(data_bytes) + "-byte data block (truncated file?)");
    }
    const uint64_t expected = static_cast<uint64_t>(entry.numel()) * dtype_size(entry.dtype);
    if (expected != end - begin) {
      return corrupt(path, where + " of shape " + shape_string(entry.shape) + " and dtype " + dtype_text + " needs " +
                               std::to_string(expected) + " bytes but its data_offsets span " +
                               std::to_string(end - begin));
    }
    entry.bytes = std::span<const std::byte>(data + begin, end - begin);
    file->index_[entry.name] = file->tensors_.size();
    file->tensors_.push_back(std::move(entry));
  }
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_size_);
}

const TensorEntry* SafetensorsFile::find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

Status convert_to_fp32(const TensorEntry& entry, std::span<float> out) {
  const int64_t count = entry.numel();
  if (static_cast<int64_t>(out.size()) != count) {
    return Status::internal("tensor '" + entry.name + "': conversion buffer has the wrong size");
  }
  const std::byte* bytes = entry.bytes.data();
  switch (entry.dtype) {
    case DType::kF32:
      std::memcpy(out.data(), bytes, count * sizeof(float));
      return Status::ok();
    case DType::kBF16:
      bf16_to_float(bytes, out);
      return Status::ok();
    case DType::kF16:
      for (int64_t i = 0; i < count; ++i) out[i] = f16_to_float(load_le<uint16_t>(bytes + 2 * i));
      return Status::ok();
    case DType::kF8E4M3:
      for (int64_t i = 0; i < count; ++i) out[i] = f8e4m3_to_float(static_cast<uint8_t>(bytes[i]));
      return Status::ok();
    case DType::kI64:
    case DType::kI32:
      break;
  }
  return Status::invalid_input("tensor '" + entry.name + "' has integer dtype " +
                               std::string(dtype_name(entry.dtype)) + " where floating-point weights are expected");
}

}  // namespace r1b::model
