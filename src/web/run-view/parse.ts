/**
 * Reading a run directory's files in the browser (DOM-free, so Node tests it): metrics.jsonl
 * arrives in chunks of text (a fetch body or a dropped File, decoded as a stream), is cut into
 * lines, and each line is parsed with gradscope's encoding of NaN and Infinity as strings.
 */

/** JSON.parse reviver: "NaN", "Infinity", "-Infinity" back into numbers (docs/METRICS.md). */
export function reviveNonFinite(_key: string, value: unknown): unknown {
  if (value === "NaN") return Number.NaN;
  if (value === "Infinity") return Number.POSITIVE_INFINITY;
  if (value === "-Infinity") return Number.NEGATIVE_INFINITY;
  return value;
}

/**
 * Cuts streamed text into lines. A line may span chunks; `end()` returns the last line when
 * the text has no final newline (a run being written, or killed mid-line).
 */
export class LineSplitter {
  private rest = "";

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split("\n");
    this.rest = lines.pop() ?? "";
    return lines;
  }

  end(): string | null {
    const last = this.rest;
    this.rest = "";
    return last.trim() === "" ? null : last;
  }
}

/** A log-binned histogram of |x| as the PyTorch hook writes it (python/README.md). */
export interface LogHistogram {
  /** Bin edges (powers of two), one more than counts. */
  edges: number[];
  counts: number[];
  zeros: number;
  nonfinite: number;
  sampled: number;
  total: number;
}

/** One module (or hidden layer) of a recorded step, as read: metrics by name. */
export interface RawLayer {
  layer: number;
  path?: string;
  hist?: { grad?: LogHistogram | null; act?: LogHistogram | null } | null;
  [metric: string]: unknown;
}

/** One line of metrics.jsonl. */
export interface RawRecord {
  step: number;
  /** null: not recorded (an imported run whose loop passed no loss). */
  loss: number | null;
  gradNorm?: number;
  lr?: number;
  layers: RawLayer[];
  [field: string]: unknown;
}

export class RecordError extends Error {
  override readonly name = "RecordError";
}

/** Parse one metrics line; throws RecordError when it is not a record. */
export function parseRecordLine(line: string): RawRecord {
  let value: unknown;
  try {
    // the reviver costs a call per value: only lines that hold an encoded NaN/Inf need it
    value =
      line.includes('"NaN"') || line.includes('Infinity"')
        ? JSON.parse(line, reviveNonFinite)
        : JSON.parse(line);
  } catch (err) {
    throw new RecordError(err instanceof Error ? err.message : String(err));
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RecordError("not a JSON object");
  }
  const r = value as Record<string, unknown>;
  if (typeof r.step !== "number") throw new RecordError("no numeric 'step'");
  if (!Array.isArray(r.layers)) throw new RecordError("no 'layers' array");
  if (r.loss === undefined) r.loss = null;
  if (r.loss !== null && typeof r.loss !== "number")
    throw new RecordError("'loss' is not a number");
  return r as RawRecord;
}

/** A value that is a number, else NaN (null means "not measured" in imported runs). */
export function num(v: unknown): number {
  return typeof v === "number" ? v : Number.NaN;
}

export function isLogHistogram(v: unknown): v is LogHistogram {
  if (typeof v !== "object" || v === null) return false;
  const h = v as Partial<LogHistogram>;
  return Array.isArray(h.edges) && Array.isArray(h.counts) && typeof h.sampled === "number";
}
