/*
 * Element-wise kernels. Each computes what the TypeScript loop it replaces computes: the loops
 * there work in float64 on float32 inputs and round once on store, so these do the same (widen,
 * compute in double, round) with -ffp-contract=off, which makes addRowBias, columnSums, axpy,
 * relu and every backward bit-identical to TypeScript. tanh and sigmoid use a vectorized exp in
 * double (relative error ~1e-15) before rounding to float32, so they agree with Math.tanh /
 * Math.exp rounded to float32 within 1 ulp. NaN propagates as in TypeScript (no fast-math).
 * sumSquares accumulates in double in a different order (several partial sums).
 */
#include <math.h>

#include "kernels.h"

#if GS_X86
#include <immintrin.h>
#endif

void gs_add_row_bias_f32(float *z, const float *b, ptrdiff_t rows, ptrdiff_t cols) {
  for (ptrdiff_t r = 0; r < rows; r++, z += cols)
    for (ptrdiff_t j = 0; j < cols; j++) z[j] = z[j] + b[j];
}
void gs_add_row_bias_f64(double *z, const double *b, ptrdiff_t rows, ptrdiff_t cols) {
  for (ptrdiff_t r = 0; r < rows; r++, z += cols)
    for (ptrdiff_t j = 0; j < cols; j++) z[j] = z[j] + b[j];
}

/* Same order as the TypeScript loop (row by row into out), so the same rounding. */
void gs_column_sums_f32(const float *x, ptrdiff_t rows, ptrdiff_t cols, float *out) {
  for (ptrdiff_t j = 0; j < cols; j++) out[j] = 0.0f;
  for (ptrdiff_t r = 0; r < rows; r++, x += cols)
    for (ptrdiff_t j = 0; j < cols; j++) out[j] = out[j] + x[j];
}
void gs_column_sums_f64(const double *x, ptrdiff_t rows, ptrdiff_t cols, double *out) {
  for (ptrdiff_t j = 0; j < cols; j++) out[j] = 0.0;
  for (ptrdiff_t r = 0; r < rows; r++, x += cols)
    for (ptrdiff_t j = 0; j < cols; j++) out[j] = out[j] + x[j];
}

/* y = y + alpha x in double, rounded once: what `y[i] = y[i] - lr * x[i]` does in JS. */
void gs_axpy_f32(double alpha, const float *x, float *y, ptrdiff_t n) {
  for (ptrdiff_t i = 0; i < n; i++) y[i] = (float)((double)y[i] + alpha * (double)x[i]);
}
void gs_axpy_f64(double alpha, const double *x, double *y, ptrdiff_t n) {
  for (ptrdiff_t i = 0; i < n; i++) y[i] = y[i] + alpha * x[i];
}

/* Eight partial sums: independent add chains, in any ISA. */
#define SUM_SQUARES(T)                                                                          \
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                                      \
  ptrdiff_t i = 0;                                                                             \
  for (; i + 8 <= n; i += 8)                                                                   \
    for (int l = 0; l < 8; l++) {                                                              \
      const double v = (double)x[i + l];                                                       \
      s[l] += v * v;                                                                           \
    }                                                                                          \
  for (; i < n; i++) {                                                                         \
    const double v = (double)x[i];                                                             \
    s[0] += v * v;                                                                             \
  }                                                                                            \
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
double gs_sum_squares_f32(const float *x, ptrdiff_t n) { SUM_SQUARES(float) }
double gs_sum_squares_f64(const double *x, ptrdiff_t n) { SUM_SQUARES(double) }

/* ---- scalar activations (tails and the portable path) ---- */

static inline double sigmoid_d(double x) {
  return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
}

static void tanh_scalar(const float *u, float *a, ptrdiff_t n) {
  for (ptrdiff_t i = 0; i < n; i++) a[i] = (float)tanh((double)u[i]);
}
static void sigmoid_scalar(const float *u, float *a, ptrdiff_t n) {
  for (ptrdiff_t i = 0; i < n; i++) a[i] = (float)sigmoid_d((double)u[i]);
}

