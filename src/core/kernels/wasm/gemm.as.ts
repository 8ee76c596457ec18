// AssemblyScript source of the WebAssembly SIMD matrix-product kernel (float64 and float32),
// and of the metric reductions at the end of the file (loaded by reductions-wasm.ts).
//
// Built by `npm run build:wasm` (scripts/build-wasm.mjs) four times,
//   asc gemm.as.ts --runtime stub -O3 --noAssert --importMemory --enable simd
//   ... --enable simd,relaxed-simd                          (fused multiply-add micro-kernel)
//   ... --sharedMemory --enable simd,threads[,relaxed-simd]  (for the two-thread split)
// into gemm-wasm.generated.ts, whose variants the loader (gemm-wasm.ts) picks from at run time.
// Not TypeScript: excluded from tsc and biome.
//
// C is addressed with its own row stride `ldc` (elements), so a caller can hand a block of
// rows or columns of one product to each thread: C + offset, the matching A rows or B columns,
// and the full product's ldc.
//
// One routine computes C[m, n] = A * B (+ C when `accumulate`) for all three layouts the
// layers need, because it reads A and B only through element strides:
//   A(i, p) = A[i * ars + p * acs]      B(p, j) = B[p * brs + j * bcs]      C row-major m x n
//   NT: A [m, k], B [n, k]   ars = k, acs = 1;  brs = 1, bcs = k
//   NN: A [m, k], B [k, n]   ars = k, acs = 1;  brs = n, bcs = 1
//   TN: A [k, m], B [k, n]   ars = 1, acs = m;  brs = n, bcs = 1
// All pointers are byte offsets into the imported memory, laid out by the loader.
//
// Blocking (the GotoBLAS / BLIS scheme, one thread):
//   for jc in n by NC                      columns of C whose packed B panel fits in L2/L3
//     for pc in k by KC                    a slice of the inner dimension
//       pack B(pc:pc+KC, jc:jc+NC)         into NR-wide strips, p-major:  KC x NR per strip
//       for ic in m by MC
//         pack A(ic:ic+MC, pc:pc+KC)       into MR-tall strips, p-major:  KC x MR per strip (L2)
//         for jr in NC by NR               one B strip (KC x NR) stays in L1 ...
//           for ir in MC by MR             ... while the A strips stream past it
//             micro-kernel: C[ir:ir+MR, jr:jr+NR] += A strip * B strip
// Packing turns every layout into the same unit-stride streams and pads the edges with zeros,
// so the micro-kernel always computes a full MR x NR tile; edge tiles are computed into a small
// scratch tile and only their valid part is copied to C.
//
// The micro-kernel is an outer-product update held in registers. Per step p it loads one row of
// the B strip (NR values: 2 vectors) and, for each of the MR rows, splats A(i, p) across a vector
// and multiplies-adds it into that row's accumulators. float64: MR x NR = 4 x 4 (f64x2, 8
// accumulators); float32: 4 x 8 (f32x4, 8 accumulators). 8 accumulators + 2 B vectors + 1 splat
// + 1 product fit in the 15 vector registers V8 allocates on x86-64 without spills (unrolling
// the p loop by 2 measured ~1.5x slower: V8 hoists the extra loads and spills). Plain SIMD128
// has no fused multiply-add, so each update is a mul then an add (the TS kernel's rounding).
// Built with relaxed-simd, each update is one relaxed_madd instead: fused (one rounding) where
// the CPU has FMA, mul + add otherwise, so results agree with the plain kernel only within
// round-off, never bit for bit.

// ---- tile and block sizes (elements) ----
const MR: i32 = 4; // rows of a micro-tile (both dtypes)
const NR64: i32 = 4; // columns of a float64 micro-tile: 2 x f64x2
const NR32: i32 = 8; // columns of a float32 micro-tile: 2 x f32x4
const KC: i32 = 256; // inner-dimension slice
const MC: i32 = 128; // rows of A packed at once: MC x KC x 8 bytes = 256 KiB (L2)
const NC: i32 = 512; // columns of B packed at once: KC x NC x 8 bytes = 1 MiB

/** Bytes of scratch (`work`) that gemm_f64 / gemm_f32 need: packed A, packed B, an edge tile. */
export function work_bytes(): i32 {
  // sized for float64 (the larger element); float32 uses the first half
  return (MC * KC + KC * NC + MR * NR32) * 8 + 64;
}

export function gemm_f64(
  m: i32, n: i32, k: i32,
  a: usize, ars: i32, acs: i32,
  b: usize, brs: i32, bcs: i32,
  c: usize, ldc: i32, accumulate: bool, work: usize,
): void {
  gemm<f64>(m, n, k, a, ars, acs, b, brs, bcs, c, ldc, accumulate, work);
}

export function gemm_f32(
  m: i32, n: i32, k: i32,
  a: usize, ars: i32, acs: i32,
  b: usize, brs: i32, bcs: i32,
  c: usize, ldc: i32, accumulate: bool, work: usize,
): void {
  gemm<f32>(m, n, k, a, ars, acs, b, brs, bcs, c, ldc, accumulate, work);
}

// ---- driver ----

@inline
function gemm<T>(
  m: i32, n: i32, k: i32,
  a: usize, ars: i32, acs: i32,
  b: usize, brs: i32, bcs: i32,
  c: usize, ldcElements: i32, accumulate: bool, work: usize,
): void {
  const es = <usize>sizeof<T>();
  const NR: i32 = sizeof<T>() == 8 ? NR64 : NR32;
  const packedA = work;
  const packedB = packedA + <usize>(MC * KC) * es;
  const tile = packedB + <usize>(KC * NC) * es;
  const ldc = <usize>ldcElements * es; // bytes between rows of C

  if (k == 0) {
    // empty sum: C = 0 (or unchanged when accumulating), row by row since ldc may exceed n
    if (!accumulate) {
      for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldc, 0, <usize>n * es);
    }
    return;
  }

  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      // the first k-slice sets C (unless accumulating), later ones add to it
      const acc = accumulate || pc > 0;
      packB<T>(packedB, b + (<usize>pc * brs + <usize>jc * bcs) * es, brs, bcs, kc, nc, NR);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA<T>(packedA, a + (<usize>ic * ars + <usize>pc * acs) * es, ars, acs, mc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bStrip = packedB + <usize>(jr * kc) * es;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const aStrip = packedA + <usize>(ir * kc) * es;
            const cTile = c + <usize>(ic + ir) * ldc + <usize>(jc + jr) * es;
            if (mr == MR && nr == NR) {
              micro<T>(kc, aStrip, bStrip, cTile, ldc, acc);
            } else {
              micro<T>(kc, aStrip, bStrip, tile, <usize>NR * es, false);
              copyTile<T>(tile, NR, cTile, ldc, mr, nr, acc);
            }
          }
        }
      }
    }
  }
}

