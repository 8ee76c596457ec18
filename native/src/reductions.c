/*
 * Reductions for recording metrics every step (issues #3, #8): the sums and counts the probes'
 * TypeScript loops (src/probe/stats.ts, src/probe/layer-metrics.ts, src/core/optim/sgd.ts)
 * accumulate, in one read of the data, in double. Written with GCC vector extensions (8 doubles
 * a vector) and compiled three times, for the baseline ISA, AVX2 and AVX-512, chosen at run time
 * like the gemm: plain C loops with a min or a compare in them were not auto-vectorized and ran
 * at JavaScript's speed. Per element the arithmetic is the TypeScript loops' (widen to double,
 * -ffp-contract=off, round once on store); only the order of the float64 sums differs
 * (round-off). Counts are exact. NaN and Inf propagate into the sums as in TypeScript (no
 * fast-math).
 */
#include "vec.h"

#define ABS_BITS 0x7fffffffffffffffLL

/*
 * out = [sum x, sum x^2, smallest nonzero |x|] (NaN lanes never win the min; they make the sums
 * NaN, which the caller tests): the first read of summarizeTensor, which counts subnormals and
 * NaN/Inf in a second pass only when this says there are any. Two accumulators per sum.
 */
#define MOMENTS_STEP(T, k, S, Q, M)                 \
  {                                                 \
    v8d v;                                          \
    LOAD_##T(x + i + (k), v);                       \
    const v8d a = (v8d)((v8l)v & ABS_BITS);         \
    S += v;                                         \
    Q += v * v;                                     \
    const v8l keep = (a < M) & (a != 0);            \
    M = (v8d)(((v8l)a & keep) | ((v8l)M & ~keep));  \
  }
#define MOMENTS_BODY(T)                                     \
  v8d s = {0}, q = {0}, s1 = {0}, q1 = {0};                \
  v8d m = {0}, m1;                                         \
  m += (double)INFINITY;                                   \
  m1 = m;                                                  \
  ptrdiff_t i = 0;                                         \
  for (; i + 16 <= n; i += 16) {                           \
    MOMENTS_STEP(T, 0, s, q, m)                            \
    MOMENTS_STEP(T, 8, s1, q1, m1)                         \
  }                                                        \
  s += s1;                                                 \
  q += q1;                                                 \
  for (; i + 8 <= n; i += 8) MOMENTS_STEP(T, 0, s, q, m)   \
  double mn = (double)INFINITY;                            \
  for (int l = 0; l < 8; l++) {                            \
    if (m[l] < mn) mn = m[l];                              \
    if (m1[l] < mn) mn = m1[l];                            \
  }                                                        \
  for (; i < n; i++) {                                     \
    const double v = (double)x[i];                         \
    const double a = fabs(v);                              \
    s[0] += v;                                             \
    q[0] += v * v;                                         \
    if (a < mn && a != 0) mn = a;                          \
  }                                                        \
  out[0] = HSUM(s);                                        \
  out[1] = HSUM(q);                                        \
  out[2] = mn;

/*
 * The activation pass of measureBlock: v = phi'(u) is 1 - a^2 (kind 1, tanh) or a (1 - a)
 * (kind 2, sigmoid) in double from the stored a = phi(u), exactly as in TypeScript, or d[i]
 * (kind 0). out = [count v == 0, count v < threshold, sum a, sum a^2, sum u^2].
 */
#define ACT_PASS_BODY(T, KIND)                                                                  \
  v8d s = {0}, q = {0}, w = {0};                                                               \
  v8l zero = {0}, low = {0};                                                                   \
  ptrdiff_t i = 0;                                                                             \
  for (; i + 8 <= n; i += 8) {                                                                 \
    v8d a, x, v;                                                                               \
    LOAD_##T(pd + i, a);                                                                       \
    LOAD_##T(ud + i, x);                                                                       \
    if (KIND == 1)                                                                             \
      v = 1.0 - a * a;                                                                         \
    else if (KIND == 2)                                                                        \
      v = a * (1.0 - a);                                                                       \
    else                                                                                       \
      LOAD_double(d + i, v);                                                                   \
    zero -= v == 0;                                                                            \
    low -= v < threshold;                                                                      \
    s += a;                                                                                    \
    q += a * a;                                                                                \
    w += x * x;                                                                                \
  }                                                                                            \
  for (; i < n; i++) {                                                                         \
    const double a = (double)pd[i];                                                            \
    const double v = KIND == 1 ? 1.0 - a * a : KIND == 2 ? a * (1.0 - a) : d[i];               \
    const double x = (double)ud[i];                                                            \
    zero[0] += v == 0;                                                                         \
    low[0] += v < threshold;                                                                   \
    s[0] += a;                                                                                 \
    q[0] += a * a;                                                                             \
    w[0] += x * x;                                                                             \
  }                                                                                            \
  out[0] = HCOUNT(zero);                                                                       \
  out[1] = HCOUNT(low);                                                                        \
  out[2] = HSUM(s);                                                                            \
  out[3] = HSUM(q);                                                                            \
  out[4] = HSUM(w);

