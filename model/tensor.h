// Tensor: a handle to a buffer that a Backend allocated, with its shape and dtype.
//
// The data lives wherever the backend keeps it (host memory for CpuBackend, device memory for
// a CUDA backend); model code never dereferences it, only backends do. Copies of a Tensor share
// the buffer (shared ownership of the storage); view() and rows() make differently shaped
// handles over the same bytes. Thread-compatible: the handle is a value, the bytes are not
// synchronised.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "base/status.h"
#include "model/dtype.h"

namespace r1b::model {

class Tensor {
 public:
  Tensor() = default;
  // `data` points into `storage` (kept alive by this handle).
  Tensor(std::shared_ptr<void> storage, void* data, std::vector<int64_t> shape, DType dtype)
      : storage_(std::move(storage)), data_(data), shape_(std::move(shape)), dtype_(dtype) {}

  bool empty() const { return data_ == nullptr; }
  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t dim(size_t axis) const { return shape_.at(axis); }
  int64_t numel() const {
    int64_t count = 1;
    for (int64_t extent : shape_) count *= extent;
    return count;
  }
  // Elements per row of the dim-0 axis.
  int64_t row_size() const { return shape_.empty() ? 1 : numel() / shape_[0]; }

  // Same bytes, new shape (same element count; checked).
  Tensor view(std::vector<int64_t> shape) const {
    Tensor out(storage_, data_, std::move(shape), dtype_);
    R1B_CHECK(out.numel() == numel());
    return out;
  }
  // Rows [begin, begin + count) of dim 0.
  Tensor rows(int64_t begin, int64_t count) const {
    R1B_CHECK(begin >= 0 && count >= 0 && begin + count <= shape_.at(0));
    std::vector<int64_t> shape = shape_;
    shape[0] = count;
    auto* bytes = static_cast<char*>(data_) + begin * row_size() * static_cast<int64_t>(dtype_size(dtype_));
    return Tensor(storage_, bytes, std::move(shape), dtype_);
  }

  // Backend-side access (the pointer is only meaningful to the backend that allocated it).
  template <typename T>
  T* data_as() const { return static_cast<T*>(data_); }

 private:
  std::shared_ptr<void> storage_;
  void* data_ = nullptr;
  std::vector<int64_t> shape_;
  DType dtype_ = DType::kF32;
};

}  // namespace r1b::model