@inline
function micro<T>(kc: i32, a: usize, b: usize, c: usize, ldc: usize, acc: bool): void {
  if (sizeof<T>() == 8) microF64(kc, a, b, c, ldc, acc);
  else microF32(kc, a, b, c, ldc, acc);
}

// ---- packing ----

/**
 * Packs an mc x kc block of A (element (i, p) at src + (i * rs + p * cs) * size) into MR-tall
 * strips: strip s holds, for p = 0..kc-1, the MR values A(s*MR .. s*MR+MR-1, p); rows past mc
 * are zero.
 */
@inline
function packA<T>(dst: usize, src: usize, rs: i32, cs: i32, mc: i32, kc: i32): void {
  const es = <usize>sizeof<T>();
  const rowStep = <usize>rs * es;
  const pStep = <usize>cs * es;
  const stripBytes = <usize>(MR * kc) * es;
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const rows = min(MR, mc - i0);
    const s = src + <usize>i0 * rowStep;
    if (rows == MR && cs == 1) {
      // NT, NN: each row of A is contiguous along p; transpose 4 rows into 4-value groups
      packRows4<T>(dst, <usize>MR * es, s, rowStep, kc);
    } else if (rows == MR && rs == 1) {
      // TN: the MR values for one p are adjacent; copy them as vectors
      packCopy<T>(dst, <usize>MR * es, s, pStep, kc, MR);
    } else {
      packScalar<T>(dst, MR, s, rowStep, pStep, rows, kc);
    }
    dst += stripBytes;
  }
}

/**
 * Packs a kc x nc block of B (element (p, j) at src + (p * rs + j * cs) * size) into NR-wide
 * strips: strip s holds, for p = 0..kc-1, the NR values B(p, s*NR .. s*NR+NR-1); columns past
 * nc are zero.
 */
@inline
function packB<T>(dst: usize, src: usize, rs: i32, cs: i32, kc: i32, nc: i32, NR: i32): void {
  const es = <usize>sizeof<T>();
  const pStep = <usize>rs * es;
  const colStep = <usize>cs * es;
  const stripBytes = <usize>(NR * kc) * es;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const cols = min(NR, nc - j0);
    const s = src + <usize>j0 * colStep;
    if (cols == NR && rs == 1) {
      // NT: each column of B (a row of the stored B^T) is contiguous along p: transpose
      // them 4 at a time (float32 strips are 8 wide: two groups of 4)
      const rowBytes = <usize>NR * es;
      packRows4<T>(dst, rowBytes, s, colStep, kc);
      if (NR == 8) packRows4<T>(dst + 4 * es, rowBytes, s + 4 * colStep, colStep, kc);
    } else if (cols == NR && cs == 1) {
      // NN, TN: the NR values for one p are adjacent; copy them as vectors
      packCopy<T>(dst, <usize>NR * es, s, pStep, kc, NR);
    } else {
      packScalar<T>(dst, NR, s, colStep, pStep, cols, kc);
    }
    dst += stripBytes;
  }
}

/**
 * dst + p * dstStep receives the 4 values src[r * rowStep + p] (r = 0..3) for p = 0..kc-1:
 * a 4 x kc block of row-contiguous data transposed into groups of 4, with 2 x 2 (float64) or
 * 4 x 4 (float32) in-register transposes.
 */
@inline
function packRows4<T>(dst: usize, dstStep: usize, src: usize, rowStep: usize, kc: i32): void {
  const es = <usize>sizeof<T>();
  const lanes: i32 = 16 / sizeof<T>();
  const r1 = rowStep;
  const r2 = rowStep * 2;
  const r3 = rowStep * 3;
  let p = 0;
  for (; p + lanes <= kc; p += lanes) {
    const x0 = v128.load(src);
    const x1 = v128.load(src + r1);
    const x2 = v128.load(src + r2);
    const x3 = v128.load(src + r3);
    if (sizeof<T>() == 8) {
      // [x0.0 x1.0] [x2.0 x3.0] for p, [x0.1 x1.1] [x2.1 x3.1] for p + 1
      v128.store(dst, v128.shuffle<i64>(x0, x1, 0, 2));
      v128.store(dst, v128.shuffle<i64>(x2, x3, 0, 2), 16);
      dst += dstStep;
      v128.store(dst, v128.shuffle<i64>(x0, x1, 1, 3));
      v128.store(dst, v128.shuffle<i64>(x2, x3, 1, 3), 16);
      dst += dstStep;
    } else {
      // interleave pairs of rows, then pairs of pairs: a 4 x 4 transpose
      const t0 = v128.shuffle<i32>(x0, x1, 0, 4, 1, 5); // a0 b0 a1 b1
      const t1 = v128.shuffle<i32>(x0, x1, 2, 6, 3, 7); // a2 b2 a3 b3
      const t2 = v128.shuffle<i32>(x2, x3, 0, 4, 1, 5); // c0 d0 c1 d1
      const t3 = v128.shuffle<i32>(x2, x3, 2, 6, 3, 7); // c2 d2 c3 d3
      v128.store(dst, v128.shuffle<i64>(t0, t2, 0, 2));
      dst += dstStep;
      v128.store(dst, v128.shuffle<i64>(t0, t2, 1, 3));
      dst += dstStep;
      v128.store(dst, v128.shuffle<i64>(t1, t3, 0, 2));
      dst += dstStep;
      v128.store(dst, v128.shuffle<i64>(t1, t3, 1, 3));
      dst += dstStep;
    }
    src += 16;
  }
  for (; p < kc; p++) {
    store<T>(dst, load<T>(src));
    store<T>(dst, load<T>(src + r1), sizeof<T>());
    store<T>(dst, load<T>(src + r2), 2 * sizeof<T>());
    store<T>(dst, load<T>(src + r3), 3 * sizeof<T>());
    src += es;
    dst += dstStep;
  }
}

