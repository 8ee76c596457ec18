/* Included before a file's AVX2 instantiation (see vec.h); no include guard on purpose. */
#undef VSQRT
#define VSQRT(v) gs_vsqrt_avx2(v)
__attribute__((target("avx2"))) static inline v8d gs_vsqrt_avx2(v8d v) {
  union {
    v8d v;
    __m256d h[2];
  } u = {v};
  u.h[0] = _mm256_sqrt_pd(u.h[0]);
  u.h[1] = _mm256_sqrt_pd(u.h[1]);
  return u.v;
}
