/*
 * Blocked matrix product (the GotoBLAS / BLIS scheme) over element strides, so one routine
 * serves A B, A^T B and A B^T without explicit transposes:
 *
 *   for jc in n by NC                 columns of C whose packed B panel (KC x NC) stays in L2
 *     for pc in k by KC               a slice of the inner dimension
 *       pack B(pc:, jc:)              into NR-wide strips, p-major, zero-padded at the edge
 *       for ir in m by MR
 *         pack A(ir:, pc:)            one MR-tall strip (KC x MR, a few KiB: stays in L1)
 *         for jr in NC by NR          stream the B strips past it
 *           micro-kernel              C tile (MR x NR) = (beta ? C : 0) + A strip * B strip
 *
 * Packing turns every layout into unit-stride streams and pads edges with zeros, so the
 * micro-kernel always computes a full tile; edge tiles go to a scratch tile and only their valid
 * part is copied out (padding only ever meets padding: 0 * Inf = NaN cannot leak into C).
 * The first k slice overwrites C (unless accumulating), so old NaNs in C never leak either.
 *
 * Threads: the product is cut into column blocks (or row blocks when m > n) of whole tiles,
 * about two per thread, claimed dynamically by the pool's threads, each packing its own panels into its own thread-local buffers (allocated once per
 * thread, never per call). Duplicated packing of the shared operand costs O(m k) against the
 * O(m n k / threads) of each block.
 */
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

#define KC 256
#define NC_F32 512
#define NC_F64 256
#define MR_MAX 8
#define NR_MAX 32
/* bytes: the A strip, the B panel (NC + one padded strip) and an edge tile, for either dtype */
#define BUF_ELEMS(NC) ((size_t)(KC * MR_MAX + KC * ((NC) + NR_MAX) + MR_MAX * NR_MAX))
#define BUF_F32 (BUF_ELEMS(NC_F32) * 4)
#define BUF_F64 (BUF_ELEMS(NC_F64) * 8)
#define BUF_BYTES ((BUF_F32 > BUF_F64 ? BUF_F32 : BUF_F64) + 256)

int64_t gs_parallel_min_muladds = 32768;
/* Products below this many multiply-adds (2^24) may take one chunk per thread (see below). */
#define GS_SMALL_SPLIT 16777216.0

static int isa_state = -1; /* -1: not yet detected */
static gs_isa detected_isa = GS_ISA_SCALAR;

gs_isa gs_current_isa(void) {
  if (isa_state < 0) {
    detected_isa = gs_detect_isa();
    isa_state = (int)detected_isa;
  }
  return (gs_isa)isa_state;
}

int gs_set_isa(gs_isa isa) {
  gs_current_isa();
  if (isa > detected_isa || isa < GS_ISA_SCALAR) return 0;
  isa_state = (int)isa;
  return 1;
}

static _Thread_local unsigned char *thread_buffer = NULL;

static unsigned char *buffer(void) {
  if (!thread_buffer) {
    void *p = NULL;
    if (posix_memalign(&p, 64, BUF_BYTES) != 0) return NULL;
    thread_buffer = p;
  }
  return thread_buffer;
}

