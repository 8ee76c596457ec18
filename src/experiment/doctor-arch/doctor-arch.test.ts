/**
 * doctor --arch on labelled cases (float32, native kernels, paired seeds 0-2, one learning
 * rate so the budget stays small; the default sweep is the MLP doctor's):
 * - a vanilla tanh RNN on the adding problem at T = 50 vanishes, and a GRU is ranked better;
 * - a post-LN transformer at depth 24 does not learn, and pre-LN and DeepNorm are better;
 * - a healthy LSTM gets no remedy: no change stays.
 * GRADSCOPE_DOCTOR_REPORT=1 prints each report's table.
 */
import { describe, expect, it } from "vitest";
import { resolveSequenceRun } from "../sequence-train/options.ts";
import type { SequenceRunConfig } from "../sequence-train/types.ts";
import { type ArchDoctorReport, doctorArch } from "./doctor.ts";

const show = (label: string, r: ArchDoctorReport): void => {
  if (!process.env.GRADSCOPE_DOCTOR_REPORT) return;
  const rows = [r.baselineRun, ...r.treatments].map((t) =>
    [
      "rank" in t ? (t.rank ?? "-") : "-",
      t.label,
      t.seeds.map((s) => (s.testAcc ?? s.testLoss)?.toPrecision(3)).join(" "),
      t.flowText,
      "verdict" in t ? t.verdict : "",
    ].join(" | "),
  );
  console.log(
    `${label} (${(r.elapsedMs / 1000).toFixed(1)} s, ${r.runs} runs)\n${rows.join("\n")}\n${r.headline}`,
  );
};

const byId = (r: ArchDoctorReport, id: string) => r.treatments.find((t) => t.remedyIds[0] === id);

describe("doctor --arch rnn: a vanilla tanh RNN on the adding problem at T = 50", () => {
  it("diagnoses vanishing over time steps and ranks a gated cell better than no change", async () => {
    const config = resolveSequenceRun(
      "rnn",
      {
        task: "adding",
        seqLen: 50,
        width: 16,
        clip: "global-norm",
        recordEvery: 50,
        evalEvery: 0,
        testSize: 256,
      },
      "key",
    );
    const r = await doctorArch(config, { budget: 300, lrFactors: [1], moreSeeds: 0, jobs: 2 });
    show("rnn adding T=50", r);
    expect(r.seeds).toEqual([0, 1, 2]);
    expect(r.classification).toBe(false);
    expect(r.chance.loss).toBeCloseTo(1 / 6, 12);
    expect(r.diagnosis.acted).toContain("vanishing");
    expect(r.diagnosis.runSeen[0]).toMatchObject({ verdict: "vanishing", seeds: 3, of: 3 });
    // orthogonal W_hh at gain 1 is already in place, clipping answers growth, forget bias is LSTM's
    expect(r.proposed.map((p) => p.id)).toEqual(["identity-relu", "use-lstm", "use-gru"]);
    // no change stays at the input-blind MSE 1/6
    expect(r.baselineRun.learned).toBe(false);
    expect(r.baselineRun.flowText).toBe("vanishing (3 of 3)");
    const gru = byId(r, "use-gru")!;
    expect(gru.verdict).toBe("better");
    expect(gru.rank).toBe(1);
    expect(gru.learned).toBe(true);
    expect(gru.spread.testLoss!.max).toBeLessThan(0.02);
    expect(r.treatments[0]).toBe(gru);
    expect(r.best?.label).toBe("GRU instead of a vanilla RNN");
    expect(r.best?.train.command).toBe(
      "gradscope train --arch gru --task adding --seq-len 50 --width 16 --steps 300 --clip global-norm --record-every 50 --eval-every 0 --test-size 256",
    );
    expect(r.headline).toMatch(
      /^rnn: vanishing: .*Best measured remedy: GRU instead of a vanilla RNN/,
    );
    // the LSTM has not learned the task within 300 steps: no clear difference
    expect(byId(r, "use-lstm")!.verdict).toBe("no gain");
    expect(r.runs).toBe(12);
  }, 240_000);
});

