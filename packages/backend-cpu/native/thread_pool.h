// A persistent pool of worker threads for the GEMM: run(tasks, fn) hands out task indices [0, tasks) to the
// workers and the calling thread, and returns when all are done (the caller waits: products are
// synchronous). Workers spin briefly after a job (the next product usually follows within microseconds),
// then sleep on a condition variable.
#pragma once
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace deberta {

class ThreadPool {
 public:
  typedef void (*TaskFn)(void* ctx, int task, int thread);

  explicit ThreadPool(int threads);  // `threads` participants: threads - 1 workers and the caller
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return threads_; }
  // Runs fn(ctx, t, thread) for t in [0, tasks); thread in [0, threads()) names the participant (0: caller).
  void run(int tasks, TaskFn fn, void* ctx);

 private:
  void worker(int id);
  void work(int id);

  int threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<unsigned> generation_{0};
  std::atomic<int> next_{0};
  std::atomic<int> finished_{0};
  int tasks_ = 0;
  TaskFn fn_ = nullptr;
  void* ctx_ = nullptr;
};

}  // namespace deberta