#if GS_X86

/*
 * exp(y) for finite y in [-120, 120] (callers clamp): y = n ln2 + r, |r| <= ln2 / 2, exp(r) by
 * its Taylor series to r^13 (truncation < 2e-16 relative), 2^n built in the exponent bits.
 * The rounding trick (add 1.5 * 2^52) leaves n in the low mantissa bits, avoiding AVX-512DQ.
 */
#define EXP_BODY(V, PD, SI, CAST_SI, CAST_PD, ADD64, SLL64)                                     \
  const V magic = PD##_set1_pd(6755399441055744.0);                                             \
  const V t = PD##_add_pd(PD##_mul_pd(y, PD##_set1_pd(1.4426950408889634)), magic);             \
  const V nn = PD##_sub_pd(t, magic);                                                          \
  V r = PD##_fnmadd_pd(nn, PD##_set1_pd(0.6931471803691238), y);                               \
  r = PD##_fnmadd_pd(nn, PD##_set1_pd(1.9082149292705877e-10), r);                             \
  V p = PD##_set1_pd(1.0 / 6227020800.0);                                                      \
  p = PD##_fmadd_pd(p, r, PD##_set1_pd(1.0 / 479001600.0));                                    \
  p = PD##_fmadd_pd(p, r, PD##_set1_pd(1.0 / 39916800.0));                                     \
  p = PD##_fmadd_pd(p, r, PD##_set1_pd(1.0 / 3628800.0));                                      \
  p = PD##_fmadd_pd(p, r, PD##_set1_pd(1.0 / 362880.0));                                       \
  p = PD##_fmadd_pd(p, r, PD##_set1_pd(1.0 / 40320.0));                                        \
  p = PD##_fmadd_pd(p, r, PD##_set1_pd(1.0 / 5040.0));                                         \
  p = PD##_fmadd_pd(p, r, PD##_set1_pd(1.0 / 720.0));                                          \
  p = PD##_fmadd_pd(p, r, PD##_set1_pd(1.0 / 120.0));                                          \
  p = PD##_fmadd_pd(p, r, PD##_set1_pd(1.0 / 24.0));                                           \
  p = PD##_fmadd_pd(p, r, PD##_set1_pd(1.0 / 6.0));                                            \
  p = PD##_fmadd_pd(p, r, PD##_set1_pd(0.5));                                                  \
  p = PD##_fmadd_pd(p, r, PD##_set1_pd(1.0));                                                  \
  p = PD##_fmadd_pd(p, r, PD##_set1_pd(1.0));                                                  \
  const SI bits = SLL64(ADD64(CAST_SI(t), PD##_set1_epi64x_(1023)), 52);                       \
  return PD##_mul_pd(p, CAST_PD(bits));

#define _mm256_set1_epi64x_(v) _mm256_set1_epi64x(v)
#define _mm512_set1_epi64x_(v) _mm512_set1_epi64(v)

#define AVX2 __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx512f")))

AVX2 static inline __m256d exp_avx2(__m256d y) {
  EXP_BODY(__m256d, _mm256, __m256i, _mm256_castpd_si256, _mm256_castsi256_pd, _mm256_add_epi64,
           _mm256_slli_epi64)
}
AVX512 static inline __m512d exp_avx512(__m512d y) {
  EXP_BODY(__m512d, _mm512, __m512i, _mm512_castpd_si512, _mm512_castsi512_pd, _mm512_add_epi64,
           _mm512_slli_epi64)
}

/*
 * tanh on |x|: |x| < 0.004: x - x^3/3 + 2x^5/15 (next term < 3e-16 relative); otherwise
 * 1 - 2 / (exp(2|x|) + 1) (absolute error ~2e-16, relative < 6e-14 there). |x| is clamped to
 * 9.5, where tanh already rounds to 1 in float32; the sign is copied back and NaN lanes pass x.
 */
AVX2 static void tanh_avx2(const float *u, float *a, ptrdiff_t n) {
  const __m256d sign = _mm256_set1_pd(-0.0);
  ptrdiff_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d x = _mm256_cvtps_pd(_mm_loadu_ps(u + i));
    const __m256d ax = _mm256_min_pd(_mm256_andnot_pd(sign, x), _mm256_set1_pd(9.5));
    const __m256d e = exp_avx2(_mm256_add_pd(ax, ax));
    const __m256d big = _mm256_sub_pd(
        _mm256_set1_pd(1.0), _mm256_div_pd(_mm256_set1_pd(2.0), _mm256_add_pd(e, _mm256_set1_pd(1.0))));
    const __m256d x2 = _mm256_mul_pd(ax, ax);
    __m256d q = _mm256_add_pd(_mm256_mul_pd(x2, _mm256_set1_pd(2.0 / 15.0)), _mm256_set1_pd(-1.0 / 3.0));
    const __m256d small = _mm256_add_pd(ax, _mm256_mul_pd(_mm256_mul_pd(ax, x2), q));
    __m256d t = _mm256_blendv_pd(big, small, _mm256_cmp_pd(ax, _mm256_set1_pd(0.004), _CMP_LT_OQ));
    t = _mm256_or_pd(t, _mm256_and_pd(sign, x));
    t = _mm256_blendv_pd(t, x, _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
    _mm_storeu_ps(a + i, _mm256_cvtpd_ps(t));
  }
  tanh_scalar(u + i, a + i, n - i);
}

AVX512 static void tanh_avx512(const float *u, float *a, ptrdiff_t n) {
  const __m512d sign = _mm512_set1_pd(-0.0);
  ptrdiff_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512d x = _mm512_cvtps_pd(_mm256_loadu_ps(u + i));
    const __m512d ax = _mm512_min_pd(_mm512_abs_pd(x), _mm512_set1_pd(9.5));
    const __m512d e = exp_avx512(_mm512_add_pd(ax, ax));
    const __m512d big = _mm512_sub_pd(
        _mm512_set1_pd(1.0), _mm512_div_pd(_mm512_set1_pd(2.0), _mm512_add_pd(e, _mm512_set1_pd(1.0))));
    const __m512d x2 = _mm512_mul_pd(ax, ax);
    __m512d q = _mm512_add_pd(_mm512_mul_pd(x2, _mm512_set1_pd(2.0 / 15.0)), _mm512_set1_pd(-1.0 / 3.0));
    const __m512d small = _mm512_add_pd(ax, _mm512_mul_pd(_mm512_mul_pd(ax, x2), q));
    __m512d t = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(ax, _mm512_set1_pd(0.004), _CMP_LT_OQ), big, small);
    t = _mm512_castsi512_pd(_mm512_or_si512(
        _mm512_castpd_si512(t), _mm512_and_si512(_mm512_castpd_si512(sign), _mm512_castpd_si512(x))));
    t = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), t, x);
    _mm256_storeu_ps(a + i, _mm512_cvtpd_ps(t));
  }
  tanh_scalar(u + i, a + i, n - i);
}

