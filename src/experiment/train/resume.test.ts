import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, type TrainConfig } from "../config.ts";
import { checkpointOption, writeCheckpoint } from "./checkpoint.ts";
import { resumeTrain, truncateMetrics } from "./resume.ts";
import { readRunDir } from "./run-dir.ts";
import { LOCK_FILE } from "./run-lock.ts";
import { type TrainResult, train } from "./trainer.ts";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "gradscope-resume-"));
}

/** metrics.jsonl with any elapsedMs field removed (records have none today). */
function metricsText(dir: string): string {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8").replace(/"elapsedMs":[^,}]*,?/g, "");
}

function paramBytes(result: TrainResult): Buffer[] {
  return result.network
    .params()
    .map((p) => Buffer.from(p.value.data.buffer, p.value.data.byteOffset, p.value.data.byteLength));
}

function expectSameRun(a: TrainResult, aDir: string, b: TrainResult, bDir: string): void {
  expect(metricsText(bDir)).toBe(metricsText(aDir));
  const pa = paramBytes(a);
  const pb = paramBytes(b);
  expect(pb.length).toBe(pa.length);
  for (let i = 0; i < pa.length; i++) expect(pb[i]!.equals(pa[i]!), `param ${i}`).toBe(true);
  const { elapsedMs: _a, ...sa } = a.summary;
  const { elapsedMs: _b, ...sb } = b.summary;
  expect(sb).toEqual(sa);
}

const BASE: Partial<TrainConfig> = {
  depth: 4,
  width: 8,
  batch: 16,
  samples: 200,
  steps: 60,
  recordEvery: 5,
  evalEvery: 20,
  activation: "tanh",
  seed: 7,
};

/** Configurations covering every piece of state: optimizer buffers, batch norm, f32, clipping. */
const CASES: [string, Partial<TrainConfig>][] = [
  ["sgd", { optimizer: "sgd" }],
  ["adam, batch norm, float32", { optimizer: "adam", lr: 0.01, batchNorm: true, dtype: "f32" }],
  [
    "nesterov, clipping, cosine schedule, weight decay",
    {
      optimizer: "nesterov",
      clip: "global-norm",
      clipThreshold: 0.05,
      schedule: "cosine",
      weightDecay: 1e-3,
    },
  ],
  [
    "adamw, layer norm, residual",
    { optimizer: "adamw", lr: 0.01, layerNorm: true, residual: true },
  ],
];

