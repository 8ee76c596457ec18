/* Included before a file's AVX-512 instantiation (see vec.h); no include guard on purpose.
 * GCC 12 splits __builtin_convertvector into five instructions even with AVX-512 on, so this
 * ISA uses the one-instruction intrinsics. */
#undef WIDEN
#undef NARROW
#undef VSQRT
#define WIDEN(f) ((v8d)_mm512_cvtps_pd((__m256)(f)))
#define NARROW(v) ((v8f)_mm512_cvtpd_ps((__m512d)(v)))
#define VSQRT(v) ((v8d)_mm512_sqrt_pd((__m512d)(v)))