/** dst + p * dstStep receives the `count` adjacent values at src + p * srcStep (16 or 32 bytes). */
@inline
function packCopy<T>(
  dst: usize, dstStep: usize, src: usize, srcStep: usize, kc: i32, count: i32,
): void {
  if (count * sizeof<T>() == 32) {
    for (let p = 0; p < kc; p++) {
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
      src += srcStep;
      dst += dstStep;
    }
  } else {
    for (let p = 0; p < kc; p++) {
      v128.store(dst, v128.load(src));
      src += srcStep;
      dst += dstStep;
    }
  }
}

/**
 * The general (edge) case: for p = 0..kc-1, `width` values, the first `valid` of them read at
 * src + q * qStep + p * pStep and the rest zero.
 */
@inline
function packScalar<T>(
  dst: usize, width: i32, src: usize, qStep: usize, pStep: usize, valid: i32, kc: i32,
): void {
  const es = <usize>sizeof<T>();
  for (let p = 0; p < kc; p++) {
    for (let q = 0; q < width; q++) {
      store<T>(dst, q < valid ? load<T>(src + <usize>q * qStep) : <T>0);
      dst += es;
    }
    src += pStep;
  }
}

/** C[0:mr, 0:nr] (+)= tile[0:mr, 0:nr], for the partial tiles at the edges of C. */
@inline
function copyTile<T>(
  tile: usize, NR: i32, c: usize, ldc: usize, mr: i32, nr: i32, acc: bool,
): void {
  const es = <usize>sizeof<T>();
  for (let i = 0; i < mr; i++) {
    const t = tile + <usize>(i * NR) * es;
    const row = c + <usize>i * ldc;
    for (let j = 0; j < nr; j++) {
      const o = <usize>j * es;
      const v = load<T>(t + o);
      store<T>(row + o, acc ? load<T>(row + o) + v : v);
    }
  }
}

// ---- micro-kernels ----

/** c + a * b: one relaxed (possibly fused) multiply-add when built with relaxed-simd. */
@inline
function madd64(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(c, f64x2.mul(a, b));
}

@inline
function madd32(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/**
 * float64 4 x 4 tile: c[i][0..3] (+)= sum_p a[p][i] * b[p][0..3], with a, b packed strips
 * (4 values per p each) and c at byte stride ldc. Rows are held as two f64x2 accumulators.
 */
@inline
function microF64(kc: i32, a: usize, b: usize, c: usize, ldc: usize, acc: bool): void {
  let c00 = f64x2.splat(0), c01 = c00;
  let c10 = c00, c11 = c00;
  let c20 = c00, c21 = c00;
  let c30 = c00, c31 = c00;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load64_splat(a);
    c00 = madd64(x, b0, c00);
    c01 = madd64(x, b1, c01);
    x = v128.load64_splat(a, 8);
    c10 = madd64(x, b0, c10);
    c11 = madd64(x, b1, c11);
    x = v128.load64_splat(a, 16);
    c20 = madd64(x, b0, c20);
    c21 = madd64(x, b1, c21);
    x = v128.load64_splat(a, 24);
    c30 = madd64(x, b0, c30);
    c31 = madd64(x, b1, c31);
    a += 32;
    b += 32;
  }
  let r = c;
  if (acc) {
    c00 = f64x2.add(c00, v128.load(r));
    c01 = f64x2.add(c01, v128.load(r, 16));
  }
  v128.store(r, c00);
  v128.store(r, c01, 16);
  r += ldc;
  if (acc) {
    c10 = f64x2.add(c10, v128.load(r));
    c11 = f64x2.add(c11, v128.load(r, 16));
  }
  v128.store(r, c10);
  v128.store(r, c11, 16);
  r += ldc;
  if (acc) {
    c20 = f64x2.add(c20, v128.load(r));
    c21 = f64x2.add(c21, v128.load(r, 16));
  }
  v128.store(r, c20);
  v128.store(r, c21, 16);
  r += ldc;
  if (acc) {
    c30 = f64x2.add(c30, v128.load(r));
    c31 = f64x2.add(c31, v128.load(r, 16));
  }
  v128.store(r, c30);
  v128.store(r, c31, 16);
}

/** float32 4 x 8 tile: as microF64 with f32x4 lanes (8 values of b per p, 2 vectors). */
@inline
function microF32(kc: i32, a: usize, b: usize, c: usize, ldc: usize, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = c00;
  let c10 = c00, c11 = c00;
  let c20 = c00, c21 = c00;
  let c30 = c00, c31 = c00;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c00 = madd32(x, b0, c00);
    c01 = madd32(x, b1, c01);
    x = v128.load32_splat(a, 4);
    c10 = madd32(x, b0, c10);
    c11 = madd32(x, b1, c11);
    x = v128.load32_splat(a, 8);
    c20 = madd32(x, b0, c20);
    c21 = madd32(x, b1, c21);
    x = v128.load32_splat(a, 12);
    c30 = madd32(x, b0, c30);
    c31 = madd32(x, b1, c31);
    a += 16;
    b += 32;
  }
  let r = c;
  if (acc) {
    c00 = f32x4.add(c00, v128.load(r));
    c01 = f32x4.add(c01, v128.load(r, 16));
  }
  v128.store(r, c00);
  v128.store(r, c01, 16);
  r += ldc;
  if (acc) {
    c10 = f32x4.add(c10, v128.load(r));
    c11 = f32x4.add(c11, v128.load(r, 16));
  }
  v128.store(r, c10);
  v128.store(r, c11, 16);
  r += ldc;
  if (acc) {
    c20 = f32x4.add(c20, v128.load(r));
    c21 = f32x4.add(c21, v128.load(r, 16));
  }
  v128.store(r, c20);
  v128.store(r, c21, 16);
  r += ldc;
  if (acc) {
    c30 = f32x4.add(c30, v128.load(r));
    c31 = f32x4.add(c31, v128.load(r, 16));
  }
  v128.store(r, c30);
  v128.store(r, c31, 16);
}

