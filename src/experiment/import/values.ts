import type { RawHistogram, RawTensor, RawValue } from "./events.ts";

/**
 * What a Summary.Value holds, as gradscope reads it: a scalar, a histogram, or something it
 * does not use (images, text, ...). Three encodings are understood:
 * - TF1 scalars (`simple_value`) and histograms (`histo`: HistogramProto with exact count,
 *   sum and sum of squares), as torch.utils.tensorboard and tf.compat.v1 write them;
 * - TF2 tensor summaries: plugin "scalars" with a scalar tensor, plugin "histograms" with a
 *   [k, 3] tensor of (left edge, right edge, count) rows. TF2 writers put the plugin name in
 *   the metadata of a tag's first value only, so the caller keeps a tag -> plugin map.
 */

/** A histogram of a tensor's entries. */
export interface Histogram {
  min: number;
  max: number;
  /** Number of entries. */
  num: number;
  sum: number;
  sumSquares: number;
  /** Right edge of each bucket (the first bucket starts at `min`). */
  limits: number[];
  counts: number[];
  /**
   * true: sum and sumSquares are over the entries themselves (TF1 HistogramProto). false: they
   * are estimated from the buckets (TF2), each bucket's entries spread evenly over it.
   */
  exact: boolean;
}

export type SummaryValue =
  | { tag: string; kind: "scalar"; value: number }
  | { tag: string; kind: "histogram"; histogram: Histogram }
  | { tag: string; kind: "other"; why: string };

const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_INT32 = 3;
const DT_INT64 = 9;

/** The numbers of a tensor, from tensor_content (little-endian) or the typed value fields. */
export function tensorValues(t: RawTensor): number[] | null {
  const dtype = t.dtype ?? 0;
  const content = t.tensorContent;
  if (content && content.length > 0) {
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    const size = dtype === DT_DOUBLE || dtype === DT_INT64 ? 8 : 4;
    if (content.length % size !== 0) return null;
    const out: number[] = [];
    for (let at = 0; at < content.length; at += size) {
      if (dtype === DT_FLOAT) out.push(view.getFloat32(at, true));
      else if (dtype === DT_DOUBLE) out.push(view.getFloat64(at, true));
      else if (dtype === DT_INT32) out.push(view.getInt32(at, true));
      else if (dtype === DT_INT64) out.push(Number(view.getBigInt64(at, true)));
      else return null;
    }
    return out;
  }
  if (dtype === DT_FLOAT) return t.floatVal ?? [];
  if (dtype === DT_DOUBLE) return t.doubleVal ?? [];
  if (dtype === DT_INT32) return t.intVal ?? [];
  if (dtype === DT_INT64) return (t.int64Val ?? []).map(Number);
  return null;
}

function shapeOf(t: RawTensor): number[] {
  return (t.tensorShape?.dim ?? []).map((d) => Number(d.size ?? 0));
}

/** A TF1 HistogramProto (bucket_limit[i] is bucket i's right edge). */
export function fromHistogramProto(h: RawHistogram): Histogram {
  return {
    min: h.min ?? 0,
    max: h.max ?? 0,
    num: h.num ?? 0,
    sum: h.sum ?? 0,
    sumSquares: h.sumSquares ?? 0,
    limits: h.bucketLimit ?? [],
    counts: h.bucket ?? [],
    exact: true,
  };
}

/**
 * A TF2 histogram from its k rows of (left, right, count). The sum and the sum of squares are
 * estimated with each bucket's entries spread evenly over [left, right]: E[x] = (l + r) / 2 and
 * E[x^2] = (l^2 + l r + r^2) / 3. A bucket of width 0 (constant data) is exact.
 */
export function fromBucketRows(values: readonly number[]): Histogram {
  const k = values.length / 3;
  const limits: number[] = [];
  const counts: number[] = [];
  let num = 0;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < k; i++) {
    const l = values[3 * i]!;
    const r = values[3 * i + 1]!;
    const c = values[3 * i + 2]!;
    limits.push(r);
    counts.push(c);
    num += c;
    sum += (c * (l + r)) / 2;
    sumSquares += (c * (l * l + l * r + r * r)) / 3;
  }
  return {
    min: k > 0 ? values[0]! : 0,
    max: k > 0 ? values[3 * (k - 1) + 1]! : 0,
    num,
    sum,
    sumSquares,
    limits,
    counts,
    exact: false,
  };
}

/**
 * Interpret one Summary.Value. `plugins` maps tags to the plugin named in their first value's
 * metadata; it is updated here when this value carries metadata.
 */
export function interpretValue(raw: RawValue, plugins: Map<string, string>): SummaryValue {
  const tag = raw.tag ?? "";
  const named = raw.metadata?.pluginData?.pluginName;
  if (named) plugins.set(tag, named);
  if (raw.simpleValue !== undefined) return { tag, kind: "scalar", value: raw.simpleValue };
  if (raw.histo !== undefined) {
    return { tag, kind: "histogram", histogram: fromHistogramProto(raw.histo) };
  }
  if (raw.tensor === undefined)
    return { tag, kind: "other", why: "no scalar, histogram or tensor" };
  const plugin = plugins.get(tag) ?? "";
  const shape = shapeOf(raw.tensor);
  const values = tensorValues(raw.tensor);
  if (values === null) {
    return { tag, kind: "other", why: `tensor of unsupported dtype ${raw.tensor.dtype ?? 0}` };
  }
  if (plugin === "scalars" || (plugin === "" && shape.length === 0)) {
    if (shape.length !== 0 || values.length !== 1) {
      return { tag, kind: "other", why: `a scalar summary of shape [${shape.join(", ")}]` };
    }
    return { tag, kind: "scalar", value: values[0]! };
  }
  if (plugin === "histograms") {
    if (shape.length !== 2 || shape[1] !== 3 || values.length !== shape[0]! * 3) {
      return {
        tag,
        kind: "other",
        why: `a histogram tensor of shape [${shape.join(", ")}] (expected [k, 3])`,
      };
    }
    return { tag, kind: "histogram", histogram: fromBucketRows(values) };
  }
  return { tag, kind: "other", why: `plugin "${plugin}"` };
}
