#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ADAPTEXT_PAUSE() _mm_pause()
#else
#define ADAPTEXT_PAUSE() std::this_thread::yield()
#endif

namespace adaptext {
namespace {

thread_local bool tl_in_parallel = false;

int env_threads(const char* name) {
  const char* s = std::getenv(name);
  if (s == nullptr || *s == '\0') return 0;
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  if (end == s || v < 1) return 0;
  return v > 1024 ? 1024 : static_cast<int>(v);
}

int default_threads() {
  int n = env_threads("ADAPTEXT_THREADS");
  if (n == 0) n = env_threads("OPENBLAS_NUM_THREADS");
  if (n == 0) n = static_cast<int>(std::thread::hardware_concurrency());
  return n < 1 ? 1 : n;
}

class Pool {
 public:
  explicit Pool(int nthreads) : nthreads_(nthreads) {}

  int size() const { return nthreads_; }

  void resize(int n) {
    std::lock_guard<std::mutex> busy(busy_);
    nthreads_ = n < 1 ? 1 : n;
    // Extra workers simply stay idle; spawn more lazily in run().
  }

  void run(size_t nchunks, const std::function<void(size_t)>& fn) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock() || nthreads_ <= 1 || nchunks <= 1) {
      run_inline(nchunks, fn);
      return;
    }
    const int helpers = static_cast<int>(std::min<size_t>(nchunks, nthreads_)) - 1;
    while (static_cast<int>(workers_) < helpers) spawn();
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = &fn;
      njobs_ = nchunks;
      next_.store(0, std::memory_order_relaxed);
      wanted_ = helpers;
      pending_.store(helpers, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_start_.notify_all();
    tl_in_parallel = true;
    drain();
    tl_in_parallel = false;
    // Wait for the helpers that joined this generation; spin briefly, then sleep.
    for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) {
      if (spin < 20000) {
        ADAPTEXT_PAUSE();
      } else {
        std::unique_lock<std::mutex> lk(mu_);
        cv_done_.wait(lk, [&] { return pending_.load(std::memory_order_acquire) == 0; });
      }
    }
    job_ = nullptr;
  }

 private:
  void run_inline(size_t nchunks, const std::function<void(size_t)>& fn) {
    const bool was = tl_in_parallel;
    tl_in_parallel = true;
    for (size_t i = 0; i < nchunks; ++i) fn(i);
    tl_in_parallel = was;
  }

  void drain() {
    for (;;) {
      size_t i = next_.fetch_add(1, std::memory_order_relaxed);
      if (i >= njobs_) break;
      (*job_)(i);
    }
  }

  void spawn() {
    const int id = static_cast<int>(workers_++);
    // The worker must not miss the generation about to be published, so it starts from
    // the current one (spawn happens before the bump in run()).
    const uint64_t seen0 = generation_.load(std::memory_order_acquire);
    std::thread([this, id, seen0] { worker(id, seen0); }).detach();  // lives as long as the process
  }

  void worker(int id, uint64_t seen) {
    tl_in_parallel = true;
    for (;;) {
      // Wait for a new generation: spin a little (back-to-back kernel calls), then sleep.
      uint64_t gen;
      int spin = 0;
      while ((gen = generation_.load(std::memory_order_acquire)) == seen) {
        if (++spin < 20000) {
          ADAPTEXT_PAUSE();
        } else {
          std::unique_lock<std::mutex> lk(mu_);
          cv_start_.wait(lk, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        }
      }
      // Read generation and helper count together: run() publishes both under mu_.
      int wanted;
      {
        std::lock_guard<std::mutex> lk(mu_);
        gen = generation_.load(std::memory_order_acquire);
        wanted = wanted_;
      }
      seen = gen;
      if (id >= wanted) continue;  // this job needs fewer helpers
      drain();
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lk(mu_);
        cv_done_.notify_one();
      }
    }
  }

  int nthreads_;
  std::mutex busy_;  // one parallel region at a time; others run inline
  std::mutex mu_;
  std::condition_variable cv_start_, cv_done_;
  const std::function<void(size_t)>* job_ = nullptr;
  size_t njobs_ = 0;
  int wanted_ = 0;
  std::atomic<size_t> next_{0};
  std::atomic<int> pending_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<size_t> workers_{0};
};

Pool& pool() {
  static Pool* p = new Pool(default_threads());  // never destroyed: workers are detached
  return *p;
}

}  // namespace

int num_threads() { return pool().size(); }
void set_num_threads(int n) { pool().resize(n); }
bool in_parallel() { return tl_in_parallel; }

void parallel_chunks(size_t nchunks, const std::function<void(size_t)>& fn) {
  if (nchunks == 0) return;
  if (tl_in_parallel || nchunks == 1) {
    for (size_t i = 0; i < nchunks; ++i) fn(i);
    return;
  }
  pool().run(nchunks, fn);
}

size_t parallel_ranges(size_t n, size_t grain) {
  if (n == 0) return 0;
  if (grain < 1) grain = 1;
  size_t by_grain = (n + grain - 1) / grain;
  size_t t = tl_in_parallel ? 1 : static_cast<size_t>(num_threads());
  return by_grain < t ? by_grain : t;
}

void parallel_for_indexed(size_t n, size_t grain,
                          const std::function<void(size_t, size_t, size_t)>& fn) {
  const size_t parts = parallel_ranges(n, grain);
  if (parts == 0) return;
  if (parts == 1) {
    fn(0, 0, n);
    return;
  }
  parallel_chunks(parts, [&](size_t p) {
    const size_t b = n * p / parts, e = n * (p + 1) / parts;
    if (b < e) fn(p, b, e);
  });
}

void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn) {
  parallel_for_indexed(n, grain, [&](size_t, size_t b, size_t e) { fn(b, e); });
}

}  // namespace adaptext
