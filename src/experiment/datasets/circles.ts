import type { Rng } from "../../core/rng.ts";
import type { RawSamples } from "./assemble.ts";

/** Radius of the inner ring relative to the outer one (sklearn's `factor`). */
export const CIRCLES_FACTOR = 0.5;

/**
 * Two concentric rings with the semantics of sklearn's `make_circles(factor=0.5)`: the first
 * floor(n/2) points lie on the unit circle (class 0), the others on the circle of radius 0.5
 * (class 1), each ring at evenly spaced angles 2 pi i / m (i = 0..m-1). Then Gaussian noise of
 * std `noise` is added to each coordinate (two `rng.normal()` per point, in order).
 */
export function circles(
  count: number,
  noise: number,
  rng: Rng,
): Extract<RawSamples, { task: "classification" }> {
  const x = new Float64Array(count * 2);
  const labels = new Int32Array(count);
  const outer = Math.floor(count / 2);
  const rings = [
    { size: outer, radius: 1, label: 0 },
    { size: count - outer, radius: CIRCLES_FACTOR, label: 1 },
  ];
  let row = 0;
  for (const ring of rings) {
    for (let i = 0; i < ring.size; i++, row++) {
      const angle = (2 * Math.PI * i) / ring.size;
      x[2 * row] = ring.radius * Math.cos(angle) + noise * rng.normal();
      x[2 * row + 1] = ring.radius * Math.sin(angle) + noise * rng.normal();
      labels[row] = ring.label;
    }
  }
  return { task: "classification", count, inputDim: 2, x, labels, classes: 2 };
}
