/*
 * Register-blocked micro-kernels: an MR x NR tile of C held in registers, updated by one
 * outer product per step p of the packed strips (a: MR values per step, b: NR values per step).
 * Vectors run along the NR columns; each of the MR rows broadcasts its A value. FMA here is
 * deliberate (one rounding per multiply-add, like OpenBLAS); the float32 results then differ
 * from the TypeScript loops only by round-off.
 *
 *   AVX-512  f32  8 x 32  (16 zmm accumulators)   f64  8 x 16
 *   AVX2+FMA f32  6 x 16  (12 ymm accumulators)   f64  6 x 8
 *   portable f32  4 x 8   (plain C the compiler vectorizes with SSE2)   f64 4 x 4
 */
#include "kernels.h"

#if GS_X86
#include <immintrin.h>
#endif

/* ---- portable ---- */

#define PORTABLE_UKR(NAME, T, MR, NR)                                                            \
  static void NAME(ptrdiff_t kc, const T *a, const T *b, T *c, ptrdiff_t ldc, int beta) {     \
    T acc[MR][NR] = {{0}};                                                                     \
    for (ptrdiff_t p = 0; p < kc; p++, a += MR, b += NR)                                       \
      for (int i = 0; i < MR; i++)                                                             \
        for (int j = 0; j < NR; j++) acc[i][j] += a[i] * b[j];                                 \
    for (int i = 0; i < MR; i++)                                                               \
      for (int j = 0; j < NR; j++) c[i * ldc + j] = beta ? c[i * ldc + j] + acc[i][j] : acc[i][j]; \
  }
PORTABLE_UKR(ukr_f32_portable, float, 4, 8)
PORTABLE_UKR(ukr_f64_portable, double, 4, 4)

#if GS_X86

/* ---- AVX2 + FMA ---- */

#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static void ukr_f32_avx2(ptrdiff_t kc, const float *a, const float *b, float *c,
                              ptrdiff_t ldc, int beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (ptrdiff_t p = 0; p < kc; p++, a += 6, b += 16) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 x;
    x = _mm256_broadcast_ss(a + 0), c00 = _mm256_fmadd_ps(x, b0, c00), c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a + 1), c10 = _mm256_fmadd_ps(x, b0, c10), c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a + 2), c20 = _mm256_fmadd_ps(x, b0, c20), c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a + 3), c30 = _mm256_fmadd_ps(x, b0, c30), c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(a + 4), c40 = _mm256_fmadd_ps(x, b0, c40), c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(a + 5), c50 = _mm256_fmadd_ps(x, b0, c50), c51 = _mm256_fmadd_ps(x, b1, c51);
  }
#define ST(ROW, V0, V1)                                                                         \
  do {                                                                                          \
    float *r = c + (ROW) * ldc;                                                                 \
    if (beta) {                                                                                 \
      V0 = _mm256_add_ps(_mm256_loadu_ps(r), V0);                                               \
      V1 = _mm256_add_ps(_mm256_loadu_ps(r + 8), V1);                                           \
    }                                                                                           \
    _mm256_storeu_ps(r, V0);                                                                    \
    _mm256_storeu_ps(r + 8, V1);                                                                \
  } while (0)
  ST(0, c00, c01); ST(1, c10, c11); ST(2, c20, c21);
  ST(3, c30, c31); ST(4, c40, c41); ST(5, c50, c51);
#undef ST
}

