/*
 * N-API glue: every function reads the caller's typed arrays in place (no copies), checks
 * dtypes and bounds, and returns false (declines) when anything does not fit, so the caller runs
 * its TypeScript loop instead. Bounds are checked against each array's length before any
 * kernel touches memory: a wrong argument can never read or write outside an array.
 *
 *   gemm(m, n, k, A, ars, acs, B, brs, bcs, C, accumulate) -> boolean
 *   addRowBias(z, b, rows, cols) / columnSums(x, rows, cols, out) /
 *   axpy(alpha | Float64Array [alpha], x, y, n)
 *   activationForward(code, u, a, n) / activationBackward(code, u, a, da, du, n) /
 *   biasActivationForward(code, z, b, rows, cols, a) -> boolean
 *   sumSquares(x, n, out) -> boolean (out[0] = the sum)
 *   moments(x, n, out) / activationPass(kind, phi, u, d, n, threshold, out) /
 *   sgdStepSums(lr, x, g, n, out) -> boolean (out: Float64Array; see reductions.c)
 *   adamStep(x, g, m, v, n, hyper, out) / momentumStep(x, g, b | null, n, hyper, out) -> boolean
 *     (state, hyper and out: Float64Array; see optim.c)
 *   info() -> { isa, detectedIsa, threads }, setThreads(n) -> previous, setIsa(name) -> boolean,
 *   setParallelMin(muladds) -> previous
 */
#include <node_api.h>
#include <stdbool.h>
#include <string.h>

#include "kernels.h"

typedef struct {
  void *data;
  size_t length;
  napi_typedarray_type type; /* napi_float32_array or napi_float64_array */
} view;

/* false when not a Float32Array / Float64Array */
static bool get_view(napi_env env, napi_value v, view *out) {
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_value buf;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &out->type, &out->length, &out->data, &buf, &offset) !=
      napi_ok)
    return false;
  return out->type == napi_float32_array || out->type == napi_float64_array;
}

/* a non-negative integer below 2^31 (our sizes and strides) or false */
static bool get_size(napi_env env, napi_value v, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return false;
  if (!(d >= 0 && d < 2147483648.0) || d != (double)(int64_t)d) return false;
  *out = (int64_t)d;
  return true;
}

static napi_value boolean(napi_env env, bool b) {
  napi_value r;
  napi_get_boolean(env, b, &r);
  return r;
}

#define ARGS(N)                                                                                  \
  size_t argc = N;                                                                               \
  napi_value argv[N];                                                                            \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < N)               \
    return boolean(env, false);

/* largest index touched by (rows, cols) with strides (rs, cs) must be < length */
static bool fits(const view *v, int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  if (rows == 0 || cols == 0) return true;
  return (rows - 1) * rs + (cols - 1) * cs < (int64_t)v->length;
}

static napi_value js_gemm(napi_env env, napi_callback_info info) {
  ARGS(11)
  int64_t m, n, k, ars, acs, brs, bcs;
  view A, B, C;
  bool acc;
  if (!get_size(env, argv[0], &m) || !get_size(env, argv[1], &n) || !get_size(env, argv[2], &k) ||
      !get_view(env, argv[3], &A) || !get_size(env, argv[4], &ars) ||
      !get_size(env, argv[5], &acs) || !get_view(env, argv[6], &B) ||
      !get_size(env, argv[7], &brs) || !get_size(env, argv[8], &bcs) ||
      !get_view(env, argv[9], &C) || napi_get_value_bool(env, argv[10], &acc) != napi_ok)
    return boolean(env, false);
  if (A.type != C.type || B.type != C.type) return boolean(env, false);
  if (!fits(&A, m, k, ars, acs) || !fits(&B, k, n, brs, bcs) || !fits(&C, m, n, n, 1))
    return boolean(env, false);
  if (C.type == napi_float32_array)
    gs_gemm_f32(m, n, k, A.data, ars, acs, B.data, brs, bcs, C.data, acc);
  else
    gs_gemm_f64(m, n, k, A.data, ars, acs, B.data, brs, bcs, C.data, acc);
  return boolean(env, true);
}

