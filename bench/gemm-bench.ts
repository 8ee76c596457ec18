/**
 * Matrix-product benchmark: GFLOP/s of the TypeScript kernels against the WebAssembly SIMD
 * kernel (through the public gemmNT / gemmNN / gemmTN, switched with setGemmBackend), in
 * float64 and float32, copies in and out of wasm memory included. Each cell is the median over
 * repeats of at least ~0.2 s of calls, timed by this process's CPU time: on a shared machine
 * that is far steadier than the wall clock (--wall uses the wall clock instead).
 *
 * A second table compares the wasm builds directly (plain SIMD128, relaxed SIMD, and each split
 * over two threads), timed by the wall clock since two threads share the work; and a third
 * finds where the two-thread split starts to pay (WASM_SPLIT_MIN_MULADDS).
 *
 * The first table has a native column when the addon loads (GRADSCOPE_NATIVE=0: without it).
 *
 * With --steps it also times training steps of the bench's workloads W and W2 (bench/
 * workloads.ts) on each wasm build, with any registered native kernels turned off (W2 too
 * with --w2).
 *
 *   npx tsx bench/gemm-bench.ts [--quick] [--wall] [--variants-only] [--steps [--w2]]
 */
import type { DType, FloatArray } from "../src/core/dtype.ts";
import { allocate } from "../src/core/dtype.ts";
import { gemmBackend, gemmNN, gemmNT, gemmTN, setGemmBackend } from "../src/core/kernels/gemm.ts";
import { setKernelProviderEnabled } from "../src/core/kernels/provider.ts";
import {
  createWasmGemm,
  setWasmGemmOptions,
  startWasmThreads,
  WASM_SPLIT_MIN_MULADDS,
  type WasmGemm,
  wasmGemmName,
} from "../src/core/kernels/wasm/gemm-wasm.ts";
import { Rng } from "../src/core/rng.ts";
import { loadNativeKernels } from "../src/native/native-kernels.ts";
import { enableNodeWasmRelaxedSimd, enableNodeWasmThreads } from "../src/wasm-threads/node.ts";
import { buildWorkload, median as medianOf, timeSteps, W, W2 } from "./workloads.ts";

type Op = "NT" | "NN" | "TN";

const native = loadNativeKernels(); // respects GRADSCOPE_NATIVE=0
const quick = process.argv.includes("--quick");
let wall = process.argv.includes("--wall");
const variantsOnly = process.argv.includes("--variants-only");
const withSteps = process.argv.includes("--steps");

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

/**
 * GFLOP/s of several wasm builds on the same C[m, n] = A B^T (NT layout), measured in
 * interleaved rounds (one block of each build per round) so that all see the same machine
 * load: median and best block of each.
 */
function compareBuilds(
  builds: WasmGemm[],
  m: number,
  n: number,
  k: number,
  dtype: DType,
): { median: number; best: number }[] {
  const rng = new Rng(1);
  const A = allocate(dtype, m * k);
  const B = allocate(dtype, k * n);
  rng.fillNormal(A);
  rng.fillNormal(B);
  const C = allocate(dtype, m * n);
  const runs = builds.map((g) => (): void => {
    g.run(m, n, k, A, k, 1, B, 1, k, C, false);
  });
  const flop = 2 * m * n * k;
  for (const run of runs) {
    const warm = now();
    do run();
    while (now() - warm < (quick ? 100 : 250));
  }
  const rates: number[][] = runs.map(() => []);
  for (let r = 0; r < (quick ? 7 : 15); r++) {
    runs.forEach((run, i) => {
      let calls = 0;
      const t0 = now();
      let dt = 0;
      do {
        run();
        calls++;
        dt = now() - t0;
      } while (dt < (quick ? 40 : 100));
      rates[i]!.push((flop * calls) / (dt * 1e6));
    });
  }
  return rates.map((r) => ({ median: median(r), best: Math.max(...r) }));
}

const cell = (x: { median: number; best: number }): string =>
  `${x.median.toFixed(1)} (${x.best.toFixed(0)})`.padStart(14);

