import type { Rng } from "../../core/rng.ts";
import type { RawSamples } from "./assemble.ts";

/** sklearn's moons have mean (0.5, 0.25); gradscope's are shifted to be centred at the origin. */
export const MOONS_SHIFT = [-0.5, -0.25] as const;

/**
 * Two interleaving half circles: sklearn's `make_moons`, translated by (-0.5, -0.25) so the
 * set is centred at the origin (x in [-1.5, 1.5], y in [-0.75, 0.75] before noise).
 * The first floor(n/2) points (class 0) are (cos a, sin a) and the others (class 1) are
 * (1 - cos a, 0.5 - sin a), a evenly spaced on [0, pi] with both ends included, then shifted.
 * Gaussian noise of std `noise` is added to each coordinate (two `rng.normal()` per point).
 */
export function moons(
  count: number,
  noise: number,
  rng: Rng,
): Extract<RawSamples, { task: "classification" }> {
  const x = new Float64Array(count * 2);
  const labels = new Int32Array(count);
  const outer = Math.floor(count / 2);
  const [dx, dy] = MOONS_SHIFT;
  let row = 0;
  for (const [size, label] of [
    [outer, 0],
    [count - outer, 1],
  ] as const) {
    for (let i = 0; i < size; i++, row++) {
      const a = size === 1 ? 0 : (Math.PI * i) / (size - 1);
      const px = label === 0 ? Math.cos(a) : 1 - Math.cos(a);
      const py = label === 0 ? Math.sin(a) : 0.5 - Math.sin(a);
      x[2 * row] = px + dx + noise * rng.normal();
      x[2 * row + 1] = py + dy + noise * rng.normal();
      labels[row] = label;
    }
  }
  return { task: "classification", count, inputDim: 2, x, labels, classes: 2 };
}
