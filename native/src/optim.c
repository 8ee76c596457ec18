/*
 * The per-element updates of the stateful optimizers (src/core/optim/adam.ts, sgd.ts with
 * momentum or weight decay), with the sums a recorded step needs, in one pass: out = [sum e,
 * sum e^2, sum x_new, sum x_new^2], e = (x_new - x_old) - shift, shift = the first element's
 * update (optim/sgd.ts's shifted sums). Per element the arithmetic is the TypeScript loops',
 * operation for operation in double (-ffp-contract=off; sqrt and division are correctly
 * rounded in both), parameters rounded once on store, so x, m, v and the momentum buffer match
 * TypeScript bit for bit; only the order of the float64 sums differs. The moments and buffers
 * are float64 (as in TypeScript) whatever the parameters' dtype. Vector bodies from vec.h,
 * instantiated per ISA and split over the pool in fixed chunks (chunks.c).
 */
#include "vec.h"

/* Adam's hyperparameters, in the order of the caller's array (adamStep in addon.c). */
enum { H_W1, H_BETA2, H_W2, H_EPS, H_STEP, H_BC2, H_L2, H_DECAY, ADAM_HYPER };
/* Momentum SGD's: learning rate, momentum, weight decay, nesterov (0 / 1). */
enum { M_LR, M_MU, M_WD, M_NESTEROV, MOMENTUM_HYPER };

#define SUMS_DECL v8d s = {0}, q = {0}, w = {0}, ww = {0};
#define SUMS_ADD(back, old)          \
  {                                  \
    const v8d e = ((back) - (old)) - shift; \
    s += e;                          \
    q += e * e;                      \
    w += (back);                     \
    ww += (back) * (back);           \
  }
#define SUMS_ADD1(back, old)               \
  {                                        \
    const double e = ((back) - (old)) - shift; \
    s[0] += e;                             \
    q[0] += e * e;                         \
    w[0] += (back);                        \
    ww[0] += (back) * (back);              \
  }
#define SUMS_OUT     \
  out[0] = HSUM(s);  \
  out[1] = HSUM(q);  \
  out[2] = HSUM(w);  \
  out[3] = HSUM(ww);

/* torch.lerp(m, g, w1) as adam.ts writes it: the formula depends on the side of 0.5 w1 is on. */
#define ADAM_BODY(T)                                                                            \
  const double w1 = h[H_W1], beta2 = h[H_BETA2], w2 = h[H_W2], eps = h[H_EPS];                 \
  const double step = h[H_STEP], bc2 = h[H_BC2], l2 = h[H_L2], decay = h[H_DECAY];             \
  const double omw1 = 1.0 - w1;                                                                \
  const int low = w1 < 0.5;                                                                    \
  SUMS_DECL                                                                                    \
  ptrdiff_t j = 0;                                                                             \
  for (; j + 8 <= n; j += 8) {                                                                 \
    v8d old, gj, mp, vp, back;                                                                 \
    LOAD_##T(x + j, old);                                                                      \
    LOAD_##T(g + j, gj);                                                                       \
    LOAD_double(m + j, mp);                                                                    \
    LOAD_double(v + j, vp);                                                                    \
    v8d pj = old;                                                                              \
    if (l2 != 0) gj = gj + l2 * pj;                                                            \
    if (decay != 1) pj = pj * decay;                                                           \
    const v8d mj = low ? mp + w1 * (gj - mp) : gj - (gj - mp) * omw1;                          \
    const v8d vj = vp * beta2 + w2 * gj * gj;                                                  \
    memcpy(m + j, &mj, sizeof mj);                                                             \
    memcpy(v + j, &vj, sizeof vj);                                                             \
    const v8d nx = pj - step * (mj / (VSQRT(vj) / bc2 + eps));                                 \
    STORE_##T(x + j, nx, back);                                                                \
    SUMS_ADD(back, old)                                                                        \
  }                                                                                            \
  for (; j < n; j++) {                                                                         \
    const double old = (double)x[j];                                                           \
    double pj = old, gj = (double)g[j];                                                        \
    if (l2 != 0) gj += l2 * pj;                                                                \
    if (decay != 1) pj *= decay;                                                               \
    const double mp = m[j];                                                                    \
    const double mj = low ? mp + w1 * (gj - mp) : gj - (gj - mp) * omw1;                       \
    const double vj = v[j] * beta2 + w2 * gj * gj;                                             \
    m[j] = mj;                                                                                 \
    v[j] = vj;                                                                                 \
    x[j] = (T)(pj - step * (mj / (__builtin_sqrt(vj) / bc2 + eps)));                           \
    const double back = (double)x[j];                                                          \
    SUMS_ADD1(back, old)                                                                       \
  }                                                                                            \
  SUMS_OUT

/* sgd.ts's loop: d = g (+ wd p); b = mu b + d; d = nesterov ? d + mu b : b; p = p - lr d.
 * b is NULL without momentum (weight decay only). */
