import type { DType } from "../../core/dtype.ts";
import { Mat } from "../../core/mat.ts";
import { Rng } from "../../core/rng.ts";
import type { TaskKind } from "../../core/transformer/heads.ts";

/** A synthetic token dataset: one-hot inputs [n, T*vocab] and one-hot labels. */
export interface TokenTask {
  kind: TaskKind;
  /** [n, T*vocab] one-hot tokens. */
  x: Mat;
  /** sequence: [n, 2]; token: [n, T*2] (per-position one-hot labels). */
  y: Mat;
  tokens: Int32Array;
  seqLen: number;
  vocab: number;
  classes: number;
}

export interface TaskOptions {
  n: number;
  seqLen: number;
  vocab: number;
  seed: number;
  dtype?: DType;
}

/**
 * Deterministic synthetic tasks from a seed (tokens uniform over the vocabulary):
 * - sequence ("majority"): label 1 when token 0 occurs more often than token 1 in the sequence,
 *   else 0; a tie is broken by re-drawing the last position until it is not a tie. Needs
 *   counting over the whole sequence (mean pooling can do it once tokens are embedded).
 * - token ("matches first"): position t's label is 1 when its token equals the token at
 *   position 0: every position must look at another one, so the blocks' attention is needed.
 */
export function makeTask(kind: TaskKind, o: TaskOptions): TokenTask {
  const { n, seqLen: T, vocab: V } = o;
  if (V < 2) throw new RangeError(`task: vocab must be >= 2, got ${V}`);
  const rng = new Rng(o.seed);
  const tokens = new Int32Array(n * T);
  const classes = 2;
  const x = Mat.zeros(n, T * V, o.dtype ?? "f64");
  const y = Mat.zeros(n, kind === "sequence" ? classes : T * classes, o.dtype ?? "f64");
  for (let s = 0; s < n; s++) {
    const seq = tokens.subarray(s * T, (s + 1) * T);
    for (let t = 0; t < T; t++) seq[t] = rng.int(V);
    if (kind === "sequence") {
      const count = (k: number) => seq.reduce((c, v) => c + (v === k ? 1 : 0), 0);
      // a tie (at least one of tokens 0, 1 must be able to change it) is re-drawn at the end
      while (count(0) === count(1)) seq[T - 1] = rng.int(V);
      y.data[s * classes + (count(0) > count(1) ? 1 : 0)] = 1;
    } else {
      for (let t = 0; t < T; t++) y.data[(s * T + t) * classes + (seq[t] === seq[0] ? 1 : 0)] = 1;
    }
    for (let t = 0; t < T; t++) x.data[s * T * V + t * V + seq[t]!] = 1;
  }
  return { kind, x, y, tokens, seqLen: T, vocab: V, classes };
}

/** Rows `indices` of m into `out` (same column count). */
export function gatherRows(m: Mat, indices: ArrayLike<number>, out: Mat): void {
  const c = m.cols;
  for (let r = 0; r < indices.length; r++) {
    const from = indices[r]! * c;
    out.data.set(m.data.subarray(from, from + c), r * c);
  }
}

/**
 * Fraction of correct argmax predictions: logits and one-hot labels [n, k] or per position
 * [n, T*k] (read as rows of k).
 */
export function accuracy(logits: Mat, labels: Mat, classes: number): number {
  const rows = logits.size / classes;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < classes; j++) {
      if (logits.data[r * classes + j]! > logits.data[r * classes + best]!) best = j;
    }
    if (labels.data[r * classes + best] === 1) correct++;
  }
  return correct / rows;
}