// ---- metric reductions (issue #8) ----
//
// The three reductions of KernelProvider (core/kernels/provider.ts: moments, activationPass,
// sgdStepSums) for recording metrics every step where there is no native addon (the browser
// lab, GRADSCOPE_NATIVE=0); the loader is reductions-wasm.ts. Per element the arithmetic is
// the TypeScript loops' and native/src/reductions.c's: float32 widened to float64 (two lanes at
// a time: an 8-byte load and f64x2.promote_low_f32x4), sums in float64, a mul then an add (never
// relaxed_madd, even in the relaxed build: the per-element rounding must stay TypeScript's),
// x rounded once to its dtype on store. Only the order of the sums differs (round-off). Counts
// are exact (i64 lanes). NaN and Inf propagate into the sums. Independent add chains: the
// accumulators are split in two, and the float32 moments, the activation pass and the SGD step
// take 8 elements an iteration, summed in pairs before they reach an accumulator.
// Results go to `out` (float64 values, byte offset into the memory).

/** Two elements at p widened to float64 lanes. */
@inline
function load2<T>(p: usize): v128 {
  if (sizeof<T>() == 8) return v128.load(p);
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** Stores the two lanes of v rounded to T at p; returns the stored values widened again. */
@inline
function store2<T>(p: usize, v: v128): v128 {
  if (sizeof<T>() == 8) {
    v128.store(p, v);
    return v;
  }
  const f = f32x4.demote_f64x2_zero(v);
  v128.store64_lane(p, f, 0);
  return f64x2.promote_low_f32x4(f);
}

@inline
function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

@inline
function hcount(v: v128): f64 {
  return <f64>(i64x2.extract_lane(v, 0) + i64x2.extract_lane(v, 1));
}

/** Where |v| is nonzero and below m, m takes it (NaN lanes compare false and never do). */
@inline
function minNonzero(m: v128, v: v128): v128 {
  const a = f64x2.abs(v);
  const keep = v128.and(f64x2.lt(a, m), f64x2.ne(a, f64x2.splat(0)));
  return v128.bitselect(a, m, keep);
}

@inline
function lanesMin(m: v128): f64 {
  const a = f64x2.extract_lane(m, 0);
  const b = f64x2.extract_lane(m, 1);
  return b < a ? b : a;
}

/**
 * out = [sum x, sum x^2, smallest nonzero |x| (Infinity if none)] over x[0, n). Used for
 * float64; float32 has its own loop (moments_f32).
 */
@inline
function moments<T>(x: usize, n: i32, out: usize): void {
  const es = <usize>sizeof<T>();
  let s0 = f64x2.splat(0), s1 = s0, q0 = s0, q1 = s0;
  let m0 = f64x2.splat(Infinity), m1 = m0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = x + <usize>i * es;
    const v = load2<T>(p);
    const w = load2<T>(p + 2 * es);
    s0 = f64x2.add(s0, v);
    s1 = f64x2.add(s1, w);
    q0 = f64x2.add(q0, f64x2.mul(v, v));
    q1 = f64x2.add(q1, f64x2.mul(w, w));
    m0 = minNonzero(m0, v);
    m1 = minNonzero(m1, w);
  }
  let s = hsum(f64x2.add(s0, s1));
  let q = hsum(f64x2.add(q0, q1));
  let mn = lanesMin(m0);
  const mb = lanesMin(m1);
  if (mb < mn) mn = mb;
  for (; i < n; i++) {
    const v = <f64>load<T>(x + <usize>i * es);
    const a = abs(v);
    s += v;
    q += v * v;
    if (a < mn && a != 0) mn = a;
  }
  store<f64>(out, s);
  store<f64>(out, q, 8);
  store<f64>(out, mn, 16);
}

/**
 * moments for float32, four elements a step: the sums in two f64x2 halves each, the minimum on
 * the float32 bits, where it is exact and cheaper. For |x| as bits b (sign cleared), b - 1
 * taken unsigned orders the nonzero values as b does and sends 0 to 0xffffffff, above every
 * nonzero value, NaN (above Inf's bits) included; so the smallest nonzero |x| is min_u(b - 1)
 * + 1, which is Inf's bits when there is none.
 */
export function moments_f32(x: usize, n: i32, out: usize): void {
  let s0 = f64x2.splat(0), s1 = s0, q0 = s0, q1 = s0;
  let m = i32x4.splat(-1);
  const absMask = i32x4.splat(0x7fffffff);
  const one = i32x4.splat(1);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const f = v128.load(p);
    const g = v128.load(p, 16);
    const a = f64x2.promote_low_f32x4(f);
    const b = f64x2.promote_low_f32x4(v128.shuffle<i64>(f, f, 1, 1));
    const c = f64x2.promote_low_f32x4(g);
    const d = f64x2.promote_low_f32x4(v128.shuffle<i64>(g, g, 1, 1));
    // pairs summed first: the accumulators' add chains advance once per 8 elements
    s0 = f64x2.add(s0, f64x2.add(a, b));
    s1 = f64x2.add(s1, f64x2.add(c, d));
    q0 = f64x2.add(q0, f64x2.add(f64x2.mul(a, a), f64x2.mul(b, b)));
    q1 = f64x2.add(q1, f64x2.add(f64x2.mul(c, c), f64x2.mul(d, d)));
    m = i32x4.min_u(m, i32x4.sub(v128.and(f, absMask), one));
    m = i32x4.min_u(m, i32x4.sub(v128.and(g, absMask), one));
  }
  let s = hsum(f64x2.add(s0, s1));
  let q = hsum(f64x2.add(q0, q1));
  // the four lanes' minimum (unsigned), plus one: the bits of the smallest nonzero |x|
  m = i32x4.min_u(m, v128.shuffle<i64>(m, m, 1, 1));
  m = i32x4.min_u(m, v128.shuffle<i32>(m, m, 1, 1, 1, 1));
  // (all zero: 0xffffffff; Inf or NaN only: Inf's bits or more; both mean Infinity)
  const low = <u32>i32x4.extract_lane(m, 0);
  let mn: f64 = low >= 0x7f800000 - 1 ? Infinity : <f64>reinterpret<f32>(low + 1);
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    const a = abs(v);
    s += v;
    q += v * v;
    if (a < mn && a != 0) mn = a;
  }
  store<f64>(out, s);
  store<f64>(out, q, 8);
  store<f64>(out, mn, 16);
}

