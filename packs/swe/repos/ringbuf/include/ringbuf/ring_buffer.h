// ring_buffer.h: a fixed-capacity FIFO that overwrites its oldest element when full.
//
//   ringbuf::RingBuffer<int> last3(3);
//   for (int i = 1; i <= 5; ++i) last3.push(i);   // holds 3, 4, 5
//   last3.at(0) == 3;  last3.pop() == 3;
#pragma once

#include <cstddef>
#include <stdexcept>
#include <utility>
#include <vector>

namespace ringbuf {

template <typename T>
class RingBuffer {
 public:
  explicit RingBuffer(std::size_t capacity) : slots_(capacity) {
    if (capacity == 0) throw std::invalid_argument("RingBuffer capacity must be positive");
  }

  std::size_t capacity() const { return slots_.size(); }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == slots_.size(); }

  // Appends `value`; when full, the oldest element is dropped to make room.
  void push(T value) {
    std::size_t tail = (head_ + size_) % capacity();
    slots_[tail] = std::move(value);
    if (full()) {
      head_ = (head_ + 1) % capacity();
    } else {
      ++size_;
    }
  }

  // Removes and returns the oldest element. Throws std::out_of_range when empty.
  T pop() {
    if (empty()) throw std::out_of_range("pop from an empty RingBuffer");
    T value = std::move(slots_[head_]);
    head_ = (head_ + 1) % capacity();
    --size_;
    return value;
  }

  // The i-th element counting from the oldest (0). Throws std::out_of_range past size().
  const T& at(std::size_t i) const {
    if (i >= size_) throw std::out_of_range("RingBuffer index out of range");
    return slots_[(head_ + i) % size_];
  }

  // The elements from oldest to newest.
  std::vector<T> to_vector() const {
    std::vector<T> out;
    out.reserve(size_);
    for (std::size_t i = 0; i < size_; ++i) out.push_back(at(i));
    return out;
  }

  void clear() {
    head_ = 0;
    size_ = 0;
  }

 private:
  std::vector<T> slots_;
  std::size_t head_ = 0;  // index of the oldest element
  std::size_t size_ = 0;
};

}  // namespace ringbuf
