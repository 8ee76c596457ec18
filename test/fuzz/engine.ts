/**
 * A small coverage-guided fuzzer for JavaScript targets (issue #17, class 9). Jazzer.js, the
 * maintained libFuzzer binding for Node, does not run here: @jazzer.js/core 4.0.0 ships a
 * prebuilt addon that needs glibc 2.38 (Debian 12 has 2.36), and 2.1.0 downloads its addon
 * from GitHub at install (no network). So this does what libFuzzer does, with V8's own block
 * coverage as the signal:
 *   - coverage: node:inspector's Profiler.takePreciseCoverage ({callCount, detailed}) after
 *     every input, which returns the count of every basic block run and resets the counters;
 *     an input that runs a block (of the target's source files) never run before is new;
 *   - corpus: the seeds plus every input that found new coverage;
 *   - mutation: a corpus entry, mutated 1-4 times (character flips, inserts of tokens from a
 *     dictionary, deletes, duplicated or swapped ranges, splices with another entry);
 *   - crash: the target throws something it must not (what is allowed is the target's own
 *     rule) or gives a multi-line message; crashes are saved as files that a test replays.
 * Deterministic for a seed and an execution budget (not for a time budget).
 */
import { Session } from "node:inspector";

export interface FuzzTarget {
  name: string;
  /** Source files whose coverage guides the search (substrings of their URLs). */
  cover: readonly string[];
  seeds: readonly string[];
  /** Tokens worth inserting (format syntax, edge values). */
  dictionary: readonly string[];
  /** Run one input; throw a FuzzCrash (or anything not allowed) to report a crash. */
  run(input: string): void;
  /** Longest input tried (characters). */
  maxLength?: number;
  /**
   * Crashes found and not fixed yet (the fix belongs elsewhere): an error matching one is
   * counted in `knownOpen`, not in `crashes`. Each has an `it.fails` replay in fuzz.test.ts.
   */
  knownOpen?: readonly RegExp[];
}

export interface FuzzResult {
  target: string;
  executions: number;
  ms: number;
  corpus: number;
  /** Basic blocks (of the covered files) run at least once. */
  blocks: number;
  crashes: { input: string; error: string }[];
  /** Crashes matching the target's knownOpen patterns: count, and the first input of each. */
  knownOpen: { pattern: string; count: number; input: string }[];
}

/** mulberry32 */
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

interface CoverageRange {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface FunctionCoverage {
  functionName: string;
  ranges: CoverageRange[];
}
interface ScriptCoverage {
  url: string;
  functions: FunctionCoverage[];
}

let shared: Session | null = null;

/**
 * Start V8's block coverage now. Call it before the targets' modules are imported: functions
 * compiled before it count only as whole functions, so a target imported earlier is guided
 * by far fewer blocks (18 instead of 47 for the config parser in 300 executions).
 */
export function enableBlockCoverage(): void {
  if (shared !== null) return;
  shared = new Session();
  shared.connect();
  const post = (method: string, params: object = {}) => shared!.post(method, params, () => {});
  post("Profiler.enable");
  post("Profiler.startPreciseCoverage", { callCount: true, detailed: true });
}

/** Block coverage of the files that `cover` names, as a set of keys. */
class Coverage {
  private readonly session: Session;
  constructor(private readonly cover: readonly string[]) {
    enableBlockCoverage();
    this.session = shared!;
  }

  private post(method: string, params: object = {}): unknown {
    let result: unknown;
    let error: Error | null = null;
    // an in-thread session answers synchronously
    this.session.post(method, params, (err, res) => {
      error = err;
      result = res;
    });
    if (error) throw error;
    return result;
  }

  /** Blocks run since the last call (the counters are reset by taking them). */
  take(): string[] {
    const { result } = this.post("Profiler.takePreciseCoverage") as { result: ScriptCoverage[] };
    const keys: string[] = [];
    for (const script of result) {
      if (!this.cover.some((c) => script.url.includes(c))) continue;
      for (const f of script.functions) {
        for (const r of f.ranges) {
          if (r.count > 0) keys.push(`${script.url}:${r.startOffset}-${r.endOffset}`);
        }
      }
    }
    return keys;
  }