AVX2 static void ukr_f64_avx2(ptrdiff_t kc, const double *a, const double *b, double *c,
                              ptrdiff_t ldc, int beta) {
  __m256d c00 = _mm256_setzero_pd(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256d c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (ptrdiff_t p = 0; p < kc; p++, a += 6, b += 8) {
    const __m256d b0 = _mm256_loadu_pd(b), b1 = _mm256_loadu_pd(b + 4);
    __m256d x;
    x = _mm256_broadcast_sd(a + 0), c00 = _mm256_fmadd_pd(x, b0, c00), c01 = _mm256_fmadd_pd(x, b1, c01);
    x = _mm256_broadcast_sd(a + 1), c10 = _mm256_fmadd_pd(x, b0, c10), c11 = _mm256_fmadd_pd(x, b1, c11);
    x = _mm256_broadcast_sd(a + 2), c20 = _mm256_fmadd_pd(x, b0, c20), c21 = _mm256_fmadd_pd(x, b1, c21);
    x = _mm256_broadcast_sd(a + 3), c30 = _mm256_fmadd_pd(x, b0, c30), c31 = _mm256_fmadd_pd(x, b1, c31);
    x = _mm256_broadcast_sd(a + 4), c40 = _mm256_fmadd_pd(x, b0, c40), c41 = _mm256_fmadd_pd(x, b1, c41);
    x = _mm256_broadcast_sd(a + 5), c50 = _mm256_fmadd_pd(x, b0, c50), c51 = _mm256_fmadd_pd(x, b1, c51);
  }
#define ST(ROW, V0, V1)                                                                         \
  do {                                                                                          \
    double *r = c + (ROW) * ldc;                                                                \
    if (beta) {                                                                                 \
      V0 = _mm256_add_pd(_mm256_loadu_pd(r), V0);                                               \
      V1 = _mm256_add_pd(_mm256_loadu_pd(r + 4), V1);                                           \
    }                                                                                           \
    _mm256_storeu_pd(r, V0);                                                                    \
    _mm256_storeu_pd(r + 4, V1);                                                                \
  } while (0)
  ST(0, c00, c01); ST(1, c10, c11); ST(2, c20, c21);
  ST(3, c30, c31); ST(4, c40, c41); ST(5, c50, c51);
#undef ST
}

/* ---- AVX-512 (F only) ---- */

#define AVX512 __attribute__((target("avx512f")))

AVX512 static void ukr_f32_avx512(ptrdiff_t kc, const float *a, const float *b, float *c,
                                  ptrdiff_t ldc, int beta) {
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m512 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  __m512 c60 = c00, c61 = c00, c70 = c00, c71 = c00;
  for (ptrdiff_t p = 0; p < kc; p++, a += 8, b += 32) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
    __m512 x;
    x = _mm512_set1_ps(a[0]), c00 = _mm512_fmadd_ps(x, b0, c00), c01 = _mm512_fmadd_ps(x, b1, c01);
    x = _mm512_set1_ps(a[1]), c10 = _mm512_fmadd_ps(x, b0, c10), c11 = _mm512_fmadd_ps(x, b1, c11);
    x = _mm512_set1_ps(a[2]), c20 = _mm512_fmadd_ps(x, b0, c20), c21 = _mm512_fmadd_ps(x, b1, c21);
    x = _mm512_set1_ps(a[3]), c30 = _mm512_fmadd_ps(x, b0, c30), c31 = _mm512_fmadd_ps(x, b1, c31);
    x = _mm512_set1_ps(a[4]), c40 = _mm512_fmadd_ps(x, b0, c40), c41 = _mm512_fmadd_ps(x, b1, c41);
    x = _mm512_set1_ps(a[5]), c50 = _mm512_fmadd_ps(x, b0, c50), c51 = _mm512_fmadd_ps(x, b1, c51);
    x = _mm512_set1_ps(a[6]), c60 = _mm512_fmadd_ps(x, b0, c60), c61 = _mm512_fmadd_ps(x, b1, c61);
    x = _mm512_set1_ps(a[7]), c70 = _mm512_fmadd_ps(x, b0, c70), c71 = _mm512_fmadd_ps(x, b1, c71);
  }
#define ST(ROW, V0, V1)                                                                         \
  do {                                                                                          \
    float *r = c + (ROW) * ldc;                                                                 \
    if (beta) {                                                                                 \
      V0 = _mm512_add_ps(_mm512_loadu_ps(r), V0);                                               \
      V1 = _mm512_add_ps(_mm512_loadu_ps(r + 16), V1);                                          \
    }                                                                                           \
    _mm512_storeu_ps(r, V0);                                                                    \
    _mm512_storeu_ps(r + 16, V1);                                                               \
  } while (0)
  ST(0, c00, c01); ST(1, c10, c11); ST(2, c20, c21); ST(3, c30, c31);
  ST(4, c40, c41); ST(5, c50, c51); ST(6, c60, c61); ST(7, c70, c71);
#undef ST
}

