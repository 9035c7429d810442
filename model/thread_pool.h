// ThreadPool: a fixed set of worker threads that run parallel_for() loops (private to model/).
//
// parallel_for(count, body) calls body(begin, end) over disjoint ranges covering [0, count) and
// returns when all have run; the calling thread takes part. One loop at a time: calls from
// several threads are serialised (loop_mutex_). The pool owns its threads and joins them on
// destruction.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace r1b::model {

class ThreadPool {
 public:
  // num_threads == 0 means std::thread::hardware_concurrency().
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }
  void parallel_for(int64_t count, const std::function<void(int64_t, int64_t)>& body);

 private:
  void worker_loop();
  void run_chunks();

  std::vector<std::thread> workers_;
  std::mutex loop_mutex_;                  // serialises parallel_for callers
  std::mutex mutex_;                       // guards everything below
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  const std::function<void(int64_t, int64_t)>* body_ = nullptr;  // guarded by mutex_
  int64_t count_ = 0;                      // guarded by mutex_
  int64_t next_ = 0;                       // guarded by mutex_: next unclaimed index
  int64_t chunk_ = 1;                      // guarded by mutex_
  int64_t pending_ = 0;                    // guarded by mutex_: indices not yet finished
  uint64_t generation_ = 0;                // guarded by mutex_
  bool stopping_ = false;                  // guarded by mutex_
};

}  // namespace r1b::model
