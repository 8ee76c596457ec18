import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import type { OptimizerState } from "../../core/optim/index.ts";
import { ConfigError } from "../config.ts";
import type { ResolvedTrainConfig } from "./train-config.ts";
import type { Trainer, TrainerState } from "./trainer.ts";

/** The checkpoint of a run directory, next to config.json, metrics.jsonl and summary.json. */
export const CHECKPOINT_FILE = "checkpoint.json";

const FORMAT = "gradscope-checkpoint";
const VERSION = 1;

/**
 * A typed array as JSON: its dtype and its raw bytes in base64 (little-endian, as every
 * platform Node runs on), so every bit (signed zeros, NaN payloads) survives the round trip.
 */
interface EncodedArray {
  dtype: "float32" | "float64";
  length: number;
  base64: string;
}

function encodeArray(a: Float32Array | Float64Array): EncodedArray {
  return {
    dtype: a instanceof Float32Array ? "float32" : "float64",
    length: a.length,
    base64: Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64"),
  };
}

function decodeArray(e: unknown, what: string): Float32Array | Float64Array {
  const v = e as Partial<EncodedArray> | null;
  if (
    v === null ||
    typeof v !== "object" ||
    (v.dtype !== "float32" && v.dtype !== "float64") ||
    typeof v.base64 !== "string" ||
    !Number.isInteger(v.length)
  ) {
    throw new Error(`${what} is not an encoded array`);
  }
  const bytes = Buffer.from(v.base64, "base64");
  const width = v.dtype === "float32" ? 4 : 8;
  if (bytes.length !== v.length! * width) {
    throw new Error(`${what} holds ${bytes.length} bytes, not ${v.length} ${v.dtype}`);
  }
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return v.dtype === "float32" ? new Float32Array(copy) : new Float64Array(copy);
}

/** JSON numbers that JSON cannot hold (NaN, +-Infinity, -0) become marked strings. */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value !== "number") return value;
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "Infinity";
  if (value === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (Object.is(value, -0)) return "-0";
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  switch (value) {
    case "NaN":
      return Number.NaN;
    case "Infinity":
      return Number.POSITIVE_INFINITY;
    case "-Infinity":
      return Number.NEGATIVE_INFINITY;
    case "-0":
      return -0;
    default:
      return value;
  }
}

/** A checkpoint read back: the run's resolved config and the trainer's state. */
export interface Checkpoint {
  config: ResolvedTrainConfig;
  state: TrainerState;
}

/** The JSON text of a checkpoint (one line). */
export function encodeCheckpoint(config: ResolvedTrainConfig, state: TrainerState): string {
  const tensors: Record<string, EncodedArray> = {};
  for (const [name, data] of Object.entries(state.tensors)) tensors[name] = encodeArray(data);
  const buffers: Record<string, Record<string, EncodedArray>> = {};
  for (const [param, slots] of Object.entries(state.optimizer.buffers)) {
    buffers[param] = {};
    for (const [slot, data] of Object.entries(slots)) {
      buffers[param]![slot] = encodeArray(Float64Array.from(data));
    }
  }
  const body = {
    format: FORMAT,
    version: VERSION,
    step: state.stepsDone,
    config,
    state: {
      ...state,
      tensors,
      optimizer: { name: state.optimizer.name, step: state.optimizer.step, buffers },
      ...(state.weightSums
        ? {
            weightSums: {
              forStep: state.weightSums.forStep,
              sums: encodeArray(state.weightSums.sums),
            },
          }
        : {}),
    },
  };
  return `${JSON.stringify(body, replacer)}\n`;
}

/**
 * Parse a checkpoint's text. Throws a ConfigError naming `source` when the text is not a
 * complete checkpoint of this format.
 */
