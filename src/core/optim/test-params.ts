import type { DType } from "../dtype.ts";
import type { Param } from "../layers/layer.ts";
import { Mat } from "../mat.ts";
import { Rng } from "../rng.ts";

/** Test helper: a one-row parameter with the given values and gradient. */
export function rowParam(
  name: string,
  value: readonly number[],
  grad: readonly number[],
  dtype: DType = "f64",
): Param {
  return { name, value: Mat.from([value], dtype), grad: Mat.from([grad], dtype) };
}

/** Test helper: a few random parameters (a 3x4 weight and a 1x3 bias per layer). */
export function randomParams(seed: number, layers = 2, dtype: DType = "f64"): Param[] {
  const rng = new Rng(seed);
  const out: Param[] = [];
  for (let l = 1; l <= layers; l++) {
    for (const [name, rows, cols] of [
      ["W", 3, 4],
      ["b", 1, 3],
    ] as const) {
      const value = Mat.zeros(rows, cols, dtype);
      const grad = Mat.zeros(rows, cols, dtype);
      rng.fillNormal(value.data);
      rng.fillNormal(grad.data);
      out.push({ name: `layer${l}.${name}`, value, grad });
    }
  }
  return out;
}

/** Test helper: population standard deviation in float64. */
export function std(values: ArrayLike<number>): number {
  const n = values.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - mean) ** 2;
  return Math.sqrt(ss / n);
}
