// WorkerPool: a fixed set of threads running queued tasks (private to sandbox/).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace r1b::sandbox {

class WorkerPool {
 public:
  // Starts `num_workers` (>= 1) threads.
  explicit WorkerPool(int num_workers);
  // Runs every task already queued, then joins the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task` (it must not throw). Thread-safe; never blocks on running tasks.
  void submit(std::function<void()> task);

  int num_workers() const { return static_cast<int>(threads_.size()); }

 private:
  void work();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;  // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace r1b::sandbox
