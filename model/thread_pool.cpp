#include "model/thread_pool.h"

#include <algorithm>

namespace r1b::model {

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads <= 0) num_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < num_threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::parallel_for(int64_t count, const std::function<void(int64_t, int64_t)>& body) {
  if (count <= 0) return;
  if (workers_.empty() || count == 1) {
    body(0, count);
    return;
  }
  std::lock_guard<std::mutex> loop_lock(loop_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body;
    count_ = count;
    next_ = 0;
    pending_ = count;
    // A few chunks per thread balance uneven rows without much locking.
    chunk_ = std::max<int64_t>(1, count / (4 * num_threads()));
    ++generation_;
  }
  work_ready_.notify_all();
  run_chunks();
  std::unique_lock<std::mutex> lock(mutex_);
  work_done_.wait(lock, [this] { return pending_ == 0; });
  body_ = nullptr;
}

void ThreadPool::run_chunks() {
  while (true) {
    int64_t begin = 0;
    int64_t end = 0;
    const std::function<void(int64_t, int64_t)>* body = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (body_ == nullptr || next_ >= count_) return;
      begin = next_;
      end = std::min(count_, next_ + chunk_);
      next_ = end;
      body = body_;
    }
    (*body)(begin, end);
    std::lock_guard<std::mutex> lock(mutex_);
    pending_ -= end - begin;
    if (pending_ == 0) work_done_.notify_all();
  }
}

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_ready_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    run_chunks();
  }
}

}  // namespace r1b::model