describe("train --resume: bit-identical continuation", () => {
  for (const [name, extra] of CASES) {
    for (const k of [1, 13, 20, 47]) {
      it(`${name}: interrupted at step ${k}, resumed, equals the uninterrupted run`, async () => {
        const config = { ...BASE, ...extra };
        const fullDir = join(tempDir(), "full");
        const full = await train(config, { runDir: fullDir });
        expect(full.summary.status).toBe("completed");

        const dir = join(tempDir(), "cut");
        const controller = new AbortController();
        const cut = await train(config, {
          runDir: dir,
          signal: controller.signal,
          checkpoint: {
            every: 10,
            write: (trainer) => writeCheckpoint(dir, trainer),
          },
          onProgress: (p) => {
            if (p.step === k) controller.abort();
          },
        });
        expect(cut.summary.status).toBe("interrupted");
        expect(cut.summary.stepsDone).toBe(k);
        const resumed = await resumeTrain(dir, { checkpointEvery: 10 });
        expect(resumed.summary.status).toBe("completed");
        expect(resumed.runDir).toBe(dir);
        expectSameRun(full, fullDir, resumed, dir);
      });
    }
  }

  it("a kill -9 between checkpoints: records after the checkpoint are dropped, not duplicated", async () => {
    const config = { ...BASE, optimizer: "adam" as const, lr: 0.01, batchNorm: true };
    const fullDir = join(tempDir(), "full");
    const full = await train(config, { runDir: fullDir });
    const dir = join(tempDir(), "killed");
    const controller = new AbortController();
    await train(config, {
      runDir: dir,
      signal: controller.signal,
      // A killed process writes no checkpoint on the way out: only the periodic ones.
      checkpoint: {
        every: 10,
        write: (trainer, reason) => {
          if (reason === "periodic") writeCheckpoint(dir, trainer);
        },
      },
      onProgress: (p) => {
        if (p.step === 37) controller.abort();
      },
    });
    // steps 31..37 were taken after the checkpoint of step 30; 35 is recorded; plus a torn line
    appendFileSync(join(dir, "metrics.jsonl"), '{"step":38,"epoch":4,"lo');
    expect(readRunDir(dir).records.map((r) => r.step)).toContain(35);
    const resumed = await resumeTrain(dir);
    const steps = readRunDir(dir).records.map((r) => r.step);
    expect(new Set(steps).size).toBe(steps.length);
    expectSameRun(full, fullDir, resumed, dir);
  });

  it("every step recorded, killed (-9) at each of 24 points: metrics byte-identical to the uninterrupted run", async () => {
    // With every step recorded, the update before a checkpoint already summed the weights for
    // the next record; a restore that re-summed them in another order moved weightNorm by an
    // ulp, so the sums travel in the checkpoint.
    for (const changes of [
      { optimizer: "momentum" as const },
      { optimizer: "adam" as const, dtype: "f32" as const },
    ]) {
      const config = { ...BASE, ...changes, width: 48, steps: 30, recordEvery: 1, evalEvery: 100 };
      const fullDir = join(tempDir(), "full");
      const full = await train(config, { runDir: fullDir });
      for (let kill = 2; kill <= 25; kill++) {
        const dir = join(tempDir(), `kill-${kill}`);
        const controller = new AbortController();
        await train(config, {
          runDir: dir,
          signal: controller.signal,
          checkpoint: {
            every: 3,
            write: (trainer, reason) => {
              if (reason === "periodic") writeCheckpoint(dir, trainer); // none on the way out
            },
          },
          onProgress: (p) => {
            if (p.step === kill) controller.abort();
          },
        });
        const resumed = await resumeTrain(dir);
        expectSameRun(full, fullDir, resumed, dir);
      }
    }
  }, 60_000);

  it("a run killed before its first checkpoint is trained again from step 1, not stuck", async () => {
    const config = { ...BASE, optimizer: "adam" as const, lr: 0.01 };
    const fullDir = join(tempDir(), "full");
    const full = await train(config, { runDir: fullDir });
    const dir = join(tempDir(), "early");
    const controller = new AbortController();
    await train(config, {
      runDir: dir,
      signal: controller.signal,
      checkpoint: { every: 1000, write: () => {} }, // killed: no checkpoint ever written
      onProgress: (p) => {
        if (p.step === 12) controller.abort();
      },
    });
    expect(existsSync(join(dir, "checkpoint.json"))).toBe(false);
    expect(readRunDir(dir).records.length).toBeGreaterThan(0);
    const resumed = await resumeTrain(dir);
    const steps = readRunDir(dir).records.map((r) => r.step);
    expect(new Set(steps).size).toBe(steps.length);
    expectSameRun(full, fullDir, resumed, dir);
  });

  it("refuses a second writer of one run directory while the first runs; a dead owner's lock is taken over", async () => {
    const dir = join(tempDir(), "locked");
    const controller = new AbortController();
    let second: unknown = null;
    await train(
      { ...BASE, steps: 40 },
      {
        runDir: dir,
        signal: controller.signal,
        checkpoint: checkpointOption(dir, 5),
        onProgress: (p) => {
          if (p.step === 10 && second === null) {
            // a resume while the first writer still holds the directory
            second = resumeTrain(dir).then(
              () => "resumed",
              (err: Error) => err.message,
            );
            controller.abort();
          }
        },
      },
    );
    expect(await second).toMatch(
      new RegExp(
        `^run directory ${dir} is in use by process ${process.pid} \\(train, since [^)]+\\): wait for it to finish or stop it$`,
      ),
    );
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false); // given back at the end
    // a lock left by a process killed with -9 (a pid that no longer runs) does not block
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: "then", purpose: "train" }),
    );
    const resumed = await resumeTrain(dir);
    expect(resumed.summary.status).toBe("completed");
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it("resuming twice in a row (interrupted again after resuming) still gives the same run", async () => {
    const config = { ...BASE, optimizer: "momentum" as const };
    const fullDir = join(tempDir(), "full");
    const full = await train(config, { runDir: fullDir });
    const dir = join(tempDir(), "twice");
    const c1 = new AbortController();
    await train(config, {
      runDir: dir,
      signal: c1.signal,
      checkpoint: { every: 7, write: (t) => writeCheckpoint(dir, t) },
      onProgress: (p) => {
        if (p.step === 11) c1.abort();
      },
    });
    const c2 = new AbortController();
    const mid = await resumeTrain(dir, {
      checkpointEvery: 7,
      signal: c2.signal,
      onProgress: (p) => {
        if (p.step === 33) c2.abort();
      },
    });
    expect(mid.summary).toMatchObject({ status: "interrupted", stepsDone: 33 });
    const resumed = await resumeTrain(dir);
    expectSameRun(full, fullDir, resumed, dir);
  });

  it("refuses directories it cannot resume, with a ConfigError", async () => {
    const empty = tempDir();
    await expect(resumeTrain(empty)).rejects.toThrow(ConfigError);
    await expect(resumeTrain(empty)).rejects.toThrow(/no config.json/);
    const done = join(tempDir(), "done");
    await train({ ...BASE, steps: 5 }, { runDir: done });
    await expect(resumeTrain(done)).rejects.toThrow(/already completed/);
    expect(existsSync(join(done, "checkpoint.json"))).toBe(false);
  });

  it("refuses a recurrent or transformer run with a clear line (they write no checkpoint yet)", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "config.json"), JSON.stringify({ arch: "lstm", seqLen: 10 }));
    await expect(resumeTrain(dir)).rejects.toThrow(
      /^cannot resume .*: --resume is not available for --arch lstm runs yet/,
    );
  });

  it("refuses a completed run and a damaged checkpoint", async () => {
    const dir = join(tempDir(), "complete");
    await train(
      { ...BASE, steps: 12 },
      { runDir: dir, checkpoint: { every: 5, write: (t) => writeCheckpoint(dir, t) } },
    );
    await expect(resumeTrain(dir)).rejects.toThrow(/already completed/);
    const bad = join(tempDir(), "bad");
    const controller = new AbortController();
    await train(
      { ...BASE, steps: 12 },
      {
        runDir: bad,
        signal: controller.signal,
        checkpoint: { every: 5, write: (t) => writeCheckpoint(bad, t) },
        onProgress: (p) => {
          if (p.step === 6) controller.abort();
        },
      },
    );
    appendFileSync(join(bad, "checkpoint.json"), "garbage");
    await expect(resumeTrain(bad)).rejects.toThrow(/checkpoint .* is damaged/);
  });

  it("truncateMetrics keeps the lines up to the step byte for byte", async () => {
    const dir = join(tempDir(), "trunc");
    await train({ ...BASE, steps: 30 }, { runDir: dir });
    const before = readFileSync(join(dir, "metrics.jsonl"), "utf8").split("\n");
    expect(truncateMetrics(dir, 15)).toEqual({ kept: 4, dropped: 3 });
    const after = readFileSync(join(dir, "metrics.jsonl"), "utf8");
    expect(after).toBe(`${before.slice(0, 4).join("\n")}\n`);
    expect(truncateMetrics(dir, 15)).toEqual({ kept: 4, dropped: 0 });
  });
});