export function decodeCheckpoint(text: string, source: string): Checkpoint {
  try {
    const body = JSON.parse(text, reviver) as {
      format?: unknown;
      version?: unknown;
      config?: ResolvedTrainConfig;
      state?: TrainerState & {
        tensors: Record<string, unknown>;
        optimizer: { name: string; step: number; buffers: Record<string, Record<string, unknown>> };
      };
    };
    if (body === null || typeof body !== "object" || body.format !== FORMAT) {
      throw new Error("not a gradscope checkpoint");
    }
    if (body.version !== VERSION) throw new Error(`unsupported version ${String(body.version)}`);
    const s = body.state;
    if (!body.config || !s || typeof s !== "object" || !s.tensors || !s.optimizer || !s.sampler) {
      throw new Error("incomplete");
    }
    if (!Number.isInteger(s.stepsDone) || s.stepsDone < 0) throw new Error("bad step count");
    const tensors: Record<string, Float32Array | Float64Array> = {};
    for (const [name, e] of Object.entries(s.tensors)) {
      tensors[name] = decodeArray(e, `tensor ${name}`);
    }
    const buffers: Record<string, Record<string, Float64Array>> = {};
    for (const [param, slots] of Object.entries(s.optimizer.buffers ?? {})) {
      buffers[param] = {};
      for (const [slot, e] of Object.entries(slots)) {
        const a = decodeArray(e, `optimizer buffer ${param}.${slot}`);
        buffers[param]![slot] = a instanceof Float64Array ? a : Float64Array.from(a);
      }
    }
    const optimizer = { ...s.optimizer, buffers } as OptimizerState;
    const { weightSums: sums, ...rest } = s as typeof s & {
      weightSums?: { forStep?: unknown; sums?: unknown };
    };
    const state: TrainerState = { ...rest, tensors, optimizer };
    if (sums !== undefined) {
      if (!Number.isInteger(sums.forStep)) throw new Error("bad weight sums");
      const a = decodeArray(sums.sums, "weight sums");
      state.weightSums = {
        forStep: sums.forStep as number,
        sums: a instanceof Float64Array ? a : Float64Array.from(a),
      };
    }
    return { config: body.config, state };
  } catch (err) {
    throw new ConfigError(`checkpoint ${source} is damaged: ${(err as Error).message}`);
  }
}

/**
 * Write `text` to `path` so that a process killed at any moment leaves either the old file
 * or the new one, never a mix: a temporary file in the same directory, flushed to disk, then
 * renamed over `path`.
 */
export function writeFileDurable(path: string, text: string): void {
  const tmp = temporaryName(path);
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * A temporary name beside `path` that no other process picks: two writers with one fixed
 * name unlink each other's files halfway (seen with two resumes of one run).
 */
export function temporaryName(path: string): string {
  return `${path}.tmp-${process.pid}-${(tmpCounter++).toString(36)}`;
}
let tmpCounter = 0;

/** Write the checkpoint of `trainer` into run directory `dir` (atomically). */
export function writeCheckpoint(dir: string, trainer: Trainer): void {
  writeFileDurable(
    join(dir, CHECKPOINT_FILE),
    encodeCheckpoint(trainer.config, trainer.exportState()),
  );
}

/** The checkpoint of run directory `dir`, or null when it has none. */
export function readCheckpoint(dir: string): Checkpoint | null {
  const path = join(dir, CHECKPOINT_FILE);
  if (!existsSync(path)) return null;
  return decodeCheckpoint(readFileSync(path, "utf8"), path);
}

/**
 * The `checkpoint` option of train() writing `dir`/checkpoint.json every `every` steps, at
 * every evaluation and when the run is interrupted.
 */
export function checkpointOption(
  dir: string,
  every: number,
): { every: number; write: (trainer: Trainer) => void } {
  if (!(Number.isInteger(every) && every >= 1)) {
    throw new ConfigError(`checkpoint-every must be an integer >= 1, got ${every}`);
  }
  return { every, write: (trainer) => writeCheckpoint(dir, trainer) };
}
