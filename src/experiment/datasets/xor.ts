import type { Rng } from "../../core/rng.ts";
import type { RawSamples } from "./assemble.ts";

/**
 * The XOR problem on the square [-1, 1]^2: point i is drawn uniformly in quadrant i mod 4
 * (so the four quadrants, and the two classes, are balanced to within one point) and
 * labelled 1 when x * y > 0 (first and third quadrants), else 0. Then Gaussian noise of std
 * `noise` is added to each coordinate, after labelling, so noisy points near the axes may
 * carry the other quadrant's label. Draws two `rng.uniform()` then two `rng.normal()` per point.
 */
export function xor(
  count: number,
  noise: number,
  rng: Rng,
): Extract<RawSamples, { task: "classification" }> {
  const x = new Float64Array(count * 2);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const q = i % 4;
    const sx = q & 1 ? -1 : 1;
    const sy = q & 2 ? -1 : 1;
    // 1 - uniform() lies in (0, 1], so no point sits on an axis.
    const px = sx * (1 - rng.uniform());
    const py = sy * (1 - rng.uniform());
    x[2 * i] = px + noise * rng.normal();
    x[2 * i + 1] = py + noise * rng.normal();
    labels[i] = sx * sy > 0 ? 1 : 0;
  }
  return { task: "classification", count, inputDim: 2, x, labels, classes: 2 };
}