#define DEFINE_GEMM(SUF, T, KERNEL_T, KERNEL_FOR, NC)                                            \
  /* dst[p * MR + i] = A(i, p) for i < mr (zeros up to MR), p < kc */                           \
  static void pack_a_##SUF(T *dst, const T *A, ptrdiff_t ars, ptrdiff_t acs, int mr, int MR,      \
                           ptrdiff_t kc) {                                                        \
    if (mr < MR) memset(dst, 0, sizeof(T) * (size_t)(kc * MR));                                 \
    if (ars == 1 || acs != 1) {                                                                  \
      for (ptrdiff_t p = 0; p < kc; p++)                                                         \
        for (int i = 0; i < mr; i++) dst[p * MR + i] = A[i * ars + p * acs];                     \
    } else {                                                                                     \
      for (int i = 0; i < mr; i++)                                                               \
        for (ptrdiff_t p = 0; p < kc; p++) dst[p * MR + i] = A[i * ars + p];                     \
    }                                                                                            \
  }                                                                                              \
  /* NR-wide strips of B(p, j), p < kc, j < nc: strip s holds dst[s kc NR + p NR + j] */        \
  static void pack_b_##SUF(T *dst, const T *B, ptrdiff_t brs, ptrdiff_t bcs, ptrdiff_t kc,      \
                           ptrdiff_t nc, int NR) {                                                \
    for (ptrdiff_t js = 0; js < nc; js += NR) {                                                  \
      const int nr = nc - js < NR ? (int)(nc - js) : NR;                                         \
      T *d = dst + js * kc;                                                                      \
      const T *b = B + js * bcs;                                                                 \
      if (nr < NR) memset(d, 0, sizeof(T) * (size_t)(kc * NR));                                 \
      if (bcs == 1) {                                                                            \
        for (ptrdiff_t p = 0; p < kc; p++) memcpy(d + p * NR, b + p * brs, sizeof(T) * (size_t)nr); \
      } else if (brs == 1) {                                                                     \
        for (int j = 0; j < nr; j++)                                                             \
          for (ptrdiff_t p = 0; p < kc; p++) d[p * NR + j] = b[j * bcs + p];                     \
      } else {                                                                                   \
        for (ptrdiff_t p = 0; p < kc; p++)                                                       \
          for (int j = 0; j < nr; j++) d[p * NR + j] = b[p * brs + j * bcs];                     \
      }                                                                                          \
    }                                                                                            \
  }                                                                                              \
  /* one thread: C[m, n] with row stride ldc */                                                  \
  static void block_##SUF(const KERNEL_T *K, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const T *A,  \
                          ptrdiff_t ars, ptrdiff_t acs, const T *B, ptrdiff_t brs, ptrdiff_t bcs, \
                          T *C, ptrdiff_t ldc, int accumulate) {                                 \
    const int MR = K->mr, NR = K->nr;                                                            \
    if (m <= 0 || n <= 0) return;                                                                \
    if (k <= 0) {                                                                                \
      if (!accumulate)                                                                           \
        for (ptrdiff_t i = 0; i < m; i++) memset(C + i * ldc, 0, sizeof(T) * (size_t)n);        \
      return;                                                                                    \
    }                                                                                            \
    unsigned char *buf = buffer();                                                               \
    if (!buf) abort();                                                                           \
    T *pa = (T *)buf;                                                                            \
    T *pb = pa + KC * MR_MAX;                                                                    \
    T *tile = pb + KC * (NC + NR_MAX);                                                           \
    for (ptrdiff_t jc = 0; jc < n; jc += NC) {                                                   \
      const ptrdiff_t nc = n - jc < NC ? n - jc : NC;                                            \
      for (ptrdiff_t pc = 0; pc < k; pc += KC) {                                                 \
        const ptrdiff_t kc = k - pc < KC ? k - pc : KC;                                          \
        const int beta = accumulate || pc > 0;                                                   \
        pack_b_##SUF(pb, B + pc * brs + jc * bcs, brs, bcs, kc, nc, NR);                        \
        for (ptrdiff_t ir = 0; ir < m; ir += MR) {                                               \
          const int mr = m - ir < MR ? (int)(m - ir) : MR;                                       \
          pack_a_##SUF(pa, A + ir * ars + pc * acs, ars, acs, mr, MR, kc);                       \
          for (ptrdiff_t jr = 0; jr < nc; jr += NR) {                                            \
            const int nr = nc - jr < NR ? (int)(nc - jr) : NR;                                   \
            T *c = C + ir * ldc + jc + jr;                                                       \
            if (mr == MR && nr == NR) {                                                          \
              K->ukr(kc, pa, pb + jr * kc, c, ldc, beta);                                        \
            } else {                                                                             \
              K->ukr(kc, pa, pb + jr * kc, tile, NR, 0);                                         \
              for (int i = 0; i < mr; i++)                                                       \
                for (int j = 0; j < nr; j++)                                                     \
                  c[i * ldc + j] = beta ? c[i * ldc + j] + tile[i * NR + j] : tile[i * NR + j];  \
            }                                                                                    \
          }                                                                                      \
        }                                                                                        \
      }                                                                                          \
    }                                                                                            \
  }                                                                                              \
  typedef struct {                                                                               \
    KERNEL_T K;                                                                                  \
    ptrdiff_t m, n, k, ars, acs, brs, bcs, step;                                                 \
    const T *A, *B;                                                                              \
    T *C;                                                                                        \
    int accumulate, by_columns;                                                                  \
  } job_##SUF;                                                                                   \
  static void task_##SUF(void *ctx, int part, int parts) {                                       \
    const job_##SUF *j = ctx;                                                                    \
    (void)parts;                                                                                 \
    const ptrdiff_t lo = part * j->step;                                                         \
    if (j->by_columns) {                                                                         \
      if (lo >= j->n) return;                                                                    \
      const ptrdiff_t w = j->n - lo < j->step ? j->n - lo : j->step;                             \
      block_##SUF(&j->K, j->m, w, j->k, j->A, j->ars, j->acs, j->B + lo * j->bcs, j->brs,        \
                  j->bcs, j->C + lo, j->n, j->accumulate);                                       \
    } else {                                                                                     \
      if (lo >= j->m) return;                                                                    \
      const ptrdiff_t h = j->m - lo < j->step ? j->m - lo : j->step;                             \
      block_##SUF(&j->K, h, j->n, j->k, j->A + lo * j->ars, j->ars, j->acs, j->B, j->brs,        \
                  j->bcs, j->C + lo * j->n, j->n, j->accumulate);                                \
    }                                                                                            \
  }                                                                                              \
  void gs_gemm_##SUF(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const T *A, ptrdiff_t ars,           \
                     ptrdiff_t acs, const T *B, ptrdiff_t brs, ptrdiff_t bcs, T *C,              \
                     int accumulate) {                                                           \
    job_##SUF j = {KERNEL_FOR(gs_current_isa()), m, n, k, ars, acs, brs, bcs, 0, A, B, C,         \
                   accumulate, 0};                                                               \
    int parts = 1;                                                                               \
    const int threads = gs_threads();                                                            \
    if (threads > 1 && (double)m * n * k >= (double)gs_parallel_min_muladds) {                        \
      /* split the longer side into chunks of whole tiles, about two per thread, claimed       \
         dynamically (pool.c) so a descheduled thread's share moves to the others */            \
      j.by_columns = n >= m;                                                                     \
      const ptrdiff_t unit = j.by_columns ? j.K.nr : j.K.mr;                                     \
      const ptrdiff_t len = j.by_columns ? n : m;                                                \
      const ptrdiff_t units = (len + unit - 1) / unit;                                           \
      /* Column chunks each repack all of A: where that pack transposes (A row-major) and the \
         product is small, one chunk per thread (W's 128x256x256 forward product: 157 ->      \
         100-106 us; the whole forward pass 3.5-3.75 -> 3.0-3.2 ms) */                         \
      const int repack_costly = j.by_columns && acs == 1 && ars != 1 &&                          \
                                (double)m * n * k < GS_SMALL_SPLIT;                               \
      parts = repack_costly ? threads : 2 * threads;                                             \
      if (units < parts) parts = (int)units;                                                     \
      j.step = (units + parts - 1) / parts * unit;                                               \
      parts = (int)((len + j.step - 1) / j.step);                                                \
    }                                                                                            \
    if (parts <= 1) {                                                                            \
      block_##SUF(&j.K, m, n, k, A, ars, acs, B, brs, bcs, C, n, accumulate);                    \
      return;                                                                                    \
    }                                                                                            \
    gs_parallel(parts, task_##SUF, &j);                                                          \
  }

DEFINE_GEMM(f32, float, gs_kernel_f32, gs_kernel_f32_for, NC_F32)
DEFINE_GEMM(f64, double, gs_kernel_f64, gs_kernel_f64_for, NC_F64)