/* sigmoid: e = exp(-|x|) (|x| clamped to 110, where float32 results are already 0 or 1);
 * x >= 0: 1 / (1 + e), else e / (1 + e), as the TypeScript formula. */
AVX2 static void sigmoid_avx2(const float *u, float *a, ptrdiff_t n) {
  const __m256d sign = _mm256_set1_pd(-0.0);
  ptrdiff_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d x = _mm256_cvtps_pd(_mm_loadu_ps(u + i));
    const __m256d ax = _mm256_min_pd(_mm256_andnot_pd(sign, x), _mm256_set1_pd(110.0));
    const __m256d e = exp_avx2(_mm256_xor_pd(ax, sign));
    const __m256d d = _mm256_div_pd(_mm256_set1_pd(1.0), _mm256_add_pd(_mm256_set1_pd(1.0), e));
    __m256d s = _mm256_blendv_pd(_mm256_mul_pd(e, d), d, _mm256_cmp_pd(x, _mm256_setzero_pd(), _CMP_GE_OQ));
    s = _mm256_blendv_pd(s, x, _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
    _mm_storeu_ps(a + i, _mm256_cvtpd_ps(s));
  }
  sigmoid_scalar(u + i, a + i, n - i);
}

AVX512 static void sigmoid_avx512(const float *u, float *a, ptrdiff_t n) {
  ptrdiff_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512d x = _mm512_cvtps_pd(_mm256_loadu_ps(u + i));
    const __m512d ax = _mm512_min_pd(_mm512_abs_pd(x), _mm512_set1_pd(110.0));
    const __m512d e = exp_avx512(_mm512_sub_pd(_mm512_setzero_pd(), ax));
    const __m512d d = _mm512_div_pd(_mm512_set1_pd(1.0), _mm512_add_pd(_mm512_set1_pd(1.0), e));
    __m512d s = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GE_OQ),
                                     _mm512_mul_pd(e, d), d);
    s = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), s, x);
    _mm256_storeu_ps(a + i, _mm512_cvtpd_ps(s));
  }
  sigmoid_scalar(u + i, a + i, n - i);
}

