/*
 * Long arrays are cut into fixed chunks (at least GS_CHUNK elements, a multiple of 16, at most
 * GS_MAX_CHUNKS of them) that the thread pool processes, each into its own row of partial
 * results, combined afterwards in chunk order: the result depends on n only, never on the
 * thread count or on which thread ran a chunk. Used by the metric reductions (reductions.c) and
 * the optimizer updates (optim.c), which run while the pool's second thread is idle.
 */
#include "kernels.h"

#define GS_CHUNK 16384
#define GS_MAX_CHUNKS 64

typedef struct {
  gs_range_fn fn;
  const void *ctx;
  ptrdiff_t n, step;
  double part[GS_MAX_CHUNKS][GS_CHUNK_OUTS];
} chunk_job;

static void chunk_task(void *ctx, int part, int parts) {
  chunk_job *j = ctx;
  (void)parts;
  const ptrdiff_t lo = part * j->step;
  const ptrdiff_t len = j->n - lo < j->step ? j->n - lo : j->step;
  j->fn(j->ctx, lo, len, j->part[part]);
}

void gs_chunked(ptrdiff_t n, gs_range_fn fn, const void *ctx, int outs, unsigned min_mask,
                double *out) {
  if (n < 2 * GS_CHUNK) {
    fn(ctx, 0, n, out);
    return;
  }
  chunk_job j = {.fn = fn, .ctx = ctx, .n = n};
  ptrdiff_t step = (n + GS_MAX_CHUNKS - 1) / GS_MAX_CHUNKS;
  if (step < GS_CHUNK) step = GS_CHUNK;
  j.step = (step + 15) / 16 * 16;
  const int parts = (int)((n + j.step - 1) / j.step);
  gs_parallel(parts, chunk_task, &j);
  for (int k = 0; k < outs; k++) {
    const int is_min = (min_mask >> k) & 1;
    double acc = j.part[0][k];
    for (int p = 1; p < parts; p++) {
      const double v = j.part[p][k];
      acc = is_min ? (v < acc ? v : acc) : acc + v;
    }
    out[k] = acc;
  }
}
