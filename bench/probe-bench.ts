/**
 * Probe benchmark: one forward/backward pass plus every per-layer metric, on the
 * foundation issue's target network (50 layers, width 512, batch 64), in float64 and float32.
 * Prints medians over repeated runs and writes bench/probe-results.json (bench/results.json is
 * bench/run.ts's). Runs on the native kernels when the addon loads (GRADSCOPE_NATIVE=0: not).
 *
 *   npm run bench:probe      (or: npx tsx bench/probe-bench.ts --repeats 7)
 */
import { writeFileSync } from "node:fs";
import { gemmBackend } from "../src/core/kernels/gemm.ts";
import { loadNativeKernels } from "../src/native/native-kernels.ts";
import { setupNodeWasm } from "../src/wasm-threads/node.ts";
import { PROBE_FLOPS, timeProbe } from "./probe-timing.ts";

interface Row {
  name: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
  gflops: number;
}

setupNodeWasm();
loadNativeKernels(); // respects GRADSCOPE_NATIVE=0
const repeatsFlag = process.argv.indexOf("--repeats");
const repeats = repeatsFlag > 0 ? Number(process.argv[repeatsFlag + 1]) : 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function benchProbe(name: string, dtype: "f32" | "f64"): Row {
  const times = timeProbe(dtype, repeats);
  const med = median(times);
  return {
    name,
    medianMs: med,
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    gflops: PROBE_FLOPS / med / 1e6,
  };
}

console.log(`kernels: ${gemmBackend()}`);
const rows = [
  benchProbe("probe 50x512 batch 64 f64 (build + pass + metrics)", "f64"),
  benchProbe("probe 50x512 batch 64 f32 (build + pass + metrics)", "f32"),
];
for (const r of rows) {
  console.log(
    `${r.name.padEnd(55)} median ${r.medianMs.toFixed(0).padStart(6)} ms  (min ${r.minMs.toFixed(0)}, max ${r.maxMs.toFixed(0)})  ${r.gflops.toFixed(2)} GFLOP/s`,
  );
}
writeFileSync(
  new URL("./probe-results.json", import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, kernels: gemmBackend(), repeats, rows }, null, 2)}\n`,
);