static napi_value js_add_row_bias(napi_env env, napi_callback_info info) {
  ARGS(4)
  view z, b;
  int64_t rows, cols;
  if (!get_view(env, argv[0], &z) || !get_view(env, argv[1], &b) ||
      !get_size(env, argv[2], &rows) || !get_size(env, argv[3], &cols) || z.type != b.type ||
      rows * cols > (int64_t)z.length || cols > (int64_t)b.length)
    return boolean(env, false);
  if (z.type == napi_float32_array) gs_add_row_bias_f32(z.data, b.data, rows, cols);
  else gs_add_row_bias_f64(z.data, b.data, rows, cols);
  return boolean(env, true);
}

static napi_value js_column_sums(napi_env env, napi_callback_info info) {
  ARGS(4)
  view x, out;
  int64_t rows, cols;
  if (!get_view(env, argv[0], &x) || !get_size(env, argv[1], &rows) ||
      !get_size(env, argv[2], &cols) || !get_view(env, argv[3], &out) || x.type != out.type ||
      rows * cols > (int64_t)x.length || cols > (int64_t)out.length)
    return boolean(env, false);
  if (x.type == napi_float32_array) gs_column_sums_f32(x.data, rows, cols, out.data);
  else gs_column_sums_f64(x.data, rows, cols, out.data);
  return boolean(env, true);
}

/* out must be a Float64Array of at least `need` entries */
static bool get_out(napi_env env, napi_value v, view *out, size_t need) {
  return get_view(env, v, out) && out->type == napi_float64_array && out->length >= need;
}

/* alpha is a number or a Float64Array holding it: from JavaScript a double argument is boxed
 * (a heap allocation per call, once per parameter each step); a reused array is not. */
static napi_value js_axpy(napi_env env, napi_callback_info info) {
  ARGS(4)
  double alpha;
  view x, y, box;
  int64_t n;
  if (napi_get_value_double(env, argv[0], &alpha) != napi_ok) {
    if (!get_out(env, argv[0], &box, 1)) return boolean(env, false);
    alpha = ((const double *)box.data)[0];
  }
  if (!get_view(env, argv[1], &x) ||
      !get_view(env, argv[2], &y) || !get_size(env, argv[3], &n) || x.type != y.type ||
      n > (int64_t)x.length || n > (int64_t)y.length)
    return boolean(env, false);
  if (x.type == napi_float32_array) gs_axpy_f32(alpha, x.data, y.data, n);
  else gs_axpy_f64(alpha, x.data, y.data, n);
  return boolean(env, true);
}

/* The sum goes to out[0] rather than a returned number: a returned double is a heap
 * allocation on every call, and a training step makes one call per parameter. */
static napi_value js_sum_squares(napi_env env, napi_callback_info info) {
  ARGS(3)
  view x, out;
  int64_t n;
  if (!get_view(env, argv[0], &x) || !get_size(env, argv[1], &n) || n > (int64_t)x.length ||
      !get_out(env, argv[2], &out, 1))
    return boolean(env, false);
  ((double *)out.data)[0] = x.type == napi_float32_array ? gs_sum_squares_f32(x.data, n)
                                                         : gs_sum_squares_f64(x.data, n);
  return boolean(env, true);
}

static napi_value js_moments(napi_env env, napi_callback_info info) {
  ARGS(3)
  view x, out;
  int64_t n;
  if (!get_view(env, argv[0], &x) || !get_size(env, argv[1], &n) || n > (int64_t)x.length ||
      !get_out(env, argv[2], &out, 3))
    return boolean(env, false);
  if (x.type == napi_float32_array) gs_moments_f32(x.data, n, out.data);
  else gs_moments_f64(x.data, n, out.data);
  return boolean(env, true);
}

/* d is read only for kind 0 (phi' precomputed in float64). */
static napi_value js_activation_pass(napi_env env, napi_callback_info info) {
  ARGS(7)
  int64_t kind, n;
  view pd, ud, d, out;
  double threshold;
  if (!get_size(env, argv[0], &kind) || !get_view(env, argv[1], &pd) ||
      !get_view(env, argv[2], &ud) || !get_view(env, argv[3], &d) ||
      !get_size(env, argv[4], &n) ||
      napi_get_value_double(env, argv[5], &threshold) != napi_ok ||
      !get_out(env, argv[6], &out, 5) || pd.type != ud.type || d.type != napi_float64_array ||
      n > (int64_t)pd.length || n > (int64_t)ud.length || (kind == 0 && n > (int64_t)d.length))
    return boolean(env, false);
  const int ok = pd.type == napi_float32_array
                     ? gs_act_pass_f32((int)kind, pd.data, ud.data, d.data, n, threshold, out.data)
                     : gs_act_pass_f64((int)kind, pd.data, ud.data, d.data, n, threshold, out.data);
  return boolean(env, ok != 0);
}