describe("doctor --arch transformer: post-LN at depth 24", () => {
  it("does not learn as given; pre-LN and DeepNorm are ranked better", async () => {
    const config = resolveSequenceRun(
      "transformer",
      {
        depth: 24,
        width: 32,
        heads: 4,
        ffnWidth: 64,
        seqLen: 8,
        vocab: 4,
        batch: 16,
        lr: 0.003,
        recordEvery: 20,
        evalEvery: 0,
        testSize: 256,
      },
      "key",
    );
    expect(config.arch === "transformer" && config.normPosition).toBe("post");
    const r = await doctorArch(config, {
      budget: 60,
      lrFactors: [1],
      moreSeeds: 0,
      maxTreatments: 2,
      jobs: 2,
    });
    show("post-LN depth 24", r);
    expect(r.classification).toBe(true);
    expect(r.diagnosis.unit).toBe("block");
    expect(r.diagnosis.acted).toContain("vanishing");
    expect(r.proposed.map((p) => p.id)).toEqual(["pre-ln", "deepnorm", "warmup", "smaller-init"]);
    expect(r.treatments.map((t) => t.remedyIds[0]).sort()).toEqual(["deepnorm", "pre-ln"]);
    expect(r.baselineRun.learned).toBe(false);
    for (const id of ["pre-ln", "deepnorm"]) {
      const t = byId(r, id)!;
      expect(t.verdict).toBe("better");
      expect(t.rank).toBe(1);
      expect(t.spread.testAcc!.min).toBeGreaterThan(0.85);
    }
    expect(r.best!.train.command).toMatch(
      /^gradscope train --arch transformer --task sequence --depth 24 --width 32 --norm-position (pre|deepnorm) --steps 60 --seq-len 8 --batch 16 --lr 0.003 /,
    );
    expect(r.headline).toMatch(/Best measured remedy: (pre-LN|DeepNorm)/);
  }, 240_000);
});

describe("doctor --arch lstm: a healthy LSTM", () => {
  it("proposes no remedy: no change stays", async () => {
    const config = resolveSequenceRun(
      "lstm",
      { task: "copy", seqLen: 10, width: 16, recordEvery: 50, evalEvery: 0, testSize: 256 },
      "key",
    );
    const r = await doctorArch(config, { budget: 300, lrFactors: [1], jobs: 2 });
    show("healthy lstm", r);
    expect(r.diagnosis.runSeen).toEqual([{ verdict: "healthy", seeds: 3, of: 3, acted: false }]);
    expect(r.diagnosis.initSeen[0]!.verdict).toBe("healthy");
    expect(r.diagnosis.acted).toEqual([]);
    expect(r.proposed).toEqual([]);
    expect(r.treatments).toEqual([]);
    expect(r.best).toBeNull();
    expect(r.baselineRun.learned).toBe(true);
    expect(r.baselineRun.spread.testAcc!.min).toBeGreaterThan(0.9);
    expect(r.headline).toMatch(/No remedy proposed: no change stays/);
    expect(r.runs).toBe(3);
  }, 120_000);
});

describe("doctor --arch --jobs", () => {
  it("gives the same report, number for number, with 1 and 2 jobs", async () => {
    const config: SequenceRunConfig = resolveSequenceRun(
      "rnn",
      { task: "adding", seqLen: 20, width: 8, recordEvery: 10, evalEvery: 0, testSize: 64 },
      "key",
    );
    const run = (jobs: number) =>
      doctorArch(config, { budget: 40, seeds: 2, lrFactors: [1, 0.5], moreSeeds: 2, jobs });
    const [one, two] = [await run(1), await run(2)];
    const strip = (r: ArchDoctorReport) => ({ ...r, elapsedMs: 0 });
    expect(one.treatments.length).toBeGreaterThan(0);
    expect(strip(two)).toEqual(strip(one));
  }, 120_000);
});