export function moments_f64(x: usize, n: i32, out: usize): void {
  moments<f64>(x, n, out);
}

/** phi' from phi (kind 1: tanh, 2: sigmoid) or read from d (kind 0), two lanes. */
@inline
function deriv2(KIND: i32, a: v128, d: usize): v128 {
  const one = f64x2.splat(1);
  if (KIND == 1) return f64x2.sub(one, f64x2.mul(a, a));
  if (KIND == 2) return f64x2.mul(a, f64x2.sub(one, a));
  return v128.load(d);
}

/**
 * The activation pass of probe/layer-metrics.ts over phi = pd, u = ud and phi' (computed from
 * phi for kinds 1 and 2, read from the float64 array d for kind 0): out = [count phi' == 0,
 * count phi' < threshold, sum phi, sum phi^2, sum u^2].
 */
@inline
function actPass<T>(
  KIND: i32, pd: usize, ud: usize, d: usize, n: i32, threshold: f64, out: usize,
): void {
  const es = <usize>sizeof<T>();
  const t = f64x2.splat(threshold);
  const zero = f64x2.splat(0);
  let z0 = i64x2.splat(0), z1 = z0, l0 = z0, l1 = z0;
  let s0 = zero, s1 = zero, q0 = zero, q1 = zero, w0 = zero, w1 = zero;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    // two halves of 4 elements, each summed in pairs first: every accumulator's add chain
    // advances once per 8 elements
    let pp = pd + <usize>i * es;
    let up = ud + <usize>i * es;
    let dp = d + <usize>i * 8;
    let a = load2<T>(pp);
    let b = load2<T>(pp + 2 * es);
    let va = deriv2(KIND, a, dp);
    let vb = deriv2(KIND, b, dp + 16);
    z0 = i64x2.sub(z0, i64x2.add(f64x2.eq(va, zero), f64x2.eq(vb, zero)));
    l0 = i64x2.sub(l0, i64x2.add(f64x2.lt(va, t), f64x2.lt(vb, t)));
    s0 = f64x2.add(s0, f64x2.add(a, b));
    q0 = f64x2.add(q0, f64x2.add(f64x2.mul(a, a), f64x2.mul(b, b)));
    let x = load2<T>(up);
    let y = load2<T>(up + 2 * es);
    w0 = f64x2.add(w0, f64x2.add(f64x2.mul(x, x), f64x2.mul(y, y)));
    pp += 4 * es;
    up += 4 * es;
    dp += 32;
    a = load2<T>(pp);
    b = load2<T>(pp + 2 * es);
    va = deriv2(KIND, a, dp);
    vb = deriv2(KIND, b, dp + 16);
    z1 = i64x2.sub(z1, i64x2.add(f64x2.eq(va, zero), f64x2.eq(vb, zero)));
    l1 = i64x2.sub(l1, i64x2.add(f64x2.lt(va, t), f64x2.lt(vb, t)));
    s1 = f64x2.add(s1, f64x2.add(a, b));
    q1 = f64x2.add(q1, f64x2.add(f64x2.mul(a, a), f64x2.mul(b, b)));
    x = load2<T>(up);
    y = load2<T>(up + 2 * es);
    w1 = f64x2.add(w1, f64x2.add(f64x2.mul(x, x), f64x2.mul(y, y)));
  }
  let zc = hcount(i64x2.add(z0, z1));
  let lc = hcount(i64x2.add(l0, l1));
  let s = hsum(f64x2.add(s0, s1));
  let q = hsum(f64x2.add(q0, q1));
  let w = hsum(f64x2.add(w0, w1));
  for (; i < n; i++) {
    const a = <f64>load<T>(pd + <usize>i * es);
    const v = KIND == 1 ? 1 - a * a : KIND == 2 ? a * (1 - a) : load<f64>(d + <usize>i * 8);
    const x = <f64>load<T>(ud + <usize>i * es);
    if (v == 0) zc += 1;
    if (v < threshold) lc += 1;
    s += a;
    q += a * a;
    w += x * x;
  }
  store<f64>(out, zc);
  store<f64>(out, lc, 8);
  store<f64>(out, s, 16);
  store<f64>(out, q, 24);
  store<f64>(out, w, 32);
}

/** actPass for `kind` 0, 1 or 2 (others: nothing written, returns false). */
@inline
function actPassKind<T>(
  kind: i32, pd: usize, ud: usize, d: usize, n: i32, threshold: f64, out: usize,
): bool {
  if (kind == 1) actPass<T>(1, pd, ud, d, n, threshold, out);
  else if (kind == 2) actPass<T>(2, pd, ud, d, n, threshold, out);
  else if (kind == 0) actPass<T>(0, pd, ud, d, n, threshold, out);
  else return false;
  return true;
}

export function act_pass_f32(
  kind: i32, pd: usize, ud: usize, d: usize, n: i32, threshold: f64, out: usize,
): bool {
  return actPassKind<f32>(kind, pd, ud, d, n, threshold, out);
}