AVX512 static void ukr_f64_avx512(ptrdiff_t kc, const double *a, const double *b, double *c,
                                  ptrdiff_t ldc, int beta) {
  __m512d c00 = _mm512_setzero_pd(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m512d c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  __m512d c60 = c00, c61 = c00, c70 = c00, c71 = c00;
  for (ptrdiff_t p = 0; p < kc; p++, a += 8, b += 16) {
    const __m512d b0 = _mm512_loadu_pd(b), b1 = _mm512_loadu_pd(b + 8);
    __m512d x;
    x = _mm512_set1_pd(a[0]), c00 = _mm512_fmadd_pd(x, b0, c00), c01 = _mm512_fmadd_pd(x, b1, c01);
    x = _mm512_set1_pd(a[1]), c10 = _mm512_fmadd_pd(x, b0, c10), c11 = _mm512_fmadd_pd(x, b1, c11);
    x = _mm512_set1_pd(a[2]), c20 = _mm512_fmadd_pd(x, b0, c20), c21 = _mm512_fmadd_pd(x, b1, c21);
    x = _mm512_set1_pd(a[3]), c30 = _mm512_fmadd_pd(x, b0, c30), c31 = _mm512_fmadd_pd(x, b1, c31);
    x = _mm512_set1_pd(a[4]), c40 = _mm512_fmadd_pd(x, b0, c40), c41 = _mm512_fmadd_pd(x, b1, c41);
    x = _mm512_set1_pd(a[5]), c50 = _mm512_fmadd_pd(x, b0, c50), c51 = _mm512_fmadd_pd(x, b1, c51);
    x = _mm512_set1_pd(a[6]), c60 = _mm512_fmadd_pd(x, b0, c60), c61 = _mm512_fmadd_pd(x, b1, c61);
    x = _mm512_set1_pd(a[7]), c70 = _mm512_fmadd_pd(x, b0, c70), c71 = _mm512_fmadd_pd(x, b1, c71);
  }
#define ST(ROW, V0, V1)                                                                         \
  do {                                                                                          \
    double *r = c + (ROW) * ldc;                                                                \
    if (beta) {                                                                                 \
      V0 = _mm512_add_pd(_mm512_loadu_pd(r), V0);                                               \
      V1 = _mm512_add_pd(_mm512_loadu_pd(r + 8), V1);                                           \
    }                                                                                           \
    _mm512_storeu_pd(r, V0);                                                                    \
    _mm512_storeu_pd(r + 8, V1);                                                                \
  } while (0)
  ST(0, c00, c01); ST(1, c10, c11); ST(2, c20, c21); ST(3, c30, c31);
  ST(4, c40, c41); ST(5, c50, c51); ST(6, c60, c61); ST(7, c70, c71);
#undef ST
}

gs_isa gs_detect_isa(void) {
  __builtin_cpu_init();
  /* __builtin_cpu_supports also checks that the OS saves the wide registers (XCR0). */
  if (__builtin_cpu_supports("avx512f")) return GS_ISA_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return GS_ISA_AVX2;
  return GS_ISA_SCALAR;
}

#else

gs_isa gs_detect_isa(void) { return GS_ISA_SCALAR; }

#endif

gs_kernel_f32 gs_kernel_f32_for(gs_isa isa) {
#if GS_X86
  if (isa == GS_ISA_AVX512) return (gs_kernel_f32){8, 32, ukr_f32_avx512};
  if (isa == GS_ISA_AVX2) return (gs_kernel_f32){6, 16, ukr_f32_avx2};
#endif
  (void)isa;
  return (gs_kernel_f32){4, 8, ukr_f32_portable};
}

gs_kernel_f64 gs_kernel_f64_for(gs_isa isa) {
#if GS_X86
  if (isa == GS_ISA_AVX512) return (gs_kernel_f64){8, 16, ukr_f64_avx512};
  if (isa == GS_ISA_AVX2) return (gs_kernel_f64){6, 8, ukr_f64_avx2};
#endif
  (void)isa;
  return (gs_kernel_f64){4, 4, ukr_f64_portable};
}
