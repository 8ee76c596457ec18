/**
 * The command soak (issue #17, class 9): random configurations of every command that trains
 * or reads runs (train, compare, doctor, report, diagnose, import), run in-process through the
 * CLI's `main` with tiny sizes. Each run must end with exit code 0, or 2 and exactly one line
 * "gradscope: ..." on stderr; never an internal error (exit 1), an exception out of `main`, a
 * multi-line message, or JSON output that does not parse. A seeded generator makes the
 * configurations the same on every run.
 *
 * Used by test/soak/commands-soak.test.ts (a CI slice) and bench/soak-commands.ts (1,000).
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../../src/cli/main.ts";
import { captureOutput } from "../../src/cli/test-output.ts";

/** mulberry32: a small seeded generator for the configurations. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type SoakCommand = "train" | "compare" | "doctor" | "report" | "diagnose" | "import";

export interface SoakCase {
  command: SoakCommand;
  argv: string[];
}

export interface SoakOutcome {
  case: SoakCase;
  code: number;
  ms: number;
  /** Why the run counts as a failure; null when it behaved. */
  failure: string | null;
  stderr: string;
}

/**
 * Failures this soak found that are not fixed yet (each has a test in found-by-soak.test.ts
 * marked as failing, which flips when the fix lands). They are counted apart, not hidden.
 */
export const KNOWN_OPEN: readonly { name: string; matches: (o: SoakOutcome) => boolean }[] = [];

export interface SoakTally {
  runs: number;
  /** Failures matching KNOWN_OPEN, by name. */
  knownOpen: Map<string, number>;
  byCommand: Record<SoakCommand, { runs: number; ok: number; refused: number }>;
  failures: SoakOutcome[];
  /** Exit-2 messages seen, by their first words (what kinds of bad input were met). */
  refusals: Map<string, number>;
  ms: number;
}

const ROOT = resolve(import.meta.dirname, "../..");
const TENSORBOARD = join(ROOT, "test/fixtures/tensorboard");

const ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "leaky-relu", "elu", "selu", "gelu"];
const INITS = [
  "normal",
  "uniform",
  "xavier-normal",
  "he-normal",
  "orthogonal",
  "zeros",
  "identity",
];
const DATASETS = ["spirals", "circles", "xor", "moons", "blobs", "teacher", "csv"];
const OPTIMIZERS = ["sgd", "momentum", "nesterov", "adam", "adamw"];