/*
 * x = x - lr g (in double, rounded once on store, as TypeScript), the shifted sums of the
 * applied update e = (x_new - x_old) - shift, and the sums of the new values: out = [sum e,
 * sum e^2, sum x_new, sum x_new^2]. The caller updates the first element itself and passes its
 * update as `shift` (plainStepStdTs in optim/sgd.ts).
 */
#define SGD_BODY(T)                                                                             \
  v8d s = {0}, q = {0}, w = {0}, ww = {0};                                                     \
  ptrdiff_t j = 0;                                                                             \
  for (; j + 8 <= n; j += 8) {                                                                 \
    v8d old, gv, back;                                                                         \
    LOAD_##T(x + j, old);                                                                      \
    LOAD_##T(g + j, gv);                                                                       \
    const v8d nx = old - lr * gv;                                                              \
    STORE_##T(x + j, nx, back);                                                                \
    const v8d e = (back - old) - shift;                                                        \
    s += e;                                                                                    \
    q += e * e;                                                                                \
    w += back;                                                                                 \
    ww += back * back;                                                                         \
  }                                                                                            \
  for (; j < n; j++) {                                                                         \
    const double old = (double)x[j];                                                           \
    x[j] = (T)(old - lr * (double)g[j]);                                                       \
    const double back = (double)x[j];                                                          \
    const double e = (back - old) - shift;                                                     \
    s[0] += e;                                                                                 \
    q[0] += e * e;                                                                             \
    w[0] += back;                                                                              \
    ww[0] += back * back;                                                                      \
  }                                                                                            \
  out[0] = HSUM(s);                                                                            \
  out[1] = HSUM(q);                                                                            \
  out[2] = HSUM(w);                                                                            \
  out[3] = HSUM(ww);

/* One set of kernels per ISA: ATTR is a target attribute (empty for the baseline). */
#define KERNELS(SFX, ATTR)                                                                      \
  ATTR static void moments_f32_##SFX(const float *x, ptrdiff_t n, double *out) { \
    MOMENTS_BODY(float)                                                                        \
  }                                                                                            \
  ATTR static void moments_f64_##SFX(const double *x, ptrdiff_t n, double *out) {               \
    MOMENTS_BODY(double)                                                                       \
  }                                                                                            \
  ATTR static void act_pass_f32_##SFX(int kind, const float *pd, const float *ud,              \
                                      const double *d, ptrdiff_t n, double threshold,          \
                                      double *out) {                                           \
    if (kind == 1) {                                                                           \
      ACT_PASS_BODY(float, 1)                                                                  \
    } else if (kind == 2) {                                                                    \
      ACT_PASS_BODY(float, 2)                                                                  \
    } else {                                                                                   \
      ACT_PASS_BODY(float, 0)                                                                  \
    }                                                                                          \
  }                                                                                            \
  ATTR static void act_pass_f64_##SFX(int kind, const double *pd, const double *ud,            \
                                      const double *d, ptrdiff_t n, double threshold,          \
                                      double *out) {                                           \
    if (kind == 1) {                                                                           \
      ACT_PASS_BODY(double, 1)                                                                 \
    } else if (kind == 2) {                                                                    \
      ACT_PASS_BODY(double, 2)                                                                 \
    } else {                                                                                   \
      ACT_PASS_BODY(double, 0)                                                                 \
    }                                                                                          \
  }                                                                                            \
  ATTR static void sgd_f32_##SFX(double lr, float *x, const float *g, ptrdiff_t n, double shift, \
                                 double *out) {                                                \
    SGD_BODY(float)                                                                            \
  }                                                                                            \
  ATTR static void sgd_f64_##SFX(double lr, double *x, const double *g, ptrdiff_t n,           \
                                 double shift, double *out) {                                  \
    SGD_BODY(double)                                                                           \
  }