export function act_pass_f64(
  kind: i32, pd: usize, ud: usize, d: usize, n: i32, threshold: f64, out: usize,
): bool {
  return actPassKind<f64>(kind, pd, ud, d, n, threshold, out);
}

/**
 * Plain SGD x = x - lr g (float64, rounded once on store) with the sums of optim/sgd.ts's
 * plainStepSumsTs: e = (x after - x before) - e0, e0 the update of x[0]; out = [sum e, sum e^2,
 * sum x after, sum (x after)^2] over the n elements.
 */
@inline
function sgdStepSums<T>(lr: f64, x: usize, g: usize, n: i32, out: usize): void {
  const es = <usize>sizeof<T>();
  if (n == 0) {
    memory.fill(out, 0, 32);
    return;
  }
  const old0 = <f64>load<T>(x);
  store<T>(x, <T>(old0 - lr * <f64>load<T>(g)));
  const new0 = <f64>load<T>(x);
  const shift = new0 - old0;
  const sh = f64x2.splat(shift);
  const r = f64x2.splat(lr);
  const zero = f64x2.splat(0);
  let s0 = zero, s1 = zero, q0 = zero, q1 = zero;
  let w0 = zero, w1 = zero, v0 = zero, v1 = zero;
  let j = 1;
  for (; j + 8 <= n; j += 8) {
    // two halves of 4 elements, each summed in pairs first (as in actPass)
    let xp = x + <usize>j * es;
    let gp = g + <usize>j * es;
    let oa = load2<T>(xp);
    let ob = load2<T>(xp + 2 * es);
    let na = store2<T>(xp, f64x2.sub(oa, f64x2.mul(r, load2<T>(gp))));
    let nb = store2<T>(xp + 2 * es, f64x2.sub(ob, f64x2.mul(r, load2<T>(gp + 2 * es))));
    let ea = f64x2.sub(f64x2.sub(na, oa), sh);
    let eb = f64x2.sub(f64x2.sub(nb, ob), sh);
    s0 = f64x2.add(s0, f64x2.add(ea, eb));
    q0 = f64x2.add(q0, f64x2.add(f64x2.mul(ea, ea), f64x2.mul(eb, eb)));
    w0 = f64x2.add(w0, f64x2.add(na, nb));
    v0 = f64x2.add(v0, f64x2.add(f64x2.mul(na, na), f64x2.mul(nb, nb)));
    xp += 4 * es;
    gp += 4 * es;
    oa = load2<T>(xp);
    ob = load2<T>(xp + 2 * es);
    na = store2<T>(xp, f64x2.sub(oa, f64x2.mul(r, load2<T>(gp))));
    nb = store2<T>(xp + 2 * es, f64x2.sub(ob, f64x2.mul(r, load2<T>(gp + 2 * es))));
    ea = f64x2.sub(f64x2.sub(na, oa), sh);
    eb = f64x2.sub(f64x2.sub(nb, ob), sh);
    s1 = f64x2.add(s1, f64x2.add(ea, eb));
    q1 = f64x2.add(q1, f64x2.add(f64x2.mul(ea, ea), f64x2.mul(eb, eb)));
    w1 = f64x2.add(w1, f64x2.add(na, nb));
    v1 = f64x2.add(v1, f64x2.add(f64x2.mul(na, na), f64x2.mul(nb, nb)));
  }
  let s = hsum(f64x2.add(s0, s1));
  let q = hsum(f64x2.add(q0, q1));
  let w = hsum(f64x2.add(w0, w1)) + new0;
  let v = hsum(f64x2.add(v0, v1)) + new0 * new0;
  for (; j < n; j++) {
    const p = x + <usize>j * es;
    const old = <f64>load<T>(p);
    store<T>(p, <T>(old - lr * <f64>load<T>(g + <usize>j * es)));
    const now = <f64>load<T>(p);
    const e = now - old - shift;
    s += e;
    q += e * e;
    w += now;
    v += now * now;
  }
  store<f64>(out, s);
  store<f64>(out, q, 8);
  store<f64>(out, w, 16);
  store<f64>(out, v, 24);
}

export function sgd_step_sums_f32(lr: f64, x: usize, g: usize, n: i32, out: usize): void {
  sgdStepSums<f32>(lr, x, g, n, out);
}

export function sgd_step_sums_f64(lr: f64, x: usize, g: usize, n: i32, out: usize): void {
  sgdStepSums<f64>(lr, x, g, n, out);
}

// ---- optimizer steps (issue #8) ----
//
// The per-element updates of src/core/optim (adam.ts's adamStepTs, sgd.ts's momentumStepTs)
// for runtimes without the native addon (native/src/optim.c); the loader is optim-wasm.ts. Per
// element the arithmetic is the TypeScript loops', operation for operation in float64: mul,
// add, sub, div and sqrt, each correctly rounded as in JavaScript (never relaxed_madd or any
// fused operation, also in the relaxed build), the parameters rounded once to their dtype on
// store; so x, Adam's moments and the momentum buffer come out bit for bit as in TypeScript.
// The moments, the buffer, the hyperparameters and `out` are float64 whatever x's dtype. The
// loop-invariant conditions (lerp's side of 0.5, L2 term, AdamW decay, Nesterov) stay branches
// on the same tests as TypeScript's, so a zero weight decay never multiplies an Inf weight.
// out = [sum e, sum e^2, sum x_new, sum x_new^2], e = (x_new - x_old) - shift, shift = element
// 0's update (so e_0 is 0, or NaN when that update is not finite), summed in another order than
// TypeScript's (round-off). Element 0 runs as a scalar, then two f64x2 groups an iteration,
// their sums added in pairs before they reach an accumulator, then a scalar tail.

/** Adam's hyperparameters (float64 at `h`), in KernelProvider.adamStep's order. */
const H_W1 = 0, H_BETA2 = 8, H_W2 = 16, H_EPS = 24, H_STEP = 32, H_BC2 = 40, H_L2 = 48;
const H_DECAY = 56;