#define MOMENTUM_BODY(T)                                                                        \
  const double lr = h[M_LR], mu = h[M_MU], wd = h[M_WD];                                       \
  const int nesterov = h[M_NESTEROV] != 0;                                                     \
  SUMS_DECL                                                                                    \
  ptrdiff_t j = 0;                                                                             \
  for (; j + 8 <= n; j += 8) {                                                                 \
    v8d old, d, back;                                                                          \
    LOAD_##T(x + j, old);                                                                      \
    LOAD_##T(g + j, d);                                                                        \
    if (wd != 0) d = d + wd * old;                                                             \
    if (b) {                                                                                   \
      v8d bp;                                                                                  \
      LOAD_double(b + j, bp);                                                                  \
      const v8d bj = mu * bp + d;                                                              \
      memcpy(b + j, &bj, sizeof bj);                                                           \
      d = nesterov ? d + mu * bj : bj;                                                         \
    }                                                                                          \
    const v8d nx = old - lr * d;                                                               \
    STORE_##T(x + j, nx, back);                                                                \
    SUMS_ADD(back, old)                                                                        \
  }                                                                                            \
  for (; j < n; j++) {                                                                         \
    const double old = (double)x[j];                                                           \
    double d = (double)g[j];                                                                   \
    if (wd != 0) d += wd * old;                                                                \
    if (b) {                                                                                   \
      const double bj = mu * b[j] + d;                                                         \
      b[j] = bj;                                                                               \
      d = nesterov ? d + mu * bj : bj;                                                         \
    }                                                                                          \
    x[j] = (T)(old - lr * d);                                                                  \
    const double back = (double)x[j];                                                          \
    SUMS_ADD1(back, old)                                                                       \
  }                                                                                            \
  SUMS_OUT

#define KERNELS(SFX, ATTR)                                                                      \
  ATTR static void adam_f32_##SFX(float *x, const float *g, double *m, double *v, ptrdiff_t n, \
                                  const double *h, double shift, double *out) {                \
    ADAM_BODY(float)                                                                           \
  }                                                                                            \
  ATTR static void adam_f64_##SFX(double *x, const double *g, double *m, double *v,            \
                                  ptrdiff_t n, const double *h, double shift, double *out) {   \
    ADAM_BODY(double)                                                                          \
  }                                                                                            \
  ATTR static void momentum_f32_##SFX(float *x, const float *g, double *b, ptrdiff_t n,        \
                                      const double *h, double shift, double *out) {            \
    MOMENTUM_BODY(float)                                                                       \
  }                                                                                            \
  ATTR static void momentum_f64_##SFX(double *x, const double *g, double *b, ptrdiff_t n,      \
                                      const double *h, double shift, double *out) {            \
    MOMENTUM_BODY(double)                                                                      \
  }

KERNELS(base, )
#if GS_X86
#include "vec-avx2.h"
KERNELS(avx2, __attribute__((target("avx2"))))
#include "vec-avx512.h"
KERNELS(avx512, __attribute__((target("avx512f"))))
#endif

typedef struct {
  int f64, adam;
  void *x;
  const void *g;
  double *m, *v; /* Adam's moments; momentum: m = the buffer (or NULL), v unused */
  const double *h;
  double shift;
} opt_job;

/* Chunk [lo, lo + len) of elements 1..n-1 (the job's arrays start at element 1). */
static void opt_range(const void *ctx, ptrdiff_t lo, ptrdiff_t len, double *out) {
  const opt_job *j = ctx;
  double *m = j->m ? j->m + lo : NULL;
  if (j->adam) {
    if (j->f64)
      GS_PICK(adam_f64)((double *)j->x + lo, (const double *)j->g + lo, m, j->v + lo, len, j->h,
                        j->shift, out);
    else
      GS_PICK(adam_f32)((float *)j->x + lo, (const float *)j->g + lo, m, j->v + lo, len, j->h,
                        j->shift, out);
  } else {
    if (j->f64)
      GS_PICK(momentum_f64)((double *)j->x + lo, (const double *)j->g + lo, m, len, j->h, j->shift,
                            out);
    else
      GS_PICK(momentum_f32)((float *)j->x + lo, (const float *)j->g + lo, m, len, j->h, j->shift,
                            out);
  }
}

/*
 * The first element is updated here by the same kernel (a one-element range, so the same
 * arithmetic), its update is the shift of the others, and its new value joins the sums.
 */
static void opt_run(opt_job *j, ptrdiff_t n, size_t elem, double *out) {
  out[0] = out[1] = out[2] = out[3] = 0;
  if (n == 0) return;
  const double old0 = j->f64 ? ((double *)j->x)[0] : (double)((float *)j->x)[0];
  double first[4];
  j->shift = 0;
  opt_range(j, 0, 1, first);
  const double new0 = j->f64 ? ((double *)j->x)[0] : (double)((float *)j->x)[0];
  opt_job rest = *j;
  rest.x = (char *)j->x + elem;
  rest.g = (const char *)j->g + elem;
  rest.m = j->m ? j->m + 1 : NULL;
  rest.v = j->v ? j->v + 1 : NULL;
  rest.shift = new0 - old0;
  gs_chunked(n - 1, opt_range, &rest, 4, 0u, out);
  out[2] += new0;
  out[3] += new0 * new0;
}

void gs_adam_step_f32(float *x, const float *g, double *m, double *v, ptrdiff_t n,
                      const double *hyper, double *out) {
  opt_job j = {.adam = 1, .x = x, .g = g, .m = m, .v = v, .h = hyper};
  opt_run(&j, n, sizeof(float), out);
}
void gs_adam_step_f64(double *x, const double *g, double *m, double *v, ptrdiff_t n,
                      const double *hyper, double *out) {
  opt_job j = {.f64 = 1, .adam = 1, .x = x, .g = g, .m = m, .v = v, .h = hyper};
  opt_run(&j, n, sizeof(double), out);
}
void gs_momentum_step_f32(float *x, const float *g, double *b, ptrdiff_t n, const double *hyper,
                          double *out) {
  opt_job j = {.x = x, .g = g, .m = b, .h = hyper};
  opt_run(&j, n, sizeof(float), out);
}
void gs_momentum_step_f64(double *x, const double *g, double *b, ptrdiff_t n,
                          const double *hyper, double *out) {
  opt_job j = {.f64 = 1, .x = x, .g = g, .m = b, .h = hyper};
  opt_run(&j, n, sizeof(double), out);
}