async function variants(): Promise<void> {
  const savedWall = wall;
  wall = true; // two threads: CPU time would count both
  const relaxedOk = enableNodeWasmRelaxedSimd();
  enableNodeWasmThreads();
  const builds: [string, WasmGemm | null][] = [
    ["simd", createWasmGemm({ relaxed: false, threads: false })],
    ["relaxed", relaxedOk ? createWasmGemm({ relaxed: true, threads: false }) : null],
    ["simd x2", createWasmGemm({ relaxed: false, threads: true })],
    ["relaxed x2", relaxedOk ? createWasmGemm({ relaxed: true, threads: true }) : null],
  ];
  for (const [, g] of builds) if (g?.shared) await g.startThreads();
  const live = builds.filter((b): b is [string, WasmGemm] => b[1] !== null);
  console.log(
    `\nwasm builds, NT, wall clock, GFLOP/s median (best block) (relaxed SIMD ${relaxedOk ? "on" : "unavailable"}):`,
  );
  const header = `${"dtype".padEnd(6)}${"m x n x k".padStart(16)}${live.map(([name]) => name.padStart(14)).join("")}`;
  const lines = [header];
  console.log(header);
  const shapes: [number, number, number][] = [
    [128, 256, 256],
    [256, 1024, 1024],
  ];
  for (const dtype of ["f32", "f64"] as const) {
    for (const [m, n, k] of shapes) {
      const cells = compareBuilds(
        live.map(([, g]) => g),
        m,
        n,
        k,
        dtype,
      ).map(cell);
      const line = `${dtype.padEnd(6)}${`${m}x${n}x${k}`.padStart(16)}${cells.join("")}`;
      lines.push(line);
      console.log(line);
    }
  }
  // where the split pays: relaxed (or plain) one thread vs two, small products
  const one = live.find(([name]) => name === "relaxed") ?? live[0]!;
  const two =
    live.find(([name]) => name === "relaxed x2") ?? live.find(([name]) => name === "simd x2");
  if (two) {
    console.log(
      `\nsplit threshold, f32 NT, ${one[0]} vs ${two[0]} split at any size, GFLOP/s median (best):`,
    );
    for (const [m, n, k] of [
      [32, 64, 64],
      [64, 64, 64],
      [64, 64, 128],
      [64, 128, 128],
      [128, 128, 128],
      [128, 256, 128],
      [128, 256, 256],
    ] as const) {
      two[1].splitMinMuladds = 0; // split whatever the size, to see where it starts to pay
      two[1].adaptiveSplit = false;
      const [a, b] = compareBuilds([one[1], two[1]], m, n, k, "f32") as [
        { median: number; best: number },
        { median: number; best: number },
      ];
      two[1].splitMinMuladds = WASM_SPLIT_MIN_MULADDS;
      two[1].adaptiveSplit = true;
      const line = `${`${m}x${n}x${k}`.padStart(14)} ${String(m * n * k).padStart(9)} muladds ${cell(a)} ${cell(b)}  x${(b.median / a.median).toFixed(2)}`;
      lines.push(line);
      console.log(line);
    }
  }
  for (const [name, g] of live) {
    if (g.shared)
      console.log(
        `${name}: helper thread computed ${(100 * g.helperShare()).toFixed(0)}% of split chunks; ${g.unsplitCalls} of ${g.unsplitCalls + g.splitCalls} products kept on one thread (measured faster)`,
      );
    g.close();
  }
  wall = savedWall;
}

if (!variantsOnly) {
  const rows: string[] = [];
  const pad = (s: string, w: number): string => s.padStart(w);
  rows.push(
    `${"op".padEnd(4)}${pad("m x n x k", 16)}${pad("dtype", 7)}${pad("TS GFLOP/s", 12)}${pad("wasm GFLOP/s", 14)}${native.loaded ? pad("native GFLOP/s", 16) : ""}${pad("speedup", 9)}`,
  );
  const wasOn = setKernelProviderEnabled(false);
  const wasmName = gemmBackend();
  setKernelProviderEnabled(wasOn);
  console.log(
    `backends: ${wasmName}${native.loaded ? `, ${gemmBackend()}` : ` (no native: ${native.reason})`}; node ${process.version}, timed by ${wall ? "wall clock" : "CPU time"}; speedup = fastest / TS`,
  );
  for (const dtype of ["f64", "f32"] as const) {
    for (const [op, m, n, k] of cases) {
      setGemmBackend("typescript");
      const ts = gflops(op, m, n, k, dtype);
      setGemmBackend("auto");
      const on = setKernelProviderEnabled(false);
      const wasm = gflops(op, m, n, k, dtype);
      setKernelProviderEnabled(on);
      const nat = native.loaded ? gflops(op, m, n, k, dtype) : null;
      const best = Math.max(wasm, nat ?? 0);
      const line = `${op.padEnd(4)}${pad(`${m}x${n}x${k}`, 16)}${pad(dtype, 7)}${pad(ts.toFixed(2), 12)}${pad(wasm.toFixed(2), 14)}${nat === null ? "" : pad(nat.toFixed(2), 16)}${pad(`${(best / ts).toFixed(2)}x`, 9)}`;
      rows.push(line);
      console.log(line);
    }
  }
  console.log(`\n${rows.join("\n")}`);
}
await variants();

/** Training steps/s of W and W2 on each wasm build (through the default kernel). */
async function steps(): Promise<void> {
  setKernelProviderEnabled(false);
  console.log("\ntraining steps/s, wasm builds, native kernels off (median, min-max of blocks):");
  for (const spec of process.argv.includes("--w2") ? [W, W2] : [W]) {
    const work = buildWorkload(spec);
    for (const [relaxed, threads] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      setWasmGemmOptions({ relaxed, threads });
      if (threads && !(await startWasmThreads())) continue;
      const perBlock = spec === W ? (quick ? 10 : 20) : quick ? 2 : 4;
      const rates = timeSteps(() => work.step(), quick ? 5 : 9, perBlock, perBlock);
      const name = wasmGemmName() ?? "typescript";
      console.log(
        `${spec.name.split(":")[0]!.padEnd(4)} ${name.padEnd(22)} ${medianOf(rates).toFixed(2).padStart(7)}  (${Math.min(...rates).toFixed(2)}-${Math.max(...rates).toFixed(2)})`,
      );
    }
  }
  setWasmGemmOptions({ relaxed: true, threads: true });
}
if (withSteps) await steps();
