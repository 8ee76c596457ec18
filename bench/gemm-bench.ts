/**
 * Matrix-product benchmark: GFLOP/s of the TypeScript kernels against the WebAssembly SIMD
 * kernel (through the public gemmNT / gemmNN / gemmTN, switched with setGemmBackend), in
 * float64 and float32, copies in and out of wasm memory included. Each cell is the median over
 * repeats of at least ~0.2 s of calls, timed by this process's CPU time: on a shared machine
 * that is far steadier than the wall clock (--wall uses the wall clock instead).
 *
 *   npx tsx bench/gemm-bench.ts [--quick] [--wall]
 */
import type { DType, FloatArray } from "../src/core/dtype.ts";
import { allocate } from "../src/core/dtype.ts";
import { gemmBackend, gemmNN, gemmNT, gemmTN, setGemmBackend } from "../src/core/kernels/gemm.ts";
import { Rng } from "../src/core/rng.ts";

type Op = "NT" | "NN" | "TN";

const quick = process.argv.includes("--quick");
const wall = process.argv.includes("--wall");

/** Milliseconds: process CPU time (user + system), or the wall clock with --wall. */
function now(): number {
  if (wall) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
const cases: [Op, number, number, number][] = [
  ["NT", 64, 512, 512], // dense forward: z = x W^T (batch 64, width 512)
  ["NN", 64, 512, 512], // dense backward: dx = dz W
  ["TN", 512, 512, 64], // dense backward: dW = dz^T x
  ["NT", 256, 256, 256],
  ["NT", 1024, 1024, 1024],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

function gflops(op: Op, m: number, n: number, k: number, dtype: DType): number {
  const rng = new Rng(1);
  const fill = (len: number): FloatArray => {
    const x = allocate(dtype, len);
    rng.fillNormal(x);
    return x;
  };
  const A = fill(m * k);
  const B = fill(k * n);
  const C = allocate(dtype, m * n);
  const s1 = allocate(dtype, Math.max(m, n) * k);
  const s2 = allocate(dtype, n * k);
  const run = (): void => {
    if (op === "NT") gemmNT(m, n, k, A, B, C);
    else if (op === "NN") gemmNN(m, n, k, A, B, C, s1);
    else gemmTN(m, n, k, A, B, C, s1, s2);
  };
  const flop = 2 * m * n * k;
  // warm up: JIT for TypeScript, Liftoff -> TurboFan tier-up for wasm
  const warm = now();
  do run();
  while (now() - warm < (quick ? 100 : 300));
  const rates: number[] = [];
  for (let r = 0; r < (quick ? 3 : 7); r++) {
    let calls = 0;
    const t0 = now();
    let dt = 0;
    do {
      run();
      calls++;
      dt = now() - t0;
    } while (dt < (quick ? 60 : 200));
    rates.push((flop * calls) / (dt * 1e6));
  }
  return median(rates);
}

const rows: string[] = [];
const pad = (s: string, w: number): string => s.padStart(w);
rows.push(
  `${"op".padEnd(4)}${pad("m x n x k", 16)}${pad("dtype", 7)}${pad("TS GFLOP/s", 12)}${pad("wasm GFLOP/s", 14)}${pad("speedup", 9)}`,
);
console.log(
  `backend: ${gemmBackend()}, node ${process.version}, timed by ${wall ? "wall clock" : "CPU time"}`,
);
for (const dtype of ["f64", "f32"] as const) {
  for (const [op, m, n, k] of cases) {
    setGemmBackend("typescript");
    const ts = gflops(op, m, n, k, dtype);
    setGemmBackend("auto");
    const wasm = gflops(op, m, n, k, dtype);
    const line = `${op.padEnd(4)}${pad(`${m}x${n}x${k}`, 16)}${pad(dtype, 7)}${pad(ts.toFixed(2), 12)}${pad(wasm.toFixed(2), 14)}${pad(`${(wasm / ts).toFixed(2)}x`, 9)}`;
    rows.push(line);
    console.log(line);
  }
}
console.log(`\n${rows.join("\n")}`);
