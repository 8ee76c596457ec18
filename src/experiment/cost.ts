import { gemmNT } from "../core/kernels/gemm.ts";

/**
 * What a computation will cost before it starts: its floating-point operations, and the time
 * they take at this machine's measured matrix-product rate. `jacobian --depth 10000 --width
 * 4096` is 1.4e15 operations, hours on two cores; a user should hear that before, not after.
 */
export interface CostEstimate {
  /** Floating-point operations (a multiply-add counts 2). */
  flops: number;
  /** Expected seconds at `rate`. */
  seconds: number;
  /** The measured rate, operations per second. */
  rate: number;
}

/**
 * The Jacobian in matrix-product-equivalent operations: per layer the n^3 product (2 n^3),
 * the layer's O(n^2) TypeScript work (drawing W, z = W a, the scaling by phi': ~6000 n^2,
 * measured) and for orthogonal weights their QR (~10 n^3 + 15000 n^2); then the SVD in
 * TypeScript (~150 n^3 + 1e5 n^2). Constants from timing widths 256 and 512 against the
 * measured product rate (scripts in docs/RELIABILITY.md); they are meant to get the order of
 * magnitude right, not the second.
 */
export function jacobianFlops(depth: number, width: number, orthogonal = false): number {
  const n2 = width ** 2;
  const n3 = width ** 3;
  const layer = 2 * n3 + 6000 * n2 + (orthogonal ? 10 * n3 + 15_000 * n2 : 0);
  return depth * layer + 150 * n3 + 1e5 * n2;
}

/**
 * One probe pass: forward (2 b n^2 per layer), dL/dW and dL/dx (4 b n^2) for each hidden
 * layer, plus the input layer's 6 b n d_in, and per layer the element-wise work (activation,
 * its derivative, the metrics: ~200 product-equivalent operations per unit and example).
 */
export function probeFlops(depth: number, width: number, batch: number, inputDim: number): number {
  const elementwise = 200 * batch * width * depth;
  return 6 * batch * (width * inputDim + Math.max(0, depth - 1) * width * width) + elementwise;
}

/** A depth sweep probes every depth from minDepth to maxDepth, `repeats` times each. */
export function depthSweepFlops(
  minDepth: number,
  maxDepth: number,
  width: number,
  batch: number,
  inputDim: number,
  repeats = 1,
): number {
  let total = 0;
  for (let d = minDepth; d <= maxDepth; d++) total += probeFlops(d, width, batch, inputDim);
  return repeats * total;
}

let cachedRate: number | null = null;

/**
 * This machine's float64 matrix-product rate, measured once per process (about 30 ms) on the
 * kernels in use: 192 x 192 products, small enough to be quick, large enough that the
 * kernels run near their speed (big products run somewhat faster, so estimates err long).
 */
export function measuredGemmRate(): number {
  if (cachedRate !== null) return cachedRate;
  const n = 192;
  const a = new Float64Array(n * n).fill(0.5);
  const b = new Float64Array(n * n).fill(0.25);
  const c = new Float64Array(n * n);
  gemmNT(n, n, n, a, b, c); // warm-up: loads the kernels
  let products = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < 30 || products < 3) {
    gemmNT(n, n, n, a, b, c);
    products++;
    elapsed = performance.now() - start;
  }
  cachedRate = (products * 2 * n ** 3) / (elapsed / 1000);
  return cachedRate;
}

export function estimateCost(flops: number, rate: number = measuredGemmRate()): CostEstimate {
  return { flops, rate, seconds: flops / rate };
}

/** "40 s", "12 min", "4.1 h", "3.2 days". */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

/** "1.4e15 floating-point operations at the measured 96 GFLOP/s". */
export function describeCost(cost: CostEstimate): string {
  return `${cost.flops.toExponential(1).replace("e+", "e")} floating-point operations at the measured ${(cost.rate / 1e9).toFixed(cost.rate < 1e10 ? 1 : 0)} GFLOP/s`;
}

/** Above this a command refuses unless forced: ten minutes is no longer an interactive run. */
export const REFUSE_SECONDS = 600;
/** Above this a command says how long it will take and shows progress. */
export const ANNOUNCE_SECONDS = 5;
