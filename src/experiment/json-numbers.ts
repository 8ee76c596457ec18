/**
 * JSON has no NaN or Infinity. gradscope writes them as the strings "NaN", "Infinity" and
 * "-Infinity" everywhere (metrics, summaries, dumps) and reads them back the same way.
 */
export type JsonNumber = number | "NaN" | "Infinity" | "-Infinity";

export function encodeNumber(v: number): JsonNumber {
  if (Number.isFinite(v)) return v;
  if (Number.isNaN(v)) return "NaN";
  return v > 0 ? "Infinity" : "-Infinity";
}

export function decodeNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (v === "NaN") return Number.NaN;
  if (v === "Infinity") return Number.POSITIVE_INFINITY;
  if (v === "-Infinity") return Number.NEGATIVE_INFINITY;
  throw new TypeError(`not a number: ${JSON.stringify(v)}`);
}

/** JSON.stringify replacer that applies encodeNumber to every number. */
export function nonFiniteReplacer(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? encodeNumber(value) : value;
}

/** JSON text of `value` with non-finite numbers encoded as strings. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, nonFiniteReplacer, indent);
}
