/** Element type of every tensor in a network. Statistics are always computed in float64. */
export type DType = "f32" | "f64";

/** The typed arrays a tensor may live in. */
export type FloatArray = Float32Array | Float64Array;

export const DTYPES: readonly DType[] = ["f32", "f64"];

/** A zero-filled array of `length` elements of the given dtype. */
export function allocate(dtype: DType, length: number): FloatArray {
  return dtype === "f32" ? new Float32Array(length) : new Float64Array(length);
}

export function dtypeOf(array: FloatArray): DType {
  return array instanceof Float32Array ? "f32" : "f64";
}

/** Smallest positive normal number: magnitudes below it (but not zero) are subnormal. */
export function minNormal(dtype: DType): number {
  return dtype === "f32" ? 1.1754943508222875e-38 : 2.2250738585072014e-308;
}