static napi_value js_sgd_step_sums(napi_env env, napi_callback_info info) {
  ARGS(5)
  double lr;
  view x, g, out;
  int64_t n;
  if (napi_get_value_double(env, argv[0], &lr) != napi_ok || !get_view(env, argv[1], &x) ||
      !get_view(env, argv[2], &g) || !get_size(env, argv[3], &n) || x.type != g.type ||
      n > (int64_t)x.length || n > (int64_t)g.length || !get_out(env, argv[4], &out, 4))
    return boolean(env, false);
  if (x.type == napi_float32_array) gs_sgd_step_sums_f32(lr, x.data, g.data, n, out.data);
  else gs_sgd_step_sums_f64(lr, x.data, g.data, n, out.data);
  return boolean(env, true);
}

/* Adam: x, g (same dtype), m, v (Float64Array, >= n), hyper (Float64Array, >= 8), out (>= 4). */
static napi_value js_adam_step(napi_env env, napi_callback_info info) {
  ARGS(7)
  view x, g, m, v, hyper, out;
  int64_t n;
  if (!get_view(env, argv[0], &x) || !get_view(env, argv[1], &g) || !get_out(env, argv[2], &m, 0) ||
      !get_out(env, argv[3], &v, 0) || !get_size(env, argv[4], &n) ||
      !get_out(env, argv[5], &hyper, 8) || !get_out(env, argv[6], &out, 4) || x.type != g.type ||
      n > (int64_t)x.length || n > (int64_t)g.length || n > (int64_t)m.length ||
      n > (int64_t)v.length)
    return boolean(env, false);
  if (x.type == napi_float32_array)
    gs_adam_step_f32(x.data, g.data, m.data, v.data, n, hyper.data, out.data);
  else
    gs_adam_step_f64(x.data, g.data, m.data, v.data, n, hyper.data, out.data);
  return boolean(env, true);
}

/* Momentum / weight-decay SGD: b is a Float64Array (>= n) or null; hyper (>= 4). */
static napi_value js_momentum_step(napi_env env, napi_callback_info info) {
  ARGS(6)
  view x, g, b = {0}, hyper, out;
  int64_t n;
  napi_valuetype bt;
  if (napi_typeof(env, argv[2], &bt) != napi_ok) return boolean(env, false);
  const bool has_b = bt != napi_null;
  if (!get_view(env, argv[0], &x) || !get_view(env, argv[1], &g) ||
      (has_b && !get_out(env, argv[2], &b, 0)) || !get_size(env, argv[3], &n) ||
      !get_out(env, argv[4], &hyper, 4) || !get_out(env, argv[5], &out, 4) || x.type != g.type ||
      n > (int64_t)x.length || n > (int64_t)g.length || (has_b && n > (int64_t)b.length))
    return boolean(env, false);
  if (x.type == napi_float32_array)
    gs_momentum_step_f32(x.data, g.data, has_b ? b.data : NULL, n, hyper.data, out.data);
  else
    gs_momentum_step_f64(x.data, g.data, has_b ? b.data : NULL, n, hyper.data, out.data);
  return boolean(env, true);
}

static napi_value js_act_forward(napi_env env, napi_callback_info info) {
  ARGS(4)
  int64_t code, n;
  view u, a;
  if (!get_size(env, argv[0], &code) || !get_view(env, argv[1], &u) ||
      !get_view(env, argv[2], &a) || !get_size(env, argv[3], &n) || u.type != a.type ||
      n > (int64_t)u.length || n > (int64_t)a.length)
    return boolean(env, false);
  const int ok = u.type == napi_float32_array ? gs_act_forward_f32((int)code, u.data, a.data, n)
                                              : gs_act_forward_f64((int)code, u.data, a.data, n);
  return boolean(env, ok != 0);
}

static napi_value js_bias_act_forward(napi_env env, napi_callback_info info) {
  ARGS(6)
  int64_t code, rows, cols;
  view z, b, a;
  if (!get_size(env, argv[0], &code) || !get_view(env, argv[1], &z) ||
      !get_view(env, argv[2], &b) || !get_size(env, argv[3], &rows) ||
      !get_size(env, argv[4], &cols) || !get_view(env, argv[5], &a) || z.type != b.type ||
      z.type != a.type || cols == 0 || rows > (int64_t)z.length / (cols ? cols : 1) ||
      rows * cols > (int64_t)a.length || cols > (int64_t)b.length)
    return boolean(env, false);
  const int ok = z.type == napi_float32_array
                     ? gs_bias_act_forward_f32((int)code, z.data, b.data, rows, cols, a.data)
                     : gs_bias_act_forward_f64((int)code, z.data, b.data, rows, cols, a.data);
  return boolean(env, ok != 0);
}