/** Two Adam updates of x at xp (moments at mp, vp): stores them, returns x_new widened. */
@inline
function adam2<T>(
  xp: usize, gp: usize, mp: usize, vp: usize, low: bool, hasL2: bool, hasDecay: bool,
  w1: v128, omw1: v128, beta2: v128, w2: v128, eps: v128, step: v128, bc2: v128, l2: v128,
  decay: v128, old: v128,
): v128 {
  let gj = load2<T>(gp);
  let pj = old;
  if (hasL2) gj = f64x2.add(gj, f64x2.mul(l2, pj));
  if (hasDecay) pj = f64x2.mul(pj, decay);
  const mPrev = v128.load(mp);
  const mj = low
    ? f64x2.add(mPrev, f64x2.mul(w1, f64x2.sub(gj, mPrev)))
    : f64x2.sub(gj, f64x2.mul(f64x2.sub(gj, mPrev), omw1));
  const vj = f64x2.add(f64x2.mul(v128.load(vp), beta2), f64x2.mul(f64x2.mul(w2, gj), gj));
  v128.store(mp, mj);
  v128.store(vp, vj);
  const den = f64x2.add(f64x2.div(f64x2.sqrt(vj), bc2), eps);
  return store2<T>(xp, f64x2.sub(pj, f64x2.mul(step, f64x2.div(mj, den))));
}

/** One Adam update of element j (adamStepTs's loop body); returns x_new widened. */
@inline
function adam1<T>(
  x: usize, g: usize, m: usize, v: usize, j: i32, h: usize, low: bool, hasL2: bool,
  hasDecay: bool,
): f64 {
  const es = <usize>sizeof<T>();
  const xp = x + <usize>j * es;
  const mp = m + (<usize>j << 3);
  const vp = v + (<usize>j << 3);
  const w1 = load<f64>(h, H_W1);
  const old = <f64>load<T>(xp);
  let pj = old;
  let gj = <f64>load<T>(g + <usize>j * es);
  if (hasL2) gj += load<f64>(h, H_L2) * pj;
  if (hasDecay) pj *= load<f64>(h, H_DECAY);
  const mPrev = load<f64>(mp);
  const mj = low ? mPrev + w1 * (gj - mPrev) : gj - (gj - mPrev) * (1 - w1);
  const vj = load<f64>(vp) * load<f64>(h, H_BETA2) + load<f64>(h, H_W2) * gj * gj;
  store<f64>(mp, mj);
  store<f64>(vp, vj);
  const den = sqrt<f64>(vj) / load<f64>(h, H_BC2) + load<f64>(h, H_EPS);
  store<T>(xp, <T>(pj - load<f64>(h, H_STEP) * (mj / den)));
  return <f64>load<T>(xp);
}

@inline
function adamStep<T>(x: usize, g: usize, m: usize, v: usize, n: i32, h: usize, out: usize): void {
  if (n <= 0) {
    memory.fill(out, 0, 32);
    return;
  }
  const es = <usize>sizeof<T>();
  const low = load<f64>(h, H_W1) < 0.5;
  const hasL2 = load<f64>(h, H_L2) != 0;
  const hasDecay = load<f64>(h, H_DECAY) != 1;
  const old0 = <f64>load<T>(x);
  const new0 = adam1<T>(x, g, m, v, 0, h, low, hasL2, hasDecay);
  const shift = new0 - old0;
  const e0 = shift - shift;
  const w1 = f64x2.splat(load<f64>(h, H_W1));
  const omw1 = f64x2.splat(1 - load<f64>(h, H_W1));
  const beta2 = f64x2.splat(load<f64>(h, H_BETA2));
  const w2 = f64x2.splat(load<f64>(h, H_W2));
  const eps = f64x2.splat(load<f64>(h, H_EPS));
  const step = f64x2.splat(load<f64>(h, H_STEP));
  const bc2 = f64x2.splat(load<f64>(h, H_BC2));
  const l2 = f64x2.splat(load<f64>(h, H_L2));
  const decay = f64x2.splat(load<f64>(h, H_DECAY));
  const sh = f64x2.splat(shift);
  const zero = f64x2.splat(0);
  let s0 = zero, q0 = zero, w0 = zero, v0 = zero;
  let j = 1;
  for (; j + 4 <= n; j += 4) {
    const xp = x + <usize>j * es;
    const gp = g + <usize>j * es;
    const mp = m + (<usize>j << 3);
    const vp = v + (<usize>j << 3);
    const oa = load2<T>(xp);
    const ob = load2<T>(xp + 2 * es);
    const na = adam2<T>(
      xp, gp, mp, vp, low, hasL2, hasDecay, w1, omw1, beta2, w2, eps, step, bc2, l2, decay, oa,
    );
    const nb = adam2<T>(
      xp + 2 * es, gp + 2 * es, mp + 16, vp + 16, low, hasL2, hasDecay,
      w1, omw1, beta2, w2, eps, step, bc2, l2, decay, ob,
    );
    const ea = f64x2.sub(f64x2.sub(na, oa), sh);
    const eb = f64x2.sub(f64x2.sub(nb, ob), sh);
    s0 = f64x2.add(s0, f64x2.add(ea, eb));
    q0 = f64x2.add(q0, f64x2.add(f64x2.mul(ea, ea), f64x2.mul(eb, eb)));
    w0 = f64x2.add(w0, f64x2.add(na, nb));
    v0 = f64x2.add(v0, f64x2.add(f64x2.mul(na, na), f64x2.mul(nb, nb)));
  }
  let s = hsum(s0) + e0;
  let q = hsum(q0) + e0 * e0;
  let w = hsum(w0) + new0;
  let ww = hsum(v0) + new0 * new0;
  for (; j < n; j++) {
    const old = <f64>load<T>(x + <usize>j * es);
    const now = adam1<T>(x, g, m, v, j, h, low, hasL2, hasDecay);
    const e = now - old - shift;
    s += e;
    q += e * e;
    w += now;
    ww += now * now;
  }
  store<f64>(out, s);
  store<f64>(out, q, 8);
  store<f64>(out, w, 16);
  store<f64>(out, ww, 24);
}

