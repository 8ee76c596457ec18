/**
 * ns per element of float32 tanh: the fast-math kernel the layers use for float32 (inlined
 * exp, at most 1 ulp) against the Math.tanh loop it replaced, on standard normal inputs
 * (pre-activations of a well-initialized layer look like that). Best of several runs each,
 * alternated so machine noise hits both alike.
 */
import { tanhForward32 } from "../src/core/fast-math.ts";
import { Rng } from "../src/core/rng.ts";

function mathTanhLoop(u: Float32Array, a: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) a[i] = Math.tanh(u[i]!);
}

export function tanhNsPerElement(n: number, repeats = 15): { fast: number; mathTanh: number } {
  const u = new Float32Array(n);
  new Rng(3).fillNormal(u);
  const a = new Float32Array(n);
  let fast = Number.POSITIVE_INFINITY;
  let slow = Number.POSITIVE_INFINITY;
  for (let r = 0; r < repeats; r++) {
    let t = performance.now();
    tanhForward32(u, a, n);
    fast = Math.min(fast, performance.now() - t);
    t = performance.now();
    mathTanhLoop(u, a, n);
    slow = Math.min(slow, performance.now() - t);
  }
  return { fast: (fast * 1e6) / n, mathTanh: (slow * 1e6) / n };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = tanhNsPerElement(20 * 128 * 256);
  console.log(
    `tanh float32: ${r.fast.toFixed(2)} ns/element fast-math, ${r.mathTanh.toFixed(2)} Math.tanh`,
  );
}