#endif

typedef void (*act_fn)(const float *u, float *a, ptrdiff_t n);

static act_fn forward_kernel(int act) {
  const gs_isa isa = gs_current_isa();
#if GS_X86
  if (act == GS_ACT_TANH) return isa == GS_ISA_AVX512 ? tanh_avx512 : isa == GS_ISA_AVX2 ? tanh_avx2 : tanh_scalar;
  if (act == GS_ACT_SIGMOID)
    return isa == GS_ISA_AVX512 ? sigmoid_avx512 : isa == GS_ISA_AVX2 ? sigmoid_avx2 : sigmoid_scalar;
#else
  (void)isa;
  if (act == GS_ACT_TANH) return tanh_scalar;
  if (act == GS_ACT_SIGMOID) return sigmoid_scalar;
#endif
  return NULL;
}

/* tanh and sigmoid cost ~1.5 ns an element: long arrays are split over the thread pool in
 * chunks of whole 16-element groups, so every element takes the same (vector or tail) path as
 * on one thread and the result does not depend on the thread count. */
#define ACT_PARALLEL_MIN 32768
typedef struct {
  act_fn fn;
  const float *u;
  float *a;
  ptrdiff_t n, step;
} act_job;

static void act_task(void *ctx, int part, int parts) {
  const act_job *j = ctx;
  (void)parts;
  const ptrdiff_t lo = part * j->step;
  if (lo >= j->n) return;
  const ptrdiff_t len = j->n - lo < j->step ? j->n - lo : j->step;
  j->fn(j->u + lo, j->a + lo, len);
}

int gs_act_forward_f32(int act, const float *u, float *a, ptrdiff_t n) {
  if (act == GS_ACT_RELU) {
    for (ptrdiff_t i = 0; i < n; i++) {
      const float x = u[i];
      a[i] = x > 0 || x != x ? x : 0.0f;
    }
    return 1;
  }
  const act_fn fn = forward_kernel(act);
  if (!fn) return 0;
  const int threads = gs_threads();
  if (threads <= 1 || n < ACT_PARALLEL_MIN) {
    fn(u, a, n);
    return 1;
  }
  const int parts = 2 * threads;
  act_job j = {fn, u, a, n, ((n + parts - 1) / parts + 15) / 16 * 16};
  gs_parallel((int)((n + j.step - 1) / j.step), act_task, &j);
  return 1;
}

/*
 * u = z + b (b broadcast along rows, in place in z) and a = phi(u) in one trip through memory:
 * each chunk of the flattened array gets its bias, then its activation, while it is in cache.
 * The chunks are the ones gs_act_forward_f32 uses (whole 16-element groups), so every element
 * takes the same path as there, and the result equals addRowBias then activationForward bit
 * for bit, for any thread count.
 */
