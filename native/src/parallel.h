// A tiny persistent thread pool for the kernels.
//
// Why our own: the kernels need "split this loop over N cores" and nothing else; OpenMP
// would add a build dependency (libgomp vs libomp on macOS) and fights OpenBLAS' own pool.
// The caller thread always takes part, so 1 thread means no pool at all.
//
// Thread count (first match wins): ADAPTEXT_THREADS, OPENBLAS_NUM_THREADS,
// std::thread::hardware_concurrency(). Never hard-coded.
//
// Nested calls (a parallel kernel calling a parallel helper) run inline on the calling
// thread; so do calls from a second JS thread while the pool is busy (worker_threads).
#pragma once
#include <cstddef>
#include <functional>

namespace adaptext {

int num_threads();
void set_num_threads(int n);

// Runs fn(chunk) for every chunk in [0, nchunks), spread over the pool. Returns when all are done.
void parallel_chunks(size_t nchunks, const std::function<void(size_t)>& fn);

// Splits [0, n) into at most 4*num_threads() contiguous ranges of at least `grain` items
// and runs fn(begin, end) on each. Ranges depend only on n, grain and the thread count, so
// per-range partial sums are reproducible for a given thread count.
void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn);

// Same, also passing the range index p in [0, parallel_ranges(n, grain)).
void parallel_for_indexed(size_t n, size_t grain,
                          const std::function<void(size_t, size_t, size_t)>& fn);

// Number of ranges parallel_for(n, grain, ...) will use (for per-range scratch buffers).
size_t parallel_ranges(size_t n, size_t grain);

// True while the current thread runs inside a parallel region (then kernels stay serial).
bool in_parallel();

}  // namespace adaptext
