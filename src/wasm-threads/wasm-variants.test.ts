import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allocate, type DType, type FloatArray } from "../core/dtype.ts";
import { gemmNT } from "../core/kernels/gemm.ts";
import { tsGemmNN, tsGemmNT, tsGemmTN } from "../core/kernels/gemm-ts.ts";
import {
  createWasmGemm,
  setWasmGemmOptions,
  setWasmWorkerFactory,
  startWasmThreads,
  WASM_SPLIT_MIN_MULADDS,
  type WasmGemm,
  wasmGemmCalls,
  wasmGemmName,
} from "../core/kernels/wasm/gemm-wasm.ts";
import { Rng } from "../core/rng.ts";
import { enableNodeWasmRelaxedSimd, enableNodeWasmThreads } from "./node.ts";

/**
 * The kernel's builds against each other and the TypeScript kernels: relaxed SIMD (enabled at
 * run time through V8's flag, as the CLI does) and the two-thread split on a real helper
 * worker_threads Worker.
 */

type Op = "NT" | "NN" | "TN";
const OPS: Op[] = ["NT", "NN", "TN"];

function strides(op: Op, m: number, n: number, k: number): [number, number, number, number] {
  if (op === "NT") return [k, 1, 1, k];
  if (op === "NN") return [k, 1, n, 1];
  return [1, m, n, 1];
}

function run(
  g: WasmGemm,
  op: Op,
  m: number,
  n: number,
  k: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  acc = false,
): void {
  const [ars, acs, brs, bcs] = strides(op, m, n, k);
  expect(g.run(m, n, k, A, ars, acs, B, brs, bcs, C, acc)).toBe(true);
}

function viaTs(
  op: Op,
  m: number,
  n: number,
  k: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
): void {
  const dtype: DType = C instanceof Float32Array ? "f32" : "f64";
  if (op === "NT") tsGemmNT(m, n, k, A, B, C);
  else if (op === "NN") tsGemmNN(m, n, k, A, B, C, allocate(dtype, k * n));
  else tsGemmTN(m, n, k, A, B, C, allocate(dtype, k * m), allocate(dtype, k * n));
}

/** ||got - want|| / ||want||. */
function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i]! - want[i]!) ** 2;
    den += want[i]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

/** Float32 round-off of a k-term sum is ~sqrt(k) * 6e-8 relative; 1e-5 bounds k <= 1024 widely. */
const TOL = { f32: 1e-5, f64: 1e-13 } as const;

function operands(dtype: DType, m: number, n: number, k: number, seed: number) {
  const rng = new Rng(seed);
  const A = allocate(dtype, m * k);
  const B = allocate(dtype, k * n);
  rng.fillNormal(A);
  rng.fillNormal(B);
  return { A, B };
}

describe("relaxed-SIMD build", () => {
  let plain: WasmGemm;
  let relaxed: WasmGemm;
  beforeAll(() => {
    expect(enableNodeWasmRelaxedSimd()).toBe(true);
    plain = createWasmGemm({ relaxed: false, threads: false })!;
    relaxed = createWasmGemm({ relaxed: true, threads: false })!;
  });

  it("is selected once V8's flag is set at run time", () => {
    expect(plain.relaxed).toBe(false);
    expect(relaxed.relaxed).toBe(true);
    expect(relaxed.name).toBe("wasm-simd relaxed");
  });

  const shapes: [number, number, number][] = [
    [3, 5, 7],
    [64, 37, 21],
    [130, 129, 65],
    [5, 530, 270],
    [128, 256, 256],
  ];
  for (const dtype of ["f32", "f64"] as const) {
    for (const op of OPS) {
      for (const [m, n, k] of shapes) {
        it(`${op} ${dtype} ${m}x${n}x${k}: relaxed, plain SIMD and TypeScript agree`, () => {
          const { A, B } = operands(dtype, m, n, k, m * 7919 + n * 31 + k);
          const cr = allocate(dtype, m * n);
          const cp = allocate(dtype, m * n);
          const ct = allocate(dtype, m * n);
          run(relaxed, op, m, n, k, A, B, cr);
          run(plain, op, m, n, k, A, B, cp);
          viaTs(op, m, n, k, A, B, ct);
          expect(relError(cr, ct)).toBeLessThan(TOL[dtype]);
          expect(relError(cr, cp)).toBeLessThan(TOL[dtype]);
          // accumulate adds onto C
          const c0 = allocate(dtype, m * n);
          new Rng(1).fillNormal(c0);
          const ca = c0.slice();
          run(relaxed, op, m, n, k, A, B, ca, true);
          expect(
            relError(
              ca,
              c0.map((v, i) => v + ct[i]!),
            ),
          ).toBeLessThan(TOL[dtype]);
        });
      }
    }
  }

  // On a CPU with FMA the relaxed kernel fuses, so its rounding differs from mul + add: this
  // shows the relaxed instructions really run (within the bound above, not bit for bit).
  const hasFma = (() => {
    try {
      return /\bfma\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
    } catch {
      return false;
    }
  })();
  it.runIf(hasFma)(
    "fuses multiply-adds on this FMA CPU (results differ from plain SIMD in the last bits)",
    () => {
      const [m, n, k] = [64, 64, 256];
      const { A, B } = operands("f32", m, n, k, 99);
      const cr = new Float32Array(m * n);
      const cp = new Float32Array(m * n);
      run(relaxed, "NT", m, n, k, A, B, cr);
      run(plain, "NT", m, n, k, A, B, cp);
      let differ = 0;
      for (let i = 0; i < cr.length; i++) if (cr[i] !== cp[i]) differ++;
      expect(differ).toBeGreaterThan(cr.length / 10);
    },
  );
});

