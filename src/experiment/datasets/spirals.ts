import type { Rng } from "../../core/rng.ts";
import type { RawSamples } from "./assemble.ts";

/**
 * K interleaved spiral arms in the plane (after the CS231n spiral, with evenly spaced arms).
 * Class k gets floor(n/K) points, plus one for the first n mod K classes. Point i of an arm
 * of m points has radius t = (i + 0.5) / m in (0, 1) and angle
 *   theta = 2 pi k / K + 4 t + noise * N(0, 1),
 * and lies at (t cos theta, t sin theta): each arm turns through 4 radians, so the K arms
 * wind around each other. `noise` is the std of the angle in radians (CS231n uses 0.2); with
 * noise 0 every point lies exactly on its arm. Draws one `rng.normal()` per point, in order.
 */
export function spirals(
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
    for (let i = 0; i < m; i++, row++) {
      const t = (i + 0.5) / m;
      const theta = (2 * Math.PI * k) / classes + 4 * t + noise * rng.normal();
      x[2 * row] = t * Math.cos(theta);
      x[2 * row + 1] = t * Math.sin(theta);
      labels[row] = k;
    }
  }
  return { task: "classification", count, inputDim: 2, x, labels, classes };
}
