/*
 * A persistent thread pool for the matrix products: threads - 1 workers plus the calling thread.
 * A job is `parts` independent chunks; every thread (the caller too) claims chunks one at a
 * time until none is left, so when a worker is slow to wake or descheduled (the machine is
 * shared) the caller simply does more chunks instead of waiting for it.
 *
 * `ticket` packs the job's generation (high 32 bits) and the next unclaimed chunk (low 32 bits):
 * a claim is a compare-and-swap on both, so a worker holding a stale view of an earlier job can
 * never claim a chunk of a later one. The caller publishes a job's fields before its ticket and
 * returns only when all its chunks are done, so a claimed chunk's fields stay valid.
 *
 * Products come in bursts (a training step runs ~60, each ~0.1 ms, with short JavaScript gaps
 * between), so an idle worker spins for SPIN_NS before sleeping on a condition variable. Dekker
 * handshake: the caller stores the ticket then reads `sleepers`; a worker increments `sleepers`
 * then re-reads the ticket under the mutex; with seq_cst one of them sees the other's write.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "kernels.h"

#if GS_X86
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#define MAX_THREADS 64
#define SPIN_NS 300000 /* 0.3 ms: longer than the JS gaps within a training step */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static _Atomic uint64_t ticket; /* generation << 32 | next chunk */
static atomic_int sleepers;
static atomic_int done; /* chunks of the current job finished */
static atomic_flag busy = ATOMIC_FLAG_INIT;

static _Atomic(gs_task) job_fn;
static _Atomic(void *) job_ctx;
static atomic_int job_parts;

static int started = 0;    /* workers running (changed only by the caller holding `busy`) */
static int configured = 0; /* thread count, 0 = not read yet */

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Claims and runs chunks of job `gen` until none is left (or a newer job replaced it). */
static void run_chunks(uint32_t gen) {
  for (;;) {
    uint64_t t = atomic_load(&ticket);
    if ((uint32_t)(t >> 32) != gen) return;
    const int parts = atomic_load_explicit(&job_parts, memory_order_relaxed);
    const uint32_t next = (uint32_t)t;
    if ((int)next >= parts) return;
    if (!atomic_compare_exchange_weak(&ticket, &t, t + 1)) continue;
    /* the claim succeeded on job gen: its fields are published and stay until it is done */
    atomic_load_explicit(&job_fn, memory_order_relaxed)(
        atomic_load_explicit(&job_ctx, memory_order_relaxed), (int)next, parts);
    atomic_fetch_add(&done, 1);
  }
}

static void *worker(void *arg) {
  uint32_t seen = (uint32_t)(uintptr_t)arg; /* the generation before this worker started */
  for (;;) {
    uint32_t g;
    int64_t start = 0;
    for (unsigned spins = 0;; spins++) {
      g = (uint32_t)(atomic_load(&ticket) >> 32);
      if (g != seen) break;
      CPU_RELAX();
      if ((spins & 255) == 255) {
        const int64_t t = now_ns();
        if (start == 0) start = t;
        else if (t - start > SPIN_NS) {
          pthread_mutex_lock(&lock);
          atomic_fetch_add(&sleepers, 1);
          while ((g = (uint32_t)(atomic_load(&ticket) >> 32)) == seen)
            pthread_cond_wait(&wake, &lock);
          atomic_fetch_sub(&sleepers, 1);
          pthread_mutex_unlock(&lock);
          break;
        }
      }
    }
    seen = g;
    run_chunks(g);
  }
  return NULL;
}

static int read_configured(void) {
  if (configured == 0) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = cores >= 2 ? 2 : 1;
    const char *env = getenv("GRADSCOPE_THREADS");
    if (env && *env) {
      long v = strtol(env, NULL, 10);
      if (v >= 1) n = v > MAX_THREADS ? MAX_THREADS : (int)v;
    }
    configured = n;
  }
  return configured;
}

int gs_threads(void) { return read_configured(); }

int gs_set_threads(int count) {
  const int previous = read_configured();
  configured = count < 1 ? 1 : count > MAX_THREADS ? MAX_THREADS : count;
  return previous;
}

/* Starts workers up to gs_threads() - 1 (never stops them: fewer threads leaves some idle). */
static void ensure_workers(void) {
  const int threads = gs_threads();
  while (started < threads - 1) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    const uint32_t gen = (uint32_t)(atomic_load(&ticket) >> 32);
    const int rc = pthread_create(&t, &attr, worker, (void *)(uintptr_t)gen);
    pthread_attr_destroy(&attr);
    if (rc != 0) break;
    started++;
  }
}

void gs_parallel(int parts, gs_task fn, void *ctx) {
  if (parts <= 1 || gs_threads() <= 1 || atomic_flag_test_and_set(&busy)) {
    for (int p = 0; p < parts; p++) fn(ctx, p, parts);
    return;
  }
  ensure_workers();
  atomic_store_explicit(&job_fn, fn, memory_order_relaxed);
  atomic_store_explicit(&job_ctx, ctx, memory_order_relaxed);
  atomic_store_explicit(&job_parts, parts, memory_order_relaxed);
  atomic_store(&done, 0);
  const uint32_t gen = (uint32_t)(atomic_load(&ticket) >> 32) + 1;
  atomic_store(&ticket, (uint64_t)gen << 32); /* publishes the fields above */
  if (atomic_load(&sleepers) > 0) {
    pthread_mutex_lock(&lock);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
  }
  run_chunks(gen);
  for (unsigned spins = 0; atomic_load(&done) < parts; spins++) {
    CPU_RELAX();
    if ((spins & 1023) == 1023) sched_yield(); /* a worker holding a chunk was descheduled */
  }
  atomic_flag_clear(&busy);
}