describe("two-thread split", () => {
  let single: WasmGemm;
  let split: WasmGemm;
  let splitRelaxed: WasmGemm;
  beforeAll(async () => {
    expect(enableNodeWasmThreads()).toBe(true);
    single = createWasmGemm({ relaxed: false, threads: false })!;
    split = createWasmGemm({ relaxed: false, threads: true })!;
    splitRelaxed = createWasmGemm({ relaxed: true, threads: true })!;
    expect(split.shared).toBe(true);
    // every large product must split here, even when a busy machine slows the helper
    split.adaptiveSplit = false;
    expect(await split.startThreads()).toBe(true);
    expect(await splitRelaxed.startThreads()).toBe(true);
  }, 30_000);
  afterAll(() => {
    split.close();
    splitRelaxed.close();
    setWasmWorkerFactory(null);
  });

  it("reports the helper thread in its name", () => {
    expect(split.threadState()).toBe("ready");
    expect(split.name).toBe("wasm-simd x2");
  });

  // n >= m splits columns (B), m > n splits rows (A); odd sizes leave uneven halves and edge
  // tiles on both sides; 600 > NC/KC-sized blocks cross the kernel's blocking
  const shapes: [number, number, number][] = [
    [128, 256, 256],
    [256, 128, 256],
    [33, 1030, 40],
    [1001, 17, 77],
    [128, 600, 300],
  ];
  for (const dtype of ["f32", "f64"] as const) {
    for (const op of OPS) {
      for (const [m, n, k] of shapes) {
        it(`${op} ${dtype} ${m}x${n}x${k}: split equals one thread bit for bit`, () => {
          expect(m * n * k).toBeGreaterThanOrEqual(WASM_SPLIT_MIN_MULADDS);
          const { A, B } = operands(dtype, m, n, k, m + n + k);
          const c1 = allocate(dtype, m * n);
          const c2 = allocate(dtype, m * n).fill(Number.NaN);
          run(single, op, m, n, k, A, B, c1);
          const before = split.splitCalls;
          run(split, op, m, n, k, A, B, c2);
          expect(split.splitCalls).toBe(before + 1);
          // same kernel, same per-element summation order: identical, not merely close
          expect(Array.from(c2)).toEqual(Array.from(c1));

          // accumulate, and the relaxed split against TypeScript
          const c0 = allocate(dtype, m * n);
          new Rng(2).fillNormal(c0);
          const a1 = c0.slice();
          const a2 = c0.slice();
          run(single, op, m, n, k, A, B, a1, true);
          run(split, op, m, n, k, A, B, a2, true);
          expect(Array.from(a2)).toEqual(Array.from(a1));
          const cr = allocate(dtype, m * n);
          const ct = allocate(dtype, m * n);
          run(splitRelaxed, op, m, n, k, A, B, cr);
          viaTs(op, m, n, k, A, B, ct);
          expect(relError(cr, ct)).toBeLessThan(TOL[dtype]);
        });
      }
    }
  }

  it("the helper thread computed part of the split products", () => {
    expect(split.splitCalls).toBeGreaterThan(20);
    expect(split.helperShare()).toBeGreaterThan(0.05);
  });

  it("the default kernel takes the best build: relaxed, two threads, through gemmNT", async () => {
    setWasmGemmOptions({ relaxed: true, threads: true });
    expect(await startWasmThreads()).toBe(true);
    expect(wasmGemmName()).toBe("wasm-simd relaxed x2");
    const [m, n, k] = [128, 256, 256];
    const { A, B } = operands("f32", m, n, k, 8);
    const before = wasmGemmCalls();
    const C = new Float32Array(m * n);
    gemmNT(m, n, k, A, B, C);
    expect(wasmGemmCalls()).toBe(before + 1);
    const want = new Float32Array(m * n);
    tsGemmNT(m, n, k, A, B, want);
    expect(relError(C, want)).toBeLessThan(TOL.f32);
    // without threads the default kernel is rebuilt on a memory of its own
    setWasmGemmOptions({ threads: false });
    expect(wasmGemmName()).toBe("wasm-simd relaxed");
    setWasmGemmOptions({ relaxed: false });
    expect(wasmGemmName()).toBe("wasm-simd");
    setWasmGemmOptions({ relaxed: true, threads: true });
  });

  it("adaptive: times both ways, keeps exploring, and gives the same bits either way", async () => {
    const g = createWasmGemm({ relaxed: false, threads: true })!;
    try {
      expect(g.adaptiveSplit).toBe(true);
      expect(await g.startThreads()).toBe(true);
      const [m, n, k] = [128, 256, 128];
      const { A, B } = operands("f32", m, n, k, 12);
      const want = new Float32Array(m * n);
      run(single, "NT", m, n, k, A, B, want);
      for (let i = 0; i < 40; i++) {
        const C = new Float32Array(m * n);
        run(g, "NT", m, n, k, A, B, C);
        expect(Array.from(C)).toEqual(Array.from(want));
      }
      // the first product splits, the second runs on one thread, then the faster way with
      // one in 16 the other way: both always get some
      expect(g.splitCalls + g.unsplitCalls).toBe(40);
      expect(g.splitCalls).toBeGreaterThanOrEqual(3);
      expect(g.unsplitCalls).toBeGreaterThanOrEqual(3);
    } finally {
      g.close();
    }
  });

  it("keeps small products on one thread", () => {
    const [m, n, k] = [32, 64, 64];
    expect(m * n * k).toBeLessThan(WASM_SPLIT_MIN_MULADDS);
    const { A, B } = operands("f32", m, n, k, 4);
    const before = split.splitCalls;
    run(split, "NT", m, n, k, A, B, new Float32Array(m * n));
    expect(split.splitCalls).toBe(before);
  });

  it("runs on one thread, correctly, while the helper never becomes ready", () => {
    // a factory whose worker ignores its message, as a helper that failed to start would
    const previous = setWasmWorkerFactory(() => ({ postMessage() {}, terminate() {} }));
    try {
      const g = createWasmGemm({ relaxed: false, threads: true })!;
      expect(g.shared).toBe(true);
      const [m, n, k] = [128, 256, 256];
      const { A, B } = operands("f32", m, n, k, 5);
      const c1 = new Float32Array(m * n);
      const c2 = new Float32Array(m * n);
      run(single, "NN", m, n, k, A, B, c1);
      run(g, "NN", m, n, k, A, B, c2);
      expect(g.threadState()).toBe("starting");
      expect(g.splitCalls).toBe(0);
      expect(g.name).toBe("wasm-simd");
      expect(Array.from(c2)).toEqual(Array.from(c1));
    } finally {
      setWasmWorkerFactory(previous);
    }
  });

  it("survives memory growth on the shared memory between split calls", () => {
    for (const [m, n, k] of [
      [128, 256, 64],
      [700, 900, 300],
      [256, 128, 64],
    ] as const) {
      const { A, B } = operands("f64", m, n, k, m);
      const c1 = new Float64Array(m * n);
      const c2 = new Float64Array(m * n);
      run(single, "NT", m, n, k, A, B, c1);
      run(split, "NT", m, n, k, A, B, c2);
      expect(Array.from(c2)).toEqual(Array.from(c1));
    }
  });
});
