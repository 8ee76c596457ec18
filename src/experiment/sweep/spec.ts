/**
 * A sweep: a grid (and/or random search) over config keys, every point trained or probed at
 * one or more seeds. The spec is plain JSON (a file, `--vary` flags, or a preset); `planSweep`
 * expands it into points, each with its resolved config and the hash that keys it everywhere
 * (results.jsonl, the queue's job id, shards).
 */
import { createHash } from "node:crypto";
import { Rng } from "../../core/rng.ts";
import {
  ConfigError,
  type ProbeConfig,
  resolveProbeConfig,
  resolveTrainConfig,
  type TrainConfig,
} from "../config.ts";

export type SweepMode = "train" | "probe";
export type SweepValue = string | number | boolean;

/** A random-search dimension: a list to draw from, or a numeric interval. */
export type RandomDimension =
  | readonly SweepValue[]
  | { min: number; max: number; log?: boolean; int?: boolean };

export interface SweepSpec {
  /** A label for listings (not part of any hash). */
  name?: string;
  /** "train" (default): train every point; "probe": one forward/backward pass at init. */
  mode: SweepMode;
  /** Config keys shared by every point (camelCase, as in `--config` files). */
  base: Record<string, unknown>;
  /** Swept keys and their values (the cartesian product; the first key varies slowest). */
  grid: Record<string, SweepValue[]>;
  /** Random search: `samples` points drawn (seeded) from `space`, crossed with the grid. */
  random?: { samples: number; seed: number; space: Record<string, RandomDimension> };
  /** The seeds every point runs at (each seed is its own record). */
  seeds: number[];
}

export interface SweepPoint {
  /** Position in the sweep (grid order, seeds innermost). */
  index: number;
  /** sha256 of the resolved config's JSON, 16 hex digits: the point's identity. */
  hash: string;
  seed: number;
  /** The swept keys' values at this point (the heatmap's coordinates). */
  changes: Record<string, SweepValue>;
  config: TrainConfig | ProbeConfig;
}

export interface SweepPlan {
  spec: SweepSpec;
  /** Keys that vary (grid and random), in spec order. */
  axes: string[];
  points: SweepPoint[];
}

/** Most points one sweep may have. */
export const MAX_SWEEP_POINTS = 100_000;

/** A number as typed, free of binary noise: 0.1 * 3 is 0.3, not 0.30000000000000004. */
function clean(x: number): number {
  return Number(x.toPrecision(12));
}

/**
 * Values of one axis from text: `a:b:step` (inclusive range), `a:b` (step 1) or `v1,v2,...`.
 * Range ends and steps are numbers; list items stay strings for the resolver to validate.
 */
export function parseAxisValues(key: string, text: string): SweepValue[] {
  const t = text.trim();
  if (/^[^,]*:[^,]*$/.test(t)) {
    const parts = t.split(":").map((s) => s.trim());
    if (parts.length < 2 || parts.length > 3) {
      throw new ConfigError(`${key}: a range is FROM:TO or FROM:TO:STEP (got '${text}')`);
    }
    const [from, to, step] = parts.map(Number) as [number, number, number | undefined];
    const by = parts.length === 3 ? step! : 1;
    if (![from, to, by].every(Number.isFinite) || parts.some((p) => p === "")) {
      throw new ConfigError(`${key}: range ${text} needs numbers FROM:TO[:STEP]`);
    }
    if (!(by > 0)) throw new ConfigError(`${key}: range step must be > 0 (got '${text}')`);
    if (to < from) throw new ConfigError(`${key}: range ${text} ends before it starts`);
    const count = Math.floor((to - from) / by + 1e-9) + 1;
    if (count > MAX_SWEEP_POINTS) {
      throw new ConfigError(
        `${key}: range ${text} has ${count} values; at most ${MAX_SWEEP_POINTS}`,
      );
    }
    return Array.from({ length: count }, (_, i) => clean(from + i * by));
  }
  const values = t
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
  if (values.length === 0) throw new ConfigError(`${key}: no values in '${text}'`);
  return values;
}