/** `argv` without `--key value`. */
function dropFlag(argv: readonly string[], key: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${key}`) {
      i++;
      continue;
    }
    out.push(argv[i]!);
  }
  return out;
}

/** Builds the cases; keeps a pool of run directories written by earlier train cases. */
export class SoakGenerator {
  private readonly r: () => number;
  readonly dir: string;
  private runs: string[] = [];
  private n = 0;

  constructor(seed: number) {
    this.r = rng(seed);
    this.dir = mkdtempSync(join(tmpdir(), "gradscope-soak-"));
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)]!;
  }
  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  private chance(p: number): boolean {
    return this.r() < p;
  }
  private path(name: string): string {
    return join(this.dir, `${this.n}-${name}`);
  }

  /** A small CSV: numeric, word or integer labels; sometimes damaged. */
  private csvFile(): string {
    const rows = this.int(2, 40);
    const d = this.int(1, 3);
    const kind = this.pick(["ints", "pm1", "words", "real", "single"]);
    const lines: string[] = [];
    if (this.chance(0.5))
      lines.push([...Array.from({ length: d }, (_, j) => `x${j}`), "y"].join(","));
    for (let i = 0; i < rows; i++) {
      const x = Array.from({ length: d }, () => (this.r() * 4 - 2).toFixed(3));
      const y =
        kind === "ints"
          ? String(this.int(0, 3))
          : kind === "pm1"
            ? this.pick(["-1", "1"])
            : kind === "words"
              ? this.pick(["cat", "dog", "owl"])
              : kind === "single"
                ? "1"
                : (this.r() * 10).toFixed(2);
      lines.push([...x, y].join(","));
    }
    let text = `${lines.join(this.chance(0.2) ? "\r\n" : "\n")}\n`;
    if (this.chance(0.2)) {
      const damage = this.pick(["NaN", "0x1f", '"', ",,", "\u0000", "inf", "", "1e999"]);
      const at = this.int(0, text.length);
      text = text.slice(0, at) + damage + text.slice(at);
    }
    const file = this.path("data.csv");
    writeFileSync(file, text);
    return file;
  }

  /** Network and training flags shared by train, compare and doctor. */
  private trainFlags(maxSteps: number, omit: readonly string[] = []): string[] {
    const a: string[] = [];
    const add = (flag: string, value: string | number) => a.push(`--${flag}`, String(value));
    add("depth", this.int(1, 6));
    add("width", this.int(1, 12));
    add("samples", this.int(8, 80));
    add("batch", this.int(1, 32));
    if (!omit.includes("steps")) add("steps", this.int(1, maxSteps));
    add("seed", this.int(0, 1000));
    if (this.chance(0.6)) add("activation", this.pick(ACTIVATIONS));
    if (this.chance(0.5)) add("init", this.pick(INITS));
    if (this.chance(0.3)) add("weight-var", this.pick([0, 1e-6, 0.5, 2, 4, 1e3]));
    if (this.chance(0.4)) add("optimizer", this.pick(OPTIMIZERS));
    if (this.chance(0.3)) add("lr", this.pick([1e-4, 0.01, 0.1, 1, 10, 1e3]));
    if (this.chance(0.2)) add("dtype", "f32");
    const norm = this.r();
    if (norm < 0.15) a.push("--batch-norm");
    else if (norm < 0.3) a.push("--layer-norm");
    if (this.chance(0.15)) a.push("--residual");
    if (this.chance(0.2)) add("clip", this.pick(["global-norm", "value", "layer-norm"]));
    if (this.chance(0.2)) add("schedule", this.pick(["cosine", "step", "warmup"]));
    const dataset = this.pick(DATASETS);
    add("dataset", dataset);
    if (dataset === "csv") {
      add("csv", this.csvFile());
      if (this.chance(0.3)) add("task", this.pick(["classification", "regression"]));
    }
    if (this.chance(0.25)) add("loss", this.pick(["mse", "cross-entropy"]));
    // now and then a bad value or flag: must be a one-line refusal
    if (this.chance(0.1)) {
      a.push(
        ...this.pick([
          ["--depth", "0"],
          ["--width", "1e9"],
          ["--lr", "0x10"],
          ["--activation", "relux"],
          ["--steps", "-3"],
          ["--task", "regression"],
          ["--csv", "/dev/zero"],
          ["--nonsense", "1"],
        ]),
      );
    }
    return a;
  }

  next(): SoakCase {
    this.n++;
    const roll = this.r();
    if (roll < 0.4 || this.runs.length === 0) {
      const out = this.path("run");
      const argv = ["train", ...this.trainFlags(40), "--quiet", "--out", out];
      argv.push("--record-every", String(this.int(1, 5)));
      if (this.chance(0.3)) argv.push("--json");
      return { command: "train", argv };
    }
    if (roll < 0.55) {
      const key = this.pick(["activation", "init", "lr", "depth", "optimizer"]);
      const values =
        key === "activation"
          ? "sigmoid,relu"
          : key === "init"
            ? "normal,he-normal"
            : key === "lr"
              ? "0.01,0.1"
              : key === "depth"
                ? "2,4"
                : "sgd,adam";
      const flags = dropFlag(this.trainFlags(20), key);
      return {
        command: "compare",
        argv: [
          "compare",
          ...flags,
          "--vary",
          `${key}=${values}`,
          "--jobs",
          "1",
          ...(this.chance(0.5) ? ["--json"] : []),
        ],
      };
    }
    if (roll < 0.65) {
      return {
        command: "doctor",
        argv: [
          "doctor",
          ...this.trainFlags(15, ["steps"]),
          "--budget",
          String(this.int(10, 20)),
          "--seeds",
          "1",
          "--more-seeds",
          "0",
          "--max-treatments",
          "2",
          "--lr-factors",
          "1",
          "--jobs",
          "1",
          ...(this.chance(0.5) ? ["--json"] : []),
        ],
      };
    }
    if (roll < 0.82) {
      const run = this.damagedCopy(this.pick(this.runs));
      return {
        command: "report",
        argv: [
          "report",
          run,
          "--quiet",
          ...(this.chance(0.7) ? ["--no-activations"] : []),
          "--json",
        ],
      };
    }
    if (roll < 0.9) {
      const run = this.damagedCopy(this.pick(this.runs));
      return {
        command: "diagnose",
        argv: ["diagnose", run, ...(this.chance(0.5) ? ["--json"] : [])],
      };
    }
    return {
      command: "import",
      argv: ["import", "tensorboard", this.damagedLogdir(), "--out", this.path("imported")],
    };
  }

  /** A copy of a run directory, sometimes damaged (cut metrics, bad summary, FIFO...). */
  private damagedCopy(run: string): string {
    const copy = this.path("copy");
    mkdirSync(copy, { recursive: true });
    let files: string[] = [];
    try {
      files = readdirSync(run).filter((f) => f.endsWith(".json") || f.endsWith(".jsonl"));
    } catch {
      return run; // the train case failed before writing: the missing directory is the test
    }
    for (const f of files) copyFileSync(join(run, f), join(copy, f));
    if (this.chance(0.35)) {
      const target = this.pick(files.length > 0 ? files : ["metrics.jsonl"]);
      const path = join(copy, target);
      let text = "";
      try {
        text = readFileSync(path, "utf8");
      } catch {}
      const how = this.pick(["cut", "garbage", "empty", "remove", "flip"]);
      if (how === "cut") writeFileSync(path, text.slice(0, this.int(0, text.length)));
      else if (how === "garbage") writeFileSync(path, `${text}{"step": oops}\n`);
      else if (how === "empty") writeFileSync(path, "");
      else if (how === "remove") rmSync(path, { force: true });
      else {
        const at = this.int(0, Math.max(0, text.length - 1));
        writeFileSync(
          path,
          text.slice(0, at) + this.pick(["x", "\u0000", "9", "]"]) + text.slice(at + 1),
        );
      }
    }
    return copy;
  }

  /** A TensorBoard fixture, sometimes cut short or with flipped bytes. */
  private damagedLogdir(): string {
    const source = join(TENSORBOARD, this.pick(readdirSync(TENSORBOARD)));
    const copy = this.path("tb");
    mkdirSync(copy, { recursive: true });
    for (const f of readdirSync(source)) {
      const bytes = readFileSync(join(source, f));
      let out = bytes;
      const how = this.r();
      if (how < 0.5) {
        out = Buffer.from(bytes.subarray(0, this.int(0, bytes.length)));
      } else if (how < 0.75) {
        out = Buffer.from(bytes);
        for (let k = 0; k < this.int(1, 20); k++)
          out[this.int(0, out.length - 1)] = this.int(0, 255);
      }
      writeFileSync(join(copy, f), out);
    }
    return copy;
  }

  /** Note how a case ended: a train run that finished joins the pool report reads from. */
  done(o: SoakOutcome): void {
    if (o.case.command !== "train" || o.code !== 0) return;
    const i = o.case.argv.indexOf("--out");
    if (i >= 0) this.runs.push(o.case.argv[i + 1]!);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Run one case through the CLI and judge its ending. */
export async function runCase(c: SoakCase): Promise<SoakOutcome> {
  const output = captureOutput();
  const t0 = performance.now();
  let code: number;
  let failure: string | null = null;
  try {
    code = await main(c.argv, output);
  } catch (err) {
    code = -1;
    failure = `exception out of main: ${err instanceof Error ? err.message : String(err)}`;
  }
  const ms = performance.now() - t0;
  const stderr = output.stderr();
  if (failure === null) {
    if (code === 2) {
      // progress lines may come first (compare, doctor); the message is the last line
      const lines = stderr.trimEnd().split("\n");
      if (!/^gradscope: \S/.test(lines[lines.length - 1] ?? "") || /^\s+at /m.test(stderr)) {
        failure = "exit 2 without a one-line message at the end";
      }
    } else if (code !== 0) {
      failure = `exit ${code}: ${stderr.trim().split("\n")[0]}`;
    } else if (c.argv.includes("--json")) {
      try {
        JSON.parse(output.stdout());
      } catch {
        failure = "--json output does not parse";
      }
    }
  }
  return { case: c, code, ms, failure, stderr };
}

/** Run `count` cases from `seed`; `onCase` sees each outcome. */
export async function runSoak(
  count: number,
  seed: number,
  onCase?: (o: SoakOutcome, i: number) => void,
): Promise<SoakTally> {
  const gen = new SoakGenerator(seed);
  const empty = () => ({ runs: 0, ok: 0, refused: 0 });
  const tally: SoakTally = {
    runs: 0,
    byCommand: {
      train: empty(),
      compare: empty(),
      doctor: empty(),
      report: empty(),
      diagnose: empty(),
      import: empty(),
    },
    failures: [],
    knownOpen: new Map(),
    refusals: new Map(),
    ms: 0,
  };
  const t0 = performance.now();
  try {
    for (let i = 0; i < count; i++) {
      const o = await runCase(gen.next());
      gen.done(o);
      tally.runs++;
      const b = tally.byCommand[o.case.command];
      b.runs++;
      if (o.code === 0) b.ok++;
      if (o.code === 2) {
        b.refused++;
        const kind = o.stderr
          .replace(/^gradscope: /, "")
          .replace(/[/\\][^\s:,]+/g, "PATH")
          .split(/[:(\n]/)[0]!
          .slice(0, 60);
        tally.refusals.set(kind, (tally.refusals.get(kind) ?? 0) + 1);
      }
      if (o.failure !== null) {
        const known = KNOWN_OPEN.find((k) => k.matches(o));
        if (known) tally.knownOpen.set(known.name, (tally.knownOpen.get(known.name) ?? 0) + 1);
        else tally.failures.push(o);
      }
      onCase?.(o, i);
    }
  } finally {
    gen.cleanup();
  }
  tally.ms = performance.now() - t0;
  return tally;
}