typedef struct {
  act_fn fn; /* NULL: relu */
  float *z;
  const float *b;
  float *a;
  ptrdiff_t n, cols, step;
} bias_act_job;

static void bias_act_range(const bias_act_job *j, ptrdiff_t lo, ptrdiff_t len) {
  float *z = j->z;
  ptrdiff_t c = lo % j->cols;
  for (ptrdiff_t i = lo; i < lo + len; i++) {
    z[i] = z[i] + j->b[c];
    if (++c == j->cols) c = 0;
  }
  if (j->fn) {
    j->fn(z + lo, j->a + lo, len);
    return;
  }
  for (ptrdiff_t i = lo; i < lo + len; i++) {
    const float x = z[i];
    j->a[i] = x > 0 || x != x ? x : 0.0f;
  }
}

static void bias_act_task(void *ctx, int part, int parts) {
  const bias_act_job *j = ctx;
  (void)parts;
  const ptrdiff_t lo = part * j->step;
  if (lo >= j->n) return;
  bias_act_range(j, lo, j->n - lo < j->step ? j->n - lo : j->step);
}

int gs_bias_act_forward_f32(int act, float *z, const float *b, ptrdiff_t rows, ptrdiff_t cols,
                            float *a) {
  const act_fn fn = act == GS_ACT_RELU ? NULL : forward_kernel(act);
  if (act != GS_ACT_RELU && !fn) return 0;
  const ptrdiff_t n = rows * cols;
  bias_act_job j = {fn, z, b, a, n, cols, n};
  if (n == 0) return 1;
  const int threads = gs_threads();
  if (threads <= 1 || n < ACT_PARALLEL_MIN || !fn) {
    bias_act_range(&j, 0, n);
    return 1;
  }
  const int parts = 2 * threads;
  j.step = ((n + parts - 1) / parts + 15) / 16 * 16;
  gs_parallel((int)((n + j.step - 1) / j.step), bias_act_task, &j);
  return 1;
}

/* float64: relu only (see gs_act_forward_f64). */
int gs_bias_act_forward_f64(int act, double *z, const double *b, ptrdiff_t rows, ptrdiff_t cols,
                            double *a) {
  if (act != GS_ACT_RELU) return 0;
  gs_add_row_bias_f64(z, b, rows, cols);
  return gs_act_forward_f64(act, z, a, rows * cols);
}

/* du = phi'(u) rounded to the dtype, times da: the two roundings of the TypeScript backward. */
int gs_act_backward_f32(int act, const float *u, const float *a, const float *da, float *du,
                        ptrdiff_t n) {
  switch (act) {
    case GS_ACT_TANH:
      for (ptrdiff_t i = 0; i < n; i++) {
        const double t = a[i];
        du[i] = (float)(1.0 - t * t) * da[i];
      }
      return 1;
    case GS_ACT_SIGMOID:
      for (ptrdiff_t i = 0; i < n; i++) {
        const double s = a[i];
        du[i] = (float)(s * (1.0 - s)) * da[i];
      }
      return 1;
    case GS_ACT_RELU:
      for (ptrdiff_t i = 0; i < n; i++) du[i] = (u[i] > 0 ? 1.0f : 0.0f) * da[i];
      return 1;
    default:
      return 0;
  }
}

/* float64: only the exact piecewise-linear relu; tanh and sigmoid stay in TypeScript so the
 * float64 probes see exactly Math.tanh / Math.exp. */
int gs_act_forward_f64(int act, const double *u, double *a, ptrdiff_t n) {
  if (act != GS_ACT_RELU) return 0;
  for (ptrdiff_t i = 0; i < n; i++) {
    const double x = u[i];
    a[i] = x > 0 || x != x ? x : 0.0;
  }
  return 1;
}
int gs_act_backward_f64(int act, const double *u, const double *a, const double *da, double *du,
                        ptrdiff_t n) {
  if (act != GS_ACT_RELU) return 0;
  for (ptrdiff_t i = 0; i < n; i++) du[i] = (u[i] > 0 ? 1.0 : 0.0) * da[i];
  return 1;
}