/** `--vary KEY=VALUES` flags as grid axes (a key given twice is refused). */
export function gridFromVary(specs: readonly string[]): Record<string, SweepValue[]> {
  const grid: Record<string, SweepValue[]> = {};
  for (const spec of specs) {
    const eq = spec.indexOf("=");
    if (eq <= 0 || eq === spec.length - 1) {
      throw new ConfigError(`--vary needs KEY=V1,V2,... or KEY=FROM:TO:STEP (got '${spec}')`);
    }
    const key = spec.slice(0, eq).trim();
    if (key in grid) {
      throw new ConfigError(`--vary ${key} is given twice: give all its values in one --vary`);
    }
    grid[key] = parseAxisValues(key, spec.slice(eq + 1));
  }
  return grid;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function axisFromJson(key: string, v: unknown): SweepValue[] {
  if (typeof v === "string") return parseAxisValues(key, v);
  if (Array.isArray(v) && v.length > 0) {
    return v.map((x) => {
      if (typeof x === "string" || typeof x === "number" || typeof x === "boolean") return x;
      throw new ConfigError(`grid.${key}: values must be strings, numbers or booleans`);
    });
  }
  throw new ConfigError(`grid.${key} must be a non-empty list or a range "FROM:TO:STEP"`);
}

/** Seeds from a count (`seed`, `seed + 1`, ...) or an explicit list. */
export function seedList(seeds: unknown, first: number): number[] {
  if (seeds === undefined || seeds === null) return [first];
  if (typeof seeds === "number" || (typeof seeds === "string" && /^\d+$/.test(seeds))) {
    const n = Number(seeds);
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      throw new ConfigError(`seeds must be a whole number from 1 to 1000 (got ${String(seeds)})`);
    }
    return Array.from({ length: n }, (_, i) => first + i);
  }
  const list = Array.isArray(seeds) ? seeds : String(seeds).split(",");
  const out = list.map((s) => Number(s));
  if (out.length === 0 || out.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new ConfigError(
      `seeds must be a count or a list of whole numbers (got ${String(seeds)})`,
    );
  }
  if (new Set(out).size !== out.length) throw new ConfigError("seeds lists a seed twice");
  return out;
}

/**
 * A spec from a JSON object (a spec file): `{mode?, name?, base?, grid?, random?, seeds?}`.
 * Unknown top-level keys are refused, so a typo does not silently sweep nothing.
 */
export function specFromJson(json: unknown, where = "sweep spec"): SweepSpec {
  if (!isObject(json)) throw new ConfigError(`${where} must be a JSON object`);
  const known = ["name", "mode", "base", "grid", "random", "seeds"];
  for (const k of Object.keys(json)) {
    if (!known.includes(k)) {
      throw new ConfigError(`${where}: unknown key '${k}' (known: ${known.join(", ")})`);
    }
  }
  const mode = json["mode"] ?? "train";
  if (mode !== "train" && mode !== "probe") {
    throw new ConfigError(`${where}: mode must be "train" or "probe"`);
  }
  const base = json["base"] ?? {};
  if (!isObject(base)) throw new ConfigError(`${where}: base must be an object of config keys`);
  const gridIn = json["grid"] ?? {};
  if (!isObject(gridIn)) throw new ConfigError(`${where}: grid must be an object of key: values`);
  const grid: Record<string, SweepValue[]> = {};
  for (const [k, v] of Object.entries(gridIn)) grid[k] = axisFromJson(k, v);
  const spec: SweepSpec = {
    mode,
    base: { ...base },
    grid,
    seeds: seedList(json["seeds"], Number(base["seed"] ?? 0)),
  };
  if (typeof json["name"] === "string") spec.name = json["name"];
  const random = json["random"];
  if (random !== undefined) {
    if (!isObject(random) || !isObject(random["space"])) {
      throw new ConfigError(`${where}: random needs {samples, seed?, space: {key: ...}}`);
    }
    const samples = Number(random["samples"]);
    if (!Number.isInteger(samples) || samples < 1 || samples > MAX_SWEEP_POINTS) {
      throw new ConfigError(`${where}: random.samples must be a whole number >= 1`);
    }
    const space: Record<string, RandomDimension> = {};
    for (const [k, v] of Object.entries(random["space"])) {
      if (Array.isArray(v) && v.length > 0) space[k] = axisFromJson(k, v);
      else if (isObject(v) && Number.isFinite(v["min"]) && Number.isFinite(v["max"])) {
        const min = v["min"] as number;
        const max = v["max"] as number;
        if (!(max >= min) || (v["log"] === true && !(min > 0))) {
          throw new ConfigError(`${where}: random.space.${k} needs min <= max (min > 0 for log)`);
        }
        space[k] = { min, max, log: v["log"] === true, int: v["int"] === true };
      } else {
        throw new ConfigError(
          `${where}: random.space.${k} must be a list or {min, max, log?, int?}`,
        );
      }
    }
    spec.random = { samples, seed: Number(random["seed"] ?? 0), space };
  }
  return spec;
}

function draw(rng: Rng, dim: RandomDimension): SweepValue {
  if (Array.isArray(dim)) return dim[rng.int(dim.length)]!;
  const d = dim as { min: number; max: number; log?: boolean; int?: boolean };
  const u = rng.uniform();
  let x = d.log
    ? Math.exp(Math.log(d.min) + u * (Math.log(d.max) - Math.log(d.min)))
    : d.min + u * (d.max - d.min);
  if (d.int) x = Math.min(d.max, Math.max(d.min, Math.round(x)));
  return clean(x);
}