  close(): void {
    // the shared session stays: the next target goes on from here
  }
}

const CHARS = 'abcxyzXY019.,-+eE "\n\r\t\\/#&=%{}[]:;\u0000\u00e9\ufeff\ud83d\ude00';

function mutate(input: string, r: () => number, t: FuzzTarget, corpus: readonly string[]): string {
  let s = input;
  const rounds = 1 + Math.floor(r() * 4);
  const pos = () => Math.floor(r() * (s.length + 1));
  for (let k = 0; k < rounds; k++) {
    switch (Math.floor(r() * 8)) {
      case 0: {
        // replace one character
        if (s.length === 0) break;
        const i = Math.floor(r() * s.length);
        s = s.slice(0, i) + CHARS[Math.floor(r() * CHARS.length)] + s.slice(i + 1);
        break;
      }
      case 1:
      case 2: {
        // insert a dictionary token
        const i = pos();
        s = s.slice(0, i) + t.dictionary[Math.floor(r() * t.dictionary.length)] + s.slice(i);
        break;
      }
      case 3: {
        // delete a range
        const i = pos();
        const n = 1 + Math.floor(r() * 8);
        s = s.slice(0, i) + s.slice(i + n);
        break;
      }
      case 4: {
        // duplicate a range
        const i = pos();
        const n = 1 + Math.floor(r() * 16);
        s = s.slice(0, i) + s.slice(i, i + n).repeat(1 + Math.floor(r() * 3)) + s.slice(i);
        break;
      }
      case 5: {
        // splice with another corpus entry
        const other = corpus[Math.floor(r() * corpus.length)]!;
        s = s.slice(0, pos()) + other.slice(Math.floor(r() * (other.length + 1)));
        break;
      }
      case 6: {
        // a random printable character
        const i = pos();
        s = s.slice(0, i) + String.fromCharCode(32 + Math.floor(r() * 95)) + s.slice(i);
        break;
      }
      default: {
        // change a digit run into an edge value
        const edges = ["0", "-0", "1e308", "1e-320", "9007199254740993", "-1", "2147483648", "NaN"];
        s = s.replace(/\d+(\.\d+)?/, edges[Math.floor(r() * edges.length)]!);
      }
    }
  }
  const max = t.maxLength ?? 4096;
  return s.length > max ? s.slice(0, max) : s;
}

/**
 * Fuzz `target` for `budget.executions` inputs or `budget.ms` milliseconds, whichever ends
 * first. Crashing inputs are returned (at most `maxCrashes`, distinct messages first).
 */
export function fuzz(
  target: FuzzTarget,
  budget: { executions?: number; ms?: number; seed?: number; maxCrashes?: number },
): FuzzResult {
  const r = rng(budget.seed ?? 1);
  const coverage = new Coverage(target.cover);
  const seen = new Set<string>();
  const corpus: string[] = [];
  const crashes: { input: string; error: string }[] = [];
  const messages = new Set<string>();
  const knownOpen: FuzzResult["knownOpen"] = [];
  const maxExec = budget.executions ?? Number.POSITIVE_INFINITY;
  const maxMs = budget.ms ?? Number.POSITIVE_INFINITY;
  const t0 = performance.now();
  let executions = 0;
  const tryInput = (input: string): void => {
    executions++;
    coverage.take(); // drop what ran outside the target
    let crash: string | null = null;
    try {
      target.run(input);
    } catch (err) {
      crash = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    let fresh = false;
    for (const key of coverage.take()) {
      if (!seen.has(key)) {
        seen.add(key);
        fresh = true;
      }
    }
    const known = crash === null ? undefined : target.knownOpen?.find((p) => p.test(crash));
    if (known !== undefined) {
      const entry = knownOpen.find((k) => k.pattern === String(known));
      if (entry) entry.count++;
      else knownOpen.push({ pattern: String(known), count: 1, input });
    } else if (crash !== null) {
      const kind = crash.replace(/\d+/g, "N").slice(0, 120);
      if (!messages.has(kind) && crashes.length < (budget.maxCrashes ?? 20)) {
        messages.add(kind);
        crashes.push({ input, error: crash });
      }
    } else if (fresh) {
      corpus.push(input);
    }
  };
  try {
    for (const s of target.seeds) tryInput(s);
    if (corpus.length === 0) corpus.push(...target.seeds, "");
    while (executions < maxExec && performance.now() - t0 < maxMs) {
      const base = corpus[Math.floor(r() * corpus.length)]!;
      tryInput(mutate(base, r, target, corpus));
    }
  } finally {
    coverage.close();
  }
  return {
    target: target.name,
    executions,
    ms: performance.now() - t0,
    corpus: corpus.length,
    blocks: seen.size,
    crashes,
    knownOpen,
  };
}

/** Thrown by a target for a result it must not give (a crash that is not an exception). */
export class FuzzCrash extends Error {
  override readonly name = "FuzzCrash";
}
