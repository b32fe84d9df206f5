#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
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

// Spins (pause) for up to ~50 us waiting for `ready()`, then returns false so the caller
// can sleep. Back-to-back kernel calls hand work over without a futex round trip; idle
// workers stop burning a core quickly (OpenBLAS' own threads need it between GEMMs).
template <class Ready>
bool spin_until(Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
  for (int i = 0;; ++i) {
    if (ready()) return true;
    ADAPTEXT_PAUSE();
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > deadline) return ready();
  }
}

// Work is handed out chunk by chunk through one atomic word holding (generation << 32 | next
// chunk). A helper can only claim a chunk of the job it was woken for, and the caller waits
// for the chunks that were claimed, not for the helpers: if a helper is slow to wake (a
// loaded machine), the caller simply does all the chunks itself and returns.
class Pool {
 public:
  explicit Pool(int nthreads) : nthreads_(nthreads) {}

  int size() const { return nthreads_.load(std::memory_order_relaxed); }

  void resize(int n) {
    std::lock_guard<std::mutex> busy(busy_);
    nthreads_.store(n < 1 ? 1 : n, std::memory_order_relaxed);  // extra workers just idle
  }

  void run(size_t nchunks, const std::function<void(size_t)>& fn) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    const int nt = size();
    if (!busy.owns_lock() || nt <= 1 || nchunks <= 1 || nchunks >= (uint64_t{1} << 32)) {
      run_inline(nchunks, fn);
      return;
    }
    const int helpers = static_cast<int>(std::min<size_t>(nchunks, nt)) - 1;
    while (static_cast<int>(workers_) < helpers) spawn();
    uint32_t gen;
    {
      std::lock_guard<std::mutex> lk(mu_);
      gen = static_cast<uint32_t>(gen_.load(std::memory_order_relaxed) + 1);
      job_ = &fn;
      njobs_ = nchunks;
      wanted_ = helpers;
      done_.store(0, std::memory_order_relaxed);
      claim_.store(static_cast<uint64_t>(gen) << 32, std::memory_order_release);
      gen_.store(gen, std::memory_order_release);
    }
    cv_start_.notify_all();
    tl_in_parallel = true;
    work(gen, fn, nchunks);
    tl_in_parallel = false;
    auto all_done = [&] { return done_.load(std::memory_order_acquire) == nchunks; };
    if (!spin_until(all_done)) {
      std::unique_lock<std::mutex> lk(mu_);
      cv_done_.wait(lk, all_done);
    }
  }

 private:
  void run_inline(size_t nchunks, const std::function<void(size_t)>& fn) {
    const bool was = tl_in_parallel;
    tl_in_parallel = true;
    for (size_t i = 0; i < nchunks; ++i) fn(i);
    tl_in_parallel = was;
  }

  // Claims and runs chunks of job `gen` until none are left (or a newer job replaced it).
  void work(uint32_t gen, const std::function<void(size_t)>& fn, size_t n) {
    for (;;) {
      uint64_t c = claim_.load(std::memory_order_acquire);
      for (;;) {
        if (static_cast<uint32_t>(c >> 32) != gen || (c & 0xffffffffu) >= n) return;
        if (claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) break;
      }
      fn(static_cast<size_t>(c & 0xffffffffu));
      if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == n) {
        std::lock_guard<std::mutex> lk(mu_);  // pairs with the caller's predicate wait
        cv_done_.notify_all();
      }
    }
  }

  void spawn() {
    const int id = static_cast<int>(workers_++);
    // Start from the current generation: the job about to be published is seen as new.
    const uint64_t seen0 = gen_.load(std::memory_order_acquire);
    std::thread([this, id, seen0] { worker(id, seen0); }).detach();  // lives as long as the process
  }

  void worker(int id, uint64_t seen) {
    tl_in_parallel = true;
    for (;;) {
      auto fresh = [&] { return gen_.load(std::memory_order_acquire) != seen; };
      if (!spin_until(fresh)) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_start_.wait(lk, fresh);
      }
      uint32_t gen;
      const std::function<void(size_t)>* fn;
      size_t n;
      int wanted;
      {
        std::lock_guard<std::mutex> lk(mu_);  // job fields are published together under mu_
        seen = gen_.load(std::memory_order_acquire);
        gen = static_cast<uint32_t>(seen);
        fn = job_;
        n = njobs_;
        wanted = wanted_;
      }
      // fn stays valid while we hold a claimed chunk: the caller waits for every claimed chunk.
      if (id < wanted && fn != nullptr) work(gen, *fn, n);
    }
  }

  std::atomic<int> nthreads_;
  std::mutex busy_;  // one parallel region at a time; others run inline
  std::mutex mu_;
  std::condition_variable cv_start_, cv_done_;
  const std::function<void(size_t)>* job_ = nullptr;
  size_t njobs_ = 0;
  int wanted_ = 0;
  std::atomic<uint64_t> gen_{0};
  std::atomic<uint64_t> claim_{0};
  std::atomic<size_t> done_{0};
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
  // Up to 4 ranges per thread: a late-waking helper then costs at most a quarter of a
  // thread's share (the caller takes the ranges nobody has claimed).
  size_t t = tl_in_parallel || num_threads() <= 1 ? 1 : 4 * static_cast<size_t>(num_threads());
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
