/* Shared declarations of the gradscope native kernels (design: docs/ARCHITECTURE.md, "Native kernels"). */
#ifndef GRADSCOPE_KERNELS_H
#define GRADSCOPE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define GS_X86 1
#else
#define GS_X86 0
#endif

/* Instruction-set levels, best last. */
typedef enum { GS_ISA_SCALAR = 0, GS_ISA_AVX2 = 1, GS_ISA_AVX512 = 2 } gs_isa;

/* Micro-kernel: C[0:MR, 0:NR] (row stride ldc) = (beta ? C : 0) + a-strip * b-strip, where the
 * packed a strip holds kc steps of MR values and the b strip kc steps of NR values. */
typedef void (*gs_ukr_f32)(ptrdiff_t kc, const float *a, const float *b, float *c, ptrdiff_t ldc,
                           int beta);
typedef void (*gs_ukr_f64)(ptrdiff_t kc, const double *a, const double *b, double *c,
                           ptrdiff_t ldc, int beta);

typedef struct {
  int mr, nr;
  gs_ukr_f32 ukr;
} gs_kernel_f32;
typedef struct {
  int mr, nr;
  gs_ukr_f64 ukr;
} gs_kernel_f64;

/* microkernels.c */
gs_isa gs_detect_isa(void);
gs_kernel_f32 gs_kernel_f32_for(gs_isa isa);
gs_kernel_f64 gs_kernel_f64_for(gs_isa isa);

/* gemm.c: C[m, n] (row stride n) = A B (+ C), A(i, p) = A[i ars + p acs], B(p, j) = B[p brs + j bcs]. */
void gs_gemm_f32(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *A, ptrdiff_t ars,
                 ptrdiff_t acs, const float *B, ptrdiff_t brs, ptrdiff_t bcs, float *C,
                 int accumulate);
void gs_gemm_f64(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const double *A, ptrdiff_t ars,
                 ptrdiff_t acs, const double *B, ptrdiff_t brs, ptrdiff_t bcs, double *C,
                 int accumulate);
/* The ISA the gemm uses (at most the detected one); returns 0 if `isa` is not supported. */
int gs_set_isa(gs_isa isa);
gs_isa gs_current_isa(void);
/* Products with fewer multiply-adds than this run on the calling thread only. */
extern int64_t gs_parallel_min_muladds;

/* pool.c: runs fn(ctx, part, parts) for part < parts, part 0 on the calling thread. */
typedef void (*gs_task)(void *ctx, int part, int parts);
void gs_parallel(int parts, gs_task fn, void *ctx);
int gs_threads(void);          /* threads products may use (1 = no pool) */
int gs_set_threads(int count); /* returns the previous count; clamps to [1, 64] */

/* chunks.c: fn(ctx, lo, len, out) over fixed chunks of [0, n) on the pool; each chunk's `outs`
 * (<= GS_CHUNK_OUTS) results are combined in chunk order: summed, or the minimum where bit k of
 * min_mask is set. The result depends on n only, not on the thread count. */
#define GS_CHUNK_OUTS 8
typedef void (*gs_range_fn)(const void *ctx, ptrdiff_t lo, ptrdiff_t len, double *out);
void gs_chunked(ptrdiff_t n, gs_range_fn fn, const void *ctx, int outs, unsigned min_mask,
                double *out);

/* elementwise.c (float32 unless named _f64) */
void gs_add_row_bias_f32(float *z, const float *b, ptrdiff_t rows, ptrdiff_t cols);
void gs_add_row_bias_f64(double *z, const double *b, ptrdiff_t rows, ptrdiff_t cols);
void gs_column_sums_f32(const float *x, ptrdiff_t rows, ptrdiff_t cols, float *out);
void gs_column_sums_f64(const double *x, ptrdiff_t rows, ptrdiff_t cols, double *out);
double gs_sum_squares_f32(const float *x, ptrdiff_t n);
double gs_sum_squares_f64(const double *x, ptrdiff_t n);
void gs_axpy_f32(double alpha, const float *x, float *y, ptrdiff_t n);
void gs_axpy_f64(double alpha, const double *x, double *y, ptrdiff_t n);
/* activation codes */
/* reductions.c: metric sums (see there); out arrays are double */
void gs_moments_f32(const float *x, ptrdiff_t n, double *out);
void gs_moments_f64(const double *x, ptrdiff_t n, double *out);
int gs_act_pass_f32(int kind, const float *pd, const float *ud, const double *d, ptrdiff_t n,
                    double threshold, double *out);
int gs_act_pass_f64(int kind, const double *pd, const double *ud, const double *d, ptrdiff_t n,
                    double threshold, double *out);
void gs_sgd_step_sums_f32(double lr, float *x, const float *g, ptrdiff_t n, double *out);
void gs_sgd_step_sums_f64(double lr, double *x, const double *g, ptrdiff_t n, double *out);

/* optim.c: an optimizer step over x[0..n) with out = [sum e, sum e^2, sum x_new, sum x_new^2]
 * (see there). Adam hyper = [w1, beta2, w2, eps, stepSize, bc2Sqrt, l2, decay]; momentum hyper =
 * [lr, mu, wd, nesterov], b may be NULL (weight decay only). State arrays are double. */
void gs_adam_step_f32(float *x, const float *g, double *m, double *v, ptrdiff_t n,
                      const double *hyper, double *out);
void gs_adam_step_f64(double *x, const double *g, double *m, double *v, ptrdiff_t n,
                      const double *hyper, double *out);
void gs_momentum_step_f32(float *x, const float *g, double *b, ptrdiff_t n, const double *hyper,
                          double *out);
void gs_momentum_step_f64(double *x, const double *g, double *b, ptrdiff_t n,
                          const double *hyper, double *out);

enum { GS_ACT_TANH = 1, GS_ACT_SIGMOID = 2, GS_ACT_RELU = 3 };
int gs_act_forward_f32(int act, const float *u, float *a, ptrdiff_t n);
/* z += b (rows x cols, b broadcast) then a = phi(z), fused; 0 when the activation is declined. */
int gs_bias_act_forward_f32(int act, float *z, const float *b, ptrdiff_t rows, ptrdiff_t cols,
                            float *a);
int gs_bias_act_forward_f64(int act, double *z, const double *b, ptrdiff_t rows, ptrdiff_t cols,
                            double *a);
int gs_act_backward_f32(int act, const float *u, const float *a, const float *da, float *du,
                        ptrdiff_t n);
int gs_act_forward_f64(int act, const double *u, double *a, ptrdiff_t n);
int gs_act_backward_f64(int act, const double *u, const double *a, const double *da, double *du,
                        ptrdiff_t n);

#endif
