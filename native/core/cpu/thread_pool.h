// A fixed pool of workers for data-parallel loops. One loop runs at a time (callers queue on a
// mutex); the calling thread works too, so a pool of n threads keeps n + 1 busy at most.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace grape::cpu {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // total threads including the caller
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }
  // Calls fn(task) for task in [0, tasks) across the pool; returns when all are done.
  void parallel_for(size_t tasks, const std::function<void(size_t)>& fn);

 private:
  void worker_loop();
  void drain();

  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one parallel_for at a time
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(size_t)>* fn_ = nullptr;
  size_t tasks_ = 0;
  size_t next_ = 0;
  size_t finished_ = 0;
  unsigned generation_ = 0;
  bool stop_ = false;
};

}  // namespace grape::cpu
