/**
 * float32 matrix-product throughput through the public gemmNT (whatever kernels are registered:
 * the native addon on its two threads, or wasm), by the wall clock, since two threads share
 * the work: the issue's target is GFLOP/s on 2 threads at sizes 256..1024. Each size runs in
 * blocks of at least ~0.15 s; the median block is reported, with the best.
 */
import { gemmBackend, gemmNT } from "../src/core/kernels/gemm.ts";
import { Rng } from "../src/core/rng.ts";
import { median } from "./workloads.ts";

export interface GemmRate {
  size: number;
  backend: string;
  gflops: number;
  best: number;
}

export function measureGemmRates(sizes: readonly number[], blocks = 5): GemmRate[] {
  return sizes.map((size) => {
    const rng = new Rng(size);
    const A = new Float32Array(size * size);
    const B = new Float32Array(size * size);
    const C = new Float32Array(size * size);
    rng.fillNormal(A);
    rng.fillNormal(B);
    const flops = 2 * size ** 3;
    gemmNT(size, size, size, A, B, C); // warm-up (packing buffers, threads)
    const t0 = performance.now();
    gemmNT(size, size, size, A, B, C);
    const once = Math.max(performance.now() - t0, 1e-3);
    const calls = Math.max(1, Math.ceil(150 / once));
    const rates: number[] = [];
    for (let b = 0; b < blocks; b++) {
      const start = performance.now();
      for (let i = 0; i < calls; i++) gemmNT(size, size, size, A, B, C);
      rates.push((flops * calls) / ((performance.now() - start) * 1e6));
    }
    return { size, backend: gemmBackend(), gflops: median(rates), best: Math.max(...rates) };
  });
}

export function formatGemmRates(rates: readonly GemmRate[]): string {
  return rates
    .map(
      (r) =>
        `f32 NT ${`${r.size}^3`.padEnd(7)} ${r.gflops.toFixed(1).padStart(6)} GFLOP/s (best ${r.best.toFixed(1)}) [${r.backend}]`,
    )
    .join("\n");
}