static napi_value js_act_backward(napi_env env, napi_callback_info info) {
  ARGS(6)
  int64_t code, n;
  view u, a, da, du;
  if (!get_size(env, argv[0], &code) || !get_view(env, argv[1], &u) ||
      !get_view(env, argv[2], &a) || !get_view(env, argv[3], &da) ||
      !get_view(env, argv[4], &du) || !get_size(env, argv[5], &n) || u.type != a.type ||
      a.type != da.type || da.type != du.type || n > (int64_t)u.length ||
      n > (int64_t)a.length || n > (int64_t)da.length || n > (int64_t)du.length)
    return boolean(env, false);
  const int ok = u.type == napi_float32_array
                     ? gs_act_backward_f32((int)code, u.data, a.data, da.data, du.data, n)
                     : gs_act_backward_f64((int)code, u.data, a.data, da.data, du.data, n);
  return boolean(env, ok != 0);
}

static const char *isa_name(gs_isa isa) {
  return isa == GS_ISA_AVX512 ? "avx512" : isa == GS_ISA_AVX2 ? "avx2" : "scalar";
}

static napi_value js_info(napi_env env, napi_callback_info info) {
  napi_value o, v;
  napi_create_object(env, &o);
  const gs_isa cur = gs_current_isa();
  napi_create_string_utf8(env, isa_name(cur), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "isa", v);
  napi_create_string_utf8(env, isa_name(gs_detect_isa()), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "detectedIsa", v);
  napi_create_int32(env, gs_threads(), &v);
  napi_set_named_property(env, o, "threads", v);
  napi_create_double(env, (double)gs_parallel_min_muladds, &v);
  napi_set_named_property(env, o, "parallelMinMuladds", v);
  return o;
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  int64_t n = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  const int previous = argc >= 1 && get_size(env, argv[0], &n) ? gs_set_threads((int)n)
                                                               : gs_threads();
  napi_create_int32(env, previous, &r);
  return r;
}

static napi_value js_set_parallel_min(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  int64_t n = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  const double previous = (double)gs_parallel_min_muladds;
  if (argc >= 1 && get_size(env, argv[0], &n)) gs_parallel_min_muladds = n;
  napi_create_double(env, previous, &r);
  return r;
}

static napi_value js_set_isa(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char name[16] = {0};
  size_t len = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok)
    return boolean(env, false);
  gs_isa isa;
  if (strcmp(name, "avx512") == 0) isa = GS_ISA_AVX512;
  else if (strcmp(name, "avx2") == 0) isa = GS_ISA_AVX2;
  else if (strcmp(name, "scalar") == 0) isa = GS_ISA_SCALAR;
  else return boolean(env, false);
  return boolean(env, gs_set_isa(isa) != 0);
}

NAPI_MODULE_INIT() {
  const napi_property_descriptor props[] = {
      {"gemm", NULL, js_gemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"addRowBias", NULL, js_add_row_bias, NULL, NULL, NULL, napi_enumerable, NULL},
      {"columnSums", NULL, js_column_sums, NULL, NULL, NULL, napi_enumerable, NULL},
      {"axpy", NULL, js_axpy, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sumSquares", NULL, js_sum_squares, NULL, NULL, NULL, napi_enumerable, NULL},
      {"moments", NULL, js_moments, NULL, NULL, NULL, napi_enumerable, NULL},
      {"activationPass", NULL, js_activation_pass, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sgdStepSums", NULL, js_sgd_step_sums, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adamStep", NULL, js_adam_step, NULL, NULL, NULL, napi_enumerable, NULL},
      {"momentumStep", NULL, js_momentum_step, NULL, NULL, NULL, napi_enumerable, NULL},
      {"activationForward", NULL, js_act_forward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"activationBackward", NULL, js_act_backward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"biasActivationForward", NULL, js_bias_act_forward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setIsa", NULL, js_set_isa, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setParallelMin", NULL, js_set_parallel_min, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
