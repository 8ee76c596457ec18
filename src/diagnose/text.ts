/** Number and list formatting for titles, causes and remedies (data stays numeric in evidence). */

/** 1.4e-16, 2.5e+3; plain for 0.01 <= |x| < 1000 (3 significant digits). */
export function sci(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a >= 0.01 && a < 1000 ? num(x) : x.toExponential(1);
}

/** 3 significant digits without trailing zeros: 0.0203, 1.36, 103. */
export function num(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  return String(Number(x.toPrecision(digits)));
}

/** 0.834 -> "83%". */
export function pct(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

/** [1, 2, 3, 4, 7] -> "1-4, 7". */
export function layerRange(values: readonly number[]): string {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  return parts.join(", ");
}

/** "layer 3" or "layers 1-4, 7". */
export function layersPhrase(values: readonly number[]): string {
  return `${values.length === 1 ? "layer" : "layers"} ${layerRange(values)}`;
}