/** adam.ts's adamStepTs on x, g (float32), moments m, v, hyperparameters h, sums to out. */
export function adam_step_f32(
  x: usize, g: usize, m: usize, v: usize, n: i32, h: usize, out: usize,
): void {
  adamStep<f32>(x, g, m, v, n, h, out);
}

/** adam.ts's adamStepTs on float64 x, g. */
export function adam_step_f64(
  x: usize, g: usize, m: usize, v: usize, n: i32, h: usize, out: usize,
): void {
  adamStep<f64>(x, g, m, v, n, h, out);
}

/** Momentum SGD's hyperparameters (float64 at `h`): learning rate, momentum, decay, Nesterov. */
const M_LR = 0, M_MU = 8, M_WD = 16, M_NESTEROV = 24;

/** Two momentum-SGD updates of x at xp (buffer at bp if hasB); returns x_new widened. */
@inline
function momentum2<T>(
  xp: usize, gp: usize, bp: usize, hasB: bool, hasWd: bool, nesterov: bool,
  lr: v128, mu: v128, wd: v128, old: v128,
): v128 {
  let d = load2<T>(gp);
  if (hasWd) d = f64x2.add(d, f64x2.mul(wd, old));
  if (hasB) {
    const bj = f64x2.add(f64x2.mul(mu, v128.load(bp)), d);
    v128.store(bp, bj);
    d = nesterov ? f64x2.add(d, f64x2.mul(mu, bj)) : bj;
  }
  return store2<T>(xp, f64x2.sub(old, f64x2.mul(lr, d)));
}

/** One momentum-SGD update of element j (momentumStepTs's loop body); returns x_new widened. */
@inline
function momentum1<T>(
  x: usize, g: usize, b: usize, j: i32, h: usize, hasB: bool, hasWd: bool, nesterov: bool,
): f64 {
  const es = <usize>sizeof<T>();
  const xp = x + <usize>j * es;
  const old = <f64>load<T>(xp);
  let d = <f64>load<T>(g + <usize>j * es);
  if (hasWd) d += load<f64>(h, M_WD) * old;
  if (hasB) {
    const mu = load<f64>(h, M_MU);
    const bp = b + (<usize>j << 3);
    const bj = mu * load<f64>(bp) + d;
    store<f64>(bp, bj);
    d = nesterov ? d + mu * bj : bj;
  }
  store<T>(xp, <T>(old - load<f64>(h, M_LR) * d));
  return <f64>load<T>(xp);
}

@inline
function momentumStep<T>(
  x: usize, g: usize, b: usize, hasB: bool, n: i32, h: usize, out: usize,
): void {
  if (n <= 0) {
    memory.fill(out, 0, 32);
    return;
  }
  const es = <usize>sizeof<T>();
  const hasWd = load<f64>(h, M_WD) != 0;
  const nesterov = load<f64>(h, M_NESTEROV) != 0;
  const old0 = <f64>load<T>(x);
  const new0 = momentum1<T>(x, g, b, 0, h, hasB, hasWd, nesterov);
  const shift = new0 - old0;
  const e0 = shift - shift;
  const lr = f64x2.splat(load<f64>(h, M_LR));
  const mu = f64x2.splat(load<f64>(h, M_MU));
  const wd = f64x2.splat(load<f64>(h, M_WD));
  const sh = f64x2.splat(shift);
  const zero = f64x2.splat(0);
  let s0 = zero, q0 = zero, w0 = zero, v0 = zero;
  let j = 1;
  for (; j + 4 <= n; j += 4) {
    const xp = x + <usize>j * es;
    const gp = g + <usize>j * es;
    const bp = b + (<usize>j << 3);
    const oa = load2<T>(xp);
    const ob = load2<T>(xp + 2 * es);
    const na = momentum2<T>(xp, gp, bp, hasB, hasWd, nesterov, lr, mu, wd, oa);
    const nb = momentum2<T>(
      xp + 2 * es, gp + 2 * es, bp + 16, hasB, hasWd, nesterov, lr, mu, wd, ob,
    );
    const ea = f64x2.sub(f64x2.sub(na, oa), sh);
    const eb = f64x2.sub(f64x2.sub(nb, ob), sh);
    s0 = f64x2.add(s0, f64x2.add(ea, eb));
    q0 = f64x2.add(q0, f64x2.add(f64x2.mul(ea, ea), f64x2.mul(eb, eb)));
    w0 = f64x2.add(w0, f64x2.add(na, nb));
    v0 = f64x2.add(v0, f64x2.add(f64x2.mul(na, na), f64x2.mul(nb, nb)));
  }
  let s = hsum(s0) + e0;
  let q = hsum(q0) + e0 * e0;
  let w = hsum(w0) + new0;
  let ww = hsum(v0) + new0 * new0;
  for (; j < n; j++) {
    const old = <f64>load<T>(x + <usize>j * es);
    const now = momentum1<T>(x, g, b, j, h, hasB, hasWd, nesterov);
    const e = now - old - shift;
    s += e;
    q += e * e;
    w += now;
    ww += now * now;
  }
  store<f64>(out, s);
  store<f64>(out, q, 8);
  store<f64>(out, w, 16);
  store<f64>(out, ww, 24);
}

/** sgd.ts's momentumStepTs on float32 x, g; buffer b when hasB (else weight decay only). */
export function momentum_step_f32(
  x: usize, g: usize, b: usize, hasB: bool, n: i32, h: usize, out: usize,
): void {
  momentumStep<f32>(x, g, b, hasB, n, h, out);
}

/** sgd.ts's momentumStepTs on float64 x, g. */
export function momentum_step_f64(
  x: usize, g: usize, b: usize, hasB: bool, n: i32, h: usize, out: usize,
): void {
  momentumStep<f64>(x, g, b, hasB, n, h, out);
}