KERNELS(base, )
#if GS_X86
#include "vec-avx2.h"
KERNELS(avx2, __attribute__((target("avx2"))))
#include "vec-avx512.h"
KERNELS(avx512, __attribute__((target("avx512f"))))
#endif
#define PICK GS_PICK

typedef enum { RED_MOMENTS, RED_ACT, RED_SGD } red_kind;
typedef struct {
  red_kind kind;
  int f64, act;
  const void *x, *u, *g; /* moments: x; activation pass: phi = x, u, d; sgd: x (written), g */
  const double *d;
  void *w;
  double threshold, lr, shift;
  ptrdiff_t n;
} red_job;

static void red_range(const void *ctx, ptrdiff_t lo, ptrdiff_t len, double *out) {
  const red_job *j = ctx;
  switch (j->kind) {
    case RED_MOMENTS:
      if (j->f64) PICK(moments_f64)((const double *)j->x + lo, len, out);
      else PICK(moments_f32)((const float *)j->x + lo, len, out);
      break;
    case RED_ACT:
      if (j->f64)
        PICK(act_pass_f64)(j->act, (const double *)j->x + lo, (const double *)j->u + lo, j->d + lo,
                           len, j->threshold, out);
      else
        PICK(act_pass_f32)(j->act, (const float *)j->x + lo, (const float *)j->u + lo, j->d + lo,
                           len, j->threshold, out);
      break;
    case RED_SGD:
      if (j->f64)
        PICK(sgd_f64)(j->lr, (double *)j->w + lo, (const double *)j->g + lo, len, j->shift, out);
      else
        PICK(sgd_f32)(j->lr, (float *)j->w + lo, (const float *)j->g + lo, len, j->shift, out);
      break;
  }
}

/* Runs the job over [0, n) in chunks (chunks.c); moments' out[2] is a minimum. */
static void red_run(red_job *j, double *out) {
  const int outs = j->kind == RED_MOMENTS ? 3 : j->kind == RED_ACT ? 5 : 4;
  gs_chunked(j->n, red_range, j, outs, j->kind == RED_MOMENTS ? 1u << 2 : 0u, out);
}

void gs_moments_f32(const float *x, ptrdiff_t n, double *out) {
  red_job j = {.kind = RED_MOMENTS, .x = x, .n = n};
  red_run(&j, out);
}
void gs_moments_f64(const double *x, ptrdiff_t n, double *out) {
  red_job j = {.kind = RED_MOMENTS, .f64 = 1, .x = x, .n = n};
  red_run(&j, out);
}
int gs_act_pass_f32(int kind, const float *pd, const float *ud, const double *d, ptrdiff_t n,
                    double threshold, double *out) {
  if (kind < 0 || kind > 2) return 0;
  red_job j = {.kind = RED_ACT, .act = kind, .x = pd, .u = ud, .d = d, .threshold = threshold, .n = n};
  red_run(&j, out);
  return 1;
}
int gs_act_pass_f64(int kind, const double *pd, const double *ud, const double *d, ptrdiff_t n,
                    double threshold, double *out) {
  if (kind < 0 || kind > 2) return 0;
  red_job j = {.kind = RED_ACT, .f64 = 1, .act = kind, .x = pd, .u = ud, .d = d,
               .threshold = threshold, .n = n};
  red_run(&j, out);
  return 1;
}
/* The first element is updated here: its update is the shift of the others (see SGD_BODY),
 * and its new value joins the sums of new values. */
void gs_sgd_step_sums_f32(double lr, float *x, const float *g, ptrdiff_t n, double *out) {
  out[0] = out[1] = out[2] = out[3] = 0;
  if (n == 0) return;
  const double old0 = (double)x[0];
  x[0] = (float)(old0 - lr * (double)g[0]);
  const double new0 = (double)x[0];
  red_job j = {.kind = RED_SGD, .w = x + 1, .g = g + 1, .lr = lr, .shift = new0 - old0, .n = n - 1};
  red_run(&j, out);
  out[2] += new0;
  out[3] += new0 * new0;
}
void gs_sgd_step_sums_f64(double lr, double *x, const double *g, ptrdiff_t n, double *out) {
  out[0] = out[1] = out[2] = out[3] = 0;
  if (n == 0) return;
  const double old0 = x[0];
  x[0] = old0 - lr * g[0];
  const double new0 = x[0];
  red_job j = {.kind = RED_SGD, .f64 = 1, .w = x + 1, .g = g + 1, .lr = lr, .shift = new0 - old0,
               .n = n - 1};
  red_run(&j, out);
  out[2] += new0;
  out[3] += new0 * new0;
}
