/*
 * Vector types and helpers shared by the per-ISA kernels (reductions.c, optim.c): GCC vector
 * extensions, 8 doubles a vector. Each kernel file defines its bodies once and instantiates them
 * for the baseline ISA, AVX2 and AVX-512, picked at run time with GS_PICK like
 * the gemm. Between instantiations a file includes vec-avx2.h / vec-avx512.h, which redefine
 * WIDEN / NARROW / VSQRT for that ISA.
 */
#ifndef GRADSCOPE_VEC_H
#define GRADSCOPE_VEC_H

#include <math.h>
#include <string.h>

#include "kernels.h"

#if GS_X86
#include <immintrin.h>
#endif

typedef double v8d __attribute__((vector_size(64)));
typedef float v8f __attribute__((vector_size(32)));
typedef long long v8l __attribute__((vector_size(64)));

/* Unaligned loads and stores through memcpy (the compiler emits one vector move). */
#define LOAD_double(p, dst) memcpy(&(dst), (p), sizeof(v8d))
#define LOAD_float(p, dst)       \
  do {                           \
    v8f f_;                      \
    memcpy(&f_, (p), sizeof f_); \
    (dst) = WIDEN(f_);           \
  } while (0)
/* Store v rounded to T, and set `back` to the stored values widened again. */
#define STORE_double(p, v, back) \
  do {                           \
    memcpy((p), &(v), sizeof(v8d)); \
    (back) = (v);                \
  } while (0)
#define STORE_float(p, v, back)  \
  do {                           \
    const v8f f_ = NARROW(v);    \
    memcpy((p), &f_, sizeof f_); \
    (back) = WIDEN(f_);          \
  } while (0)
/* float <-> double conversion of 8 lanes. GCC 12 splits __builtin_convertvector into five
 * instructions even with AVX-512 on, so that ISA uses its one-instruction intrinsics. */
#define WIDEN(f) __builtin_convertvector((f), v8d)
#define NARROW(v) __builtin_convertvector((v), v8f)

/* Lanes added in a fixed tree, the same for every ISA (the result does not depend on it). */
#define HSUM(v) ((((v)[0] + (v)[1]) + ((v)[2] + (v)[3])) + (((v)[4] + (v)[5]) + ((v)[6] + (v)[7])))
#define HCOUNT(v) ((double)((((v)[0] + (v)[1]) + ((v)[2] + (v)[3])) + (((v)[4] + (v)[5]) + ((v)[6] + (v)[7]))))

/* Lane-wise square root (correctly rounded, as Math.sqrt): the baseline loops over lanes. */
#define VSQRT(v) gs_vsqrt_base(v)
static inline v8d gs_vsqrt_base(v8d v) {
  v8d r;
  for (int l = 0; l < 8; l++) r[l] = __builtin_sqrt(v[l]);
  return r;
}

/* GCC warns that 64-byte vectors change the ABI where AVX-512 is off; they never cross a call. */
#pragma GCC diagnostic ignored "-Wpsabi"

#if GS_X86
#define GS_PICK(NAME)                                                                           \
  (gs_current_isa() == GS_ISA_AVX512 ? NAME##_avx512                                          \
   : gs_current_isa() == GS_ISA_AVX2 ? NAME##_avx2                                            \
                                      : NAME##_base)
#else
#define GS_PICK(NAME) NAME##_base
#endif

#endif
