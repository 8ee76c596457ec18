/**
 * Issue 13: doctor's ranking must not depend on the kernels. Each kernel set sums in its own
 * order (native FMA micro-kernels, WebAssembly relaxed SIMD with fused multiply-adds, plain
 * SIMD, the TypeScript loops), so a training run at the edge of stability ends differently on
 * each. Doctor runs here in one child process per kernel set (the sets are chosen by
 * environment variables read at start-up; test/fixtures/doctor-kernels-child.ts runs the CLI's
 * `doctor ... --json` for every case), and the rankings (order, rank, verdict) must be the
 * same on all four.
 *
 * Cases: five small ones (width 32, so the products are big enough for the WebAssembly
 * kernel), and a sixth held to the weaker promise (same top remedy, never "better" on one
 * kernel set and "worse" on another). The seed story at its real settings (20 x 64, 300 steps,
 * 6 remedies) only with GRADSCOPE_DOCTOR_SEED_STORY=1: about 1 minute on the native kernels
 * and 4 on the TypeScript ones on 2 cores, too long for every test run
 * (`npx tsx scripts/doctor-table.ts --kernels all` checks it too).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const nativeBuilt = existsSync(`${root}/native/build/Release/gradscope_native.node`);

/** Kernel sets: environment, and what gemmBackend() must then report. */
const KERNEL_SETS: { name: string; env: Record<string, string>; backend: RegExp }[] = [
  ...(nativeBuilt ? [{ name: "native", env: {}, backend: /^native / }] : []),
  { name: "wasm relaxed", env: { GRADSCOPE_NATIVE: "0" }, backend: /^wasm-simd relaxed/ },
  {
    name: "wasm plain",
    env: { GRADSCOPE_NATIVE: "0", GRADSCOPE_WASM_RELAXED: "0" },
    backend: /^wasm-simd( x2)?$/,
  },
  {
    name: "typescript",
    env: { GRADSCOPE_NATIVE: "0", GRADSCOPE_WASM: "0" },
    backend: /^typescript$/,
  },
];

const SMALL = ["--width", "32", "--max-treatments", "2", "--budget", "100", "--jobs", "2"];

interface Case {
  name: string;
  args: string[];
  /** "same": the whole ranking; "weaker": same top remedy, never better vs worse. */
  check: "same" | "weaker";
}

const CASES: Case[] = [
  {
    name: "vanishing sigmoid, spirals",
    check: "same",
    args: [
      ...["--depth", "10", "--activation", "sigmoid", "--init", "standard-uniform"],
      ...["--dataset", "spirals", ...SMALL],
    ],
  },
  {
    // depth 30 and 150 steps: at depth 20 no change learns at lr 0.03 in some seeds and not
    // in others, and whether a remedy beats it then depends on the seeds (measured)
    name: "exploding tanh at lr 1, mse on blobs (issue 13's case, narrower)",
    check: "same",
    args: [
      ...["--depth", "30", "--width", "32", "--init", "normal", "--weight-var", "4"],
      ...["--loss", "mse", "--lr", "1", "--dataset", "blobs", "--budget", "150"],
      ...["--max-treatments", "3", "--jobs", "2"],
    ],
  },
  {
    name: "vanishing sigmoid, teacher regression",
    check: "same",
    args: [
      ...["--depth", "16", "--activation", "sigmoid", "--init", "standard-uniform"],
      ...["--dataset", "teacher", ...SMALL],
    ],
  },
  {
    name: "ReLU with small weights, moons",
    check: "same",
    args: [
      ...["--depth", "12", "--activation", "relu", "--init", "normal", "--weight-var", "0.5"],
      ...["--dataset", "moons", ...SMALL],
    ],
  },
  {
    name: "saturated sigmoid (weight variance 16), xor",
    check: "same",
    args: [
      ...["--depth", "8", "--activation", "sigmoid", "--init", "normal", "--weight-var", "16"],
      ...["--dataset", "xor", ...SMALL],
    ],
  },
  {
    // No change at its best rate (0.1) reaches ~98%; the remedies 97-100%, within the margin.
    // Chaotic enough that the full ranking is not promised: with --max-treatments 3 (before
    // loss-only gains stopped counting as wins) layer normalization was "worse" on some kernel
    // sets and "no gain" on another, and the top remedy differed. Measured now: identical.
    name: "float32 ReLU at lr 3, moons (weaker promise)",
    check: "weaker",
    args: [
      ...["--depth", "10", "--activation", "relu", "--init", "he-normal", "--dtype", "f32"],
      ...["--lr", "3", "--dataset", "moons", ...SMALL],
    ],
  },
  ...(process.env.GRADSCOPE_DOCTOR_SEED_STORY === "1"
    ? [
        {
          name: "the seed story at its real settings",
          check: "same" as const,
          args: [
            ...["--depth", "20", "--width", "64", "--activation", "sigmoid"],
            ...["--init", "standard-uniform", "--dataset", "spirals", "--jobs", "2"],
          ],
        },
      ]
    : []),
];

interface Ranked {
  kernels: string;
  elapsedMs: number;
  treatments: { label: string; rank: number | null; verdict: string; lr: number }[];
}

function childRun(env: Record<string, string>): Promise<Ranked[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...["--import", "tsx", "test/fixtures/doctor-kernels-child.ts"],
        JSON.stringify(CASES.map((c) => c.args)),
      ],
      { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += String(d);
    });
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`doctor child exited ${code}: ${stderr.slice(-2000)}`));
      else resolve(JSON.parse(stdout) as Ranked[]);
    });
  });
}

const rows = (r: Ranked): string[] =>
  r.treatments.map((t) => `${t.rank ?? "-"} ${t.label}: ${t.verdict}`);
const top = (r: Ranked): string | null => r.treatments.find((t) => t.rank === 1)?.label ?? null;

describe("doctor ranks the same on every kernel set", () => {
  /** results[kernel set][case] */
  const results: Ranked[][] = [];
  beforeAll(async () => {
    for (const set of KERNEL_SETS) results.push(await childRun(set.env));
  }, 3_600_000);

  it("each child ran on the kernel set it was given", () => {
    KERNEL_SETS.forEach((set, k) => {
      for (const r of results[k]!) expect(r.kernels, set.name).toMatch(set.backend);
    });
  });

  CASES.forEach((c, i) => {
    it(c.name, () => {
      const first = results[0]![i]!;
      expect(first.treatments.length).toBeGreaterThan(0);
      if (c.check === "same") expect(top(first)).not.toBeNull();
      for (let k = 1; k < KERNEL_SETS.length; k++) {
        const other = results[k]![i]!;
        const versus = `${KERNEL_SETS[k]!.name} vs ${KERNEL_SETS[0]!.name}`;
        expect(top(other), `${versus}: top remedy`).toBe(top(first));
        if (c.check === "same") expect(rows(other), versus).toEqual(rows(first));
      }
      for (const t of first.treatments) {
        const verdicts = new Set(
          results.map((r) => r[i]!.treatments.find((x) => x.label === t.label)?.verdict),
        );
        expect(verdicts.has("better") && verdicts.has("worse"), `${t.label}`).toBe(false);
      }
    });
  });
});
