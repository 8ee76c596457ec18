import type { Rng } from "../../core/rng.ts";
import type { RawSamples } from "./assemble.ts";

/** Radius of the circle the blob centres sit on. */
export const BLOBS_RADIUS = 0.75;

/**
 * K Gaussian blobs: the centre of class k is 0.75 (cos 2 pi k / K, sin 2 pi k / K), evenly
 * spaced on a circle so the classes are equally separated for any K, and each point is its
 * centre plus isotropic Gaussian noise of std `noise` (two `rng.normal()` per point). Class k
 * gets floor(n/K) points, plus one for the first n mod K classes.
 */
export function blobs(
  count: number,
  classes: number,
  noise: number,
  rng: Rng,
): Extract<RawSamples, { task: "classification" }> {
  const x = new Float64Array(count * 2);
  const labels = new Int32Array(count);
  let row = 0;
  for (let k = 0; k < classes; k++) {
    const m = Math.floor(count / classes) + (k < count % classes ? 1 : 0);
    const angle = (2 * Math.PI * k) / classes;
    const cx = BLOBS_RADIUS * Math.cos(angle);
    const cy = BLOBS_RADIUS * Math.sin(angle);
    for (let i = 0; i < m; i++, row++) {
      x[2 * row] = cx + noise * rng.normal();
      x[2 * row + 1] = cy + noise * rng.normal();
      labels[row] = k;
    }
  }
  return { task: "classification", count, inputDim: 2, x, labels, classes };
}