/** sha256 of a config's JSON (key order fixed by the option table), first 16 hex digits. */
export function pointHash(config: TrainConfig | ProbeConfig): string {
  const { out: _out, ...rest } = config as TrainConfig;
  return createHash("sha256").update(JSON.stringify(rest)).digest("hex").slice(0, 16);
}

/** The queue's job id of a point: its hash, prefixed so no id looks like an integer. */
export function jobIdOf(mode: SweepMode, hash: string): string {
  return `${mode}-${hash}`;
}

/**
 * Expand a spec into points: the grid's cartesian product (first key slowest) crossed with the
 * random samples, each at every seed. Every config is validated first, so a bad value fails
 * before anything runs; the error names the key and the point.
 */
export function planSweep(spec: SweepSpec): SweepPlan {
  const resolve = spec.mode === "probe" ? resolveProbeConfig : resolveTrainConfig;
  const gridKeys = Object.keys(spec.grid);
  const randomKeys = spec.random ? Object.keys(spec.random.space) : [];
  for (const k of randomKeys) {
    if (gridKeys.includes(k)) throw new ConfigError(`${k} is both a grid axis and a random key`);
  }
  const axes = [...gridKeys, ...randomKeys];
  if (axes.includes("seed") && spec.seeds.length > 1) {
    throw new ConfigError("seed is swept as an axis: give no --seeds (or seeds) as well");
  }
  if (axes.includes("out")) throw new ConfigError("out cannot be swept");
  let count = spec.seeds.length * (spec.random?.samples ?? 1);
  for (const k of gridKeys) count *= spec.grid[k]!.length;
  if (count > MAX_SWEEP_POINTS) {
    throw new ConfigError(`the sweep has ${count} points; at most ${MAX_SWEEP_POINTS}`);
  }
  // validate the base alone first: its errors are the user's, not a point's
  resolve(
    { ...spec.base, ...(spec.mode === "train" ? { out: null } : {}) } as Record<string, unknown>,
    "key",
  );
  let combos: Record<string, SweepValue>[] = [{}];
  for (const k of gridKeys) {
    combos = combos.flatMap((c) => spec.grid[k]!.map((v) => ({ ...c, [k]: v })));
  }
  if (spec.random) {
    const rng = new Rng(spec.random.seed);
    const samples: Record<string, SweepValue>[] = [];
    for (let s = 0; s < spec.random.samples; s++) {
      const sample: Record<string, SweepValue> = {};
      for (const k of randomKeys) sample[k] = draw(rng, spec.random.space[k]!);
      samples.push(sample);
    }
    combos = combos.flatMap((c) => samples.map((s) => ({ ...c, ...s })));
  }
  const points: SweepPoint[] = [];
  const seen = new Map<string, number>();
  for (const changes of combos) {
    for (const seed of axes.includes("seed") ? [undefined] : spec.seeds) {
      const input: Record<string, unknown> = { ...spec.base, ...changes };
      if (seed !== undefined) input["seed"] = seed;
      if (spec.mode === "train") input["out"] = null;
      let config: TrainConfig | ProbeConfig;
      try {
        config = resolve(input, "key");
      } catch (err) {
        const at = Object.entries(changes)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(", ");
        throw new ConfigError(`${(err as Error).message}${at ? ` (at ${at})` : ""}`);
      }
      const hash = pointHash(config);
      if (seen.has(hash)) continue; // e.g. a random search drawing the same point twice
      seen.set(hash, points.length);
      // the swept values as resolved ("4" typed on the command line is the number 4)
      const resolved: Record<string, SweepValue> = {};
      for (const k of Object.keys(changes)) {
        resolved[k] = (config as unknown as Record<string, SweepValue>)[k]!;
      }
      points.push({ index: points.length, hash, seed: config.seed, changes: resolved, config });
    }
  }
  return { spec, axes, points };
}

/** `--shard i/N` (0 <= i < N): which of N shards this process runs. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!(count >= 1 && count <= 10_000 && index >= 0 && index < count)) {
    throw new ConfigError(`--shard must be I/N with 0 <= I < N (got '${text}')`);
  }
  return { index, count };
}

/** The points of shard i of N: every N-th point from i (interleaved, so depths mix). */
export function shardPoints(
  points: readonly SweepPoint[],
  shard: { index: number; count: number } | null,
): SweepPoint[] {
  if (!shard) return [...points];
  return points.filter((p) => p.index % shard.count === shard.index);
}

/** The spec as stored in sweep.json and compared on a re-run (name left out). */
export function specIdentity(spec: SweepSpec): string {
  return JSON.stringify({
    mode: spec.mode,
    base: spec.base,
    grid: spec.grid,
    random: spec.random ?? null,
    seeds: spec.seeds,
  });
}
