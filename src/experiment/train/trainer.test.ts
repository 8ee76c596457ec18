import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveTrainConfig, type TrainConfig } from "../config.ts";
import { loadDataset } from "../datasets/index.ts";
import { buildProbe } from "../probe-run.ts";
import type { RunSink, TrainRecord, TrainSummary } from "./recorder.ts";
import { readRunDir } from "./run-dir.ts";
import { Trainer, train } from "./trainer.ts";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "gradscope-train-"));
}

const CONTRACT_FIELDS = [
  "layer",
  "q",
  "gradPreactMeanSq",
  "gradWeightNorm",
  "gradBiasNorm",
  "weightNorm",
  "gradToWeight",
  "actMean",
  "actStd",
  "saturated",
  "inactive",
  "dead",
  "nonfinite",
  "updateRatio",
];

const TINY: Partial<TrainConfig> = {
  depth: 3,
  width: 8,
  batch: 16,
  samples: 200,
  steps: 25,
  recordEvery: 5,
  evalEvery: 10,
  activation: "tanh",
};

describe("train: run directory", () => {
  it("a tiny run writes config.json, one parseable metrics line per recorded step and summary.json", async () => {
    const dir = join(tempDir(), "tiny");
    const result = await train(TINY, { runDir: dir });
    const lines = readFileSync(join(dir, "metrics.jsonl"), "utf8").trimEnd().split("\n");
    // steps 1, 5, 10, 15, 20, 25 (10 and 20 also evaluate, 25 is the last)
    const parsed = lines.map((l) => JSON.parse(l) as TrainRecord);
    expect(parsed.map((r) => r.step)).toEqual([1, 5, 10, 15, 20, 25]);
    for (const r of parsed) {
      expect(r.layers).toHaveLength(3);
      for (const key of CONTRACT_FIELDS) expect(r.layers[0], key).toHaveProperty(key);
      expect(typeof r.loss).toBe("number");
      expect(r.lr).toBe(0.1);
      expect(r.layers.every((m) => typeof m.updateRatio === "number")).toBe(true);
    }
    expect(parsed.filter((r) => r.testAcc !== undefined).map((r) => r.step)).toEqual([10, 20, 25]);
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as TrainSummary;
    expect(summary.status).toBe("completed");
    expect(summary.stepsDone).toBe(25);
    expect(summary.finalLoss).toBe(result.summary.finalLoss);
    expect(summary.finalLoss).toBe(parsed[parsed.length - 1]!.loss);
    expect(summary.testAcc).toBe(parsed[parsed.length - 1]!.testAcc);
    expect(summary.dataset).toMatchObject({ name: "spirals", train: 160, test: 40, inputDim: 2 });
    // config.json is the resolved config: every default filled, and valid input again
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as TrainConfig;
    expect(config).toMatchObject({ loss: "cross-entropy", lr: 0.1, out: dir, dataSeed: 0 });
    expect(resolveTrainConfig(config)).toEqual(config);
    // the reader gives the same records back
    const back = readRunDir(dir);
    expect(back.records).toHaveLength(6);
    expect(back.summary?.status).toBe("completed");
  });

  it("refuses a directory that already holds a run, leaving it untouched", async () => {
    const dir = join(tempDir(), "taken");
    await train(TINY, { runDir: dir });
    const before = readFileSync(join(dir, "metrics.jsonl"), "utf8");
    await expect(train(TINY, { runDir: dir })).rejects.toThrow(/already holds a run/);
    expect(readFileSync(join(dir, "metrics.jsonl"), "utf8")).toBe(before);
  });

  it("summary.json is readable while the run is going (status running)", async () => {
    const dir = join(tempDir(), "live");
    const seen: string[] = [];
    await train(
      { ...TINY, steps: 40 },
      {
        runDir: dir,
        onRecord: (r) => {
          if (r.step === 25) {
            const s = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as TrainSummary;
            seen.push(`${s.status}:${s.stepsDone}`);
          }
        },
      },
    );
    // the summary is rewritten at each evaluation (step 20 here)
    expect(seen).toEqual(["running:20"]);
  });

  it("same config and seed give byte-identical metrics.jsonl", async () => {
    const a = join(tempDir(), "a");
    const b = join(tempDir(), "b");
    const config = { ...TINY, optimizer: "adam", lr: 0.01, batchNorm: true } as const;
    await train(config, { runDir: a });
    await train(config, { runDir: b });
    const ta = readFileSync(join(a, "metrics.jsonl"), "utf8");
    expect(ta.length).toBeGreaterThan(1000);
    expect(readFileSync(join(b, "metrics.jsonl"), "utf8")).toBe(ta);
    const c = join(tempDir(), "c");
    await train({ ...config, seed: 1 }, { runDir: c });
    expect(readFileSync(join(c, "metrics.jsonl"), "utf8")).not.toBe(ta);
  });

  it("starts from the weights `probe` measures with the same seed", () => {
    const config = resolveTrainConfig({ ...TINY, init: "he-normal" });
    const dataset = loadDataset("spirals", { seed: 0, dtype: "f64", samples: 200 });
    const trainer = new Trainer(config, dataset);
    const probe = buildProbe({
      ...resolveTrainConfig(config),
      dataset: "gaussian",
      loss: "cross-entropy",
      inputDim: 2,
      outputs: 3,
    });
    expect(Array.from(trainer.network.blocks[1]!.dense.W.data)).toEqual(
      Array.from(probe.network.blocks[1]!.dense.W.data),
    );
  });
});

describe("train: what it learns", () => {
  it("a ReLU He net with Adam learns spirals (test accuracy > 0.9)", async () => {
    const result = await train({
      dataset: "spirals",
      depth: 4,
      width: 64,
      activation: "relu",
      init: "he-normal",
      optimizer: "adam",
      lr: 0.01,
      steps: 300,
      evalEvery: 100,
    });
    // measured: test acc 0.985, train acc 0.994, loss 1.28 -> 0.023
    expect(result.summary.status).toBe("completed");
    expect(result.summary.testAcc).toBeGreaterThan(0.9);
    expect(result.summary.trainAcc).toBeGreaterThan(0.9);
    expect(result.summary.testLoss).toBeLessThan(0.3);
    expect(result.summary.initialLoss).toBeGreaterThan(1);
  });

  it("a 20-layer sigmoid net with standard-uniform init barely learns: vanishing gradients", async () => {
    const result = await train({
      dataset: "spirals",
      depth: 20,
      width: 64,
      activation: "sigmoid",
      init: "standard-uniform",
      optimizer: "sgd",
      lr: 0.1,
      steps: 500,
      evalEvery: 250,
    });
    const s = result.summary;
    // measured: train loss 1.101, test loss 1.112, test acc 0.29; ln 3 = 1.0986
    expect(s.status).toBe("completed");
    expect(Math.abs(s.trainLoss! - Math.log(3))).toBeLessThan(0.05);
    expect(Math.abs(s.testLoss! - Math.log(3))).toBeLessThan(0.05);
    expect(s.testAcc).toBeLessThan(0.5);
    // measured: layer 1 gets ~1e-18 and layer 20 ~1e-1 at every recorded step
    for (const r of result.records) {
      const first = r.layers[0]!.gradWeightNorm;
      const last = r.layers[19]!.gradWeightNorm;
      expect(first / last).toBeLessThan(1e-12);
      expect(r.layers[0]!.updateRatio!).toBeLessThan(r.layers[19]!.updateRatio! - 10);
    }
    expect(s.gradients.initial?.verdict).toBe("vanishing");
    expect(s.gradients.final?.verdict).toBe("vanishing");
  });
});

describe("train: explosions", () => {
  // tanh, depth 30, weights N(0, 4/fan_in), plain SGD at lr 1 with mse: the hidden layers
  // saturate (tanh' = 0 exactly) while the readout's least-squares problem diverges
  // geometrically (~1e33 per 10 steps) until the squared error overflows float64.
  // (With the default cross-entropy the same net does not explode: the loss gradient is
  // bounded, and saturation makes the gradient vanish instead.)
  const EXPLODING: Partial<TrainConfig> = {
    dataset: "spirals",
    depth: 30,
    width: 64,
    activation: "tanh",
    init: "normal",
    weightVar: 4,
    optimizer: "sgd",
    lr: 1,
    loss: "mse",
    steps: 200,
  };

  it("tanh depth 30, weight var 4, lr 1 explodes: status exploded with the step, readable run dir", async () => {
    const dir = join(tempDir(), "boom");
    const result = await train(EXPLODING, { runDir: dir });
    const e = result.summary.explosion!;
    expect(result.summary.status).toBe("exploded");
    // measured: the loss overflows at step 98 (loss 3.4e303 at step 97); every tensor in the
    // network is still finite, so the site is the loss itself
    expect(e.step).toBe(98);
    expect(e).toMatchObject({ layer: null, what: "loss", loss: Number.POSITIVE_INFINITY });
    expect(e.message).toMatch(/exploded at step 98/);
    expect(result.summary.stepsDone).toBe(98);
    const back = readRunDir(dir);
    expect(back.summary?.status).toBe("exploded");
    expect(back.summary?.explosion).toMatchObject({ step: 98, what: "loss" });
    const text = readFileSync(join(dir, "metrics.jsonl"), "utf8").trimEnd().split("\n");
    const last = JSON.parse(text[text.length - 1]!) as Record<string, unknown>;
    expect(last.step).toBe(98);
    expect(last.loss).toBe("Infinity"); // non-finite numbers are strings in JSON
    expect(back.records[back.records.length - 1]!.layers[0]!.updateRatio).toBeNull();
    // before it: the loss grew by > 1e30 every 10 steps
    const losses = back.records.map((r) => r.loss);
    expect(losses[losses.length - 2]!).toBeGreaterThan(1e280);
  });

  it("the same run with --clip global-norm --clip-threshold 1 stays finite", async () => {
    const result = await train({ ...EXPLODING, clip: "global-norm", clipThreshold: 1 });
    // measured: 199 of 200 steps clipped, final loss 1.22
    expect(result.summary.status).toBe("completed");
    expect(result.summary.explosion).toBeNull();
    expect(result.summary.clippedSteps).toBeGreaterThan(150);
    expect(result.records[result.records.length - 1]!.clipped).toBe(result.summary.clippedSteps);
    for (const r of result.records) expect(Number.isFinite(r.loss)).toBe(true);
    expect(result.summary.finalLoss!).toBeLessThan(10);
  });

  it("names the first layer holding NaN/Inf in the forward pass (ReLU, weight var 4, lr 1)", async () => {
    const result = await train({
      depth: 30,
      width: 64,
      activation: "relu",
      init: "normal",
      weightVar: 4,
      lr: 1,
      steps: 50,
    });
    // measured: loss 2.3e4 at step 1; step 2's update overflows, and at step 3 z of layer 3
    // is the first non-finite tensor of the forward pass
    expect(result.summary.explosion).toMatchObject({ step: 3, layer: 3, what: "z" });
    const last = result.records[result.records.length - 1]!;
    expect(last.layers[1]!.nonfinite).toBeGreaterThan(0); // layer 2's gradients are NaN too
    expect(Number.isNaN(last.loss)).toBe(true);
  });
});

describe("train: interruption and failure", () => {
  it("an AbortSignal stops the run with status interrupted and a readable directory", async () => {
    const dir = join(tempDir(), "stop");
    const controller = new AbortController();
    const result = await train(
      { ...TINY, steps: 1000 },
      {
        runDir: dir,
        signal: controller.signal,
        onRecord: (r) => {
          if (r.step === 30) controller.abort();
        },
      },
    );
    expect(result.summary.status).toBe("interrupted");
    expect(result.summary.stepsDone).toBe(30);
    const back = readRunDir(dir);
    expect(back.summary).toMatchObject({ status: "interrupted", stepsDone: 30 });
    expect(back.records.map((r) => r.step)).toEqual([1, 5, 10, 15, 20, 25, 30]);
  });

  it("an error mid-run writes summary status failed, keeps the metrics, and rethrows", async () => {
    const dir = join(tempDir(), "fail");
    await expect(
      train(TINY, {
        runDir: dir,
        onRecord: (r) => {
          if (r.step === 15) throw new Error("disk on fire");
        },
      }),
    ).rejects.toThrow("disk on fire");
    const back = readRunDir(dir);
    expect(back.summary).toMatchObject({ status: "failed", error: "disk on fire", stepsDone: 15 });
    expect(back.records.map((r) => r.step)).toEqual([1, 5, 10, 15]);
  });

  it("takes any sink (no files)", async () => {
    const got: string[] = [];
    const sink: RunSink = {
      writeConfig: () => got.push("config"),
      appendRecord: (r) => got.push(`record ${r.step}`),
      writeSummary: (s) => got.push(`summary ${s.status}`),
      close: () => got.push("close"),
    };
    await train({ ...TINY, steps: 5, evalEvery: 0 }, { sink });
    expect(got).toEqual([
      "config",
      "summary running",
      "record 1",
      "record 5",
      "summary completed",
      "close",
    ]);
  });
});

describe("Trainer.step", () => {
  it("reuses the minibatch and network buffers from step to step", () => {
    const dataset = loadDataset("moons", { seed: 3, dtype: "f64", samples: 100 });
    const trainer = new Trainer({ ...TINY, dataset: "moons", recordEvery: 1000 }, dataset);
    trainer.step();
    const x = trainer.sampler.x;
    const z = trainer.network.blocks[2]!.z;
    const dz = trainer.network.blocks[2]!.dz;
    for (let i = 0; i < 8; i++) expect(trainer.step()).toBeNull();
    expect(trainer.sampler.x).toBe(x);
    expect(trainer.network.blocks[2]!.z).toBe(z);
    expect(trainer.network.blocks[2]!.dz).toBe(dz);
    expect(trainer.stepsDone).toBe(9);
  });

  it("a loss that does not fit the data is a one-line config error", () => {
    const dataset = loadDataset("teacher", { seed: 0, dtype: "f64", samples: 50 });
    expect(
      () => new Trainer({ dataset: "csv", csv: "x.csv", loss: "cross-entropy" }, dataset),
    ).toThrow(/cross-entropy needs a classification dataset/);
  });
});

describe("train: batch norm's final evaluation (precise BN)", () => {
  it("recomputes the running statistics from the final weights and keeps the momentum-average numbers", async () => {
    // 12 sigmoid layers with batch norm at a large step: the momentum-0.1 averages lag the
    // weights, so eval mode with them scores worse than the network is
    const config = {
      ...TINY,
      depth: 12,
      width: 32,
      batch: 32,
      activation: "sigmoid",
      batchNorm: true,
      lr: 0.1,
      steps: 150,
      recordEvery: 50,
      evalEvery: 50,
    } as const;
    const dataset = loadDataset("spirals", { seed: 0, dtype: "f64", samples: 400 });
    const trainer = new Trainer(config, dataset);
    while (!trainer.finished) trainer.step();
    expect(trainer.batchNormEval?.layers).toBe(12);
    const before = trainer.batchNormEval!.runningStats;
    const after = trainer.lastEval!;
    expect(before.step).toBe(150);
    // the recomputed statistics fit the training set better than the lagging averages
    expect(after.train.loss).toBeLessThan(before.train.loss);
    // the summary reports the recomputed evaluation, and the old one beside it
    const s = trainer.summary("completed");
    expect(s.trainLoss).toBe(after.train.loss);
    expect(s.batchNorm).toEqual({
      recalibratedLayers: 12,
      runningStats: {
        trainLoss: before.train.loss,
        trainAcc: before.train.accuracy,
        testLoss: before.test!.loss,
        testAcc: before.test!.accuracy,
      },
    });
    // the network keeps the recomputed statistics: evaluating it again gives the same numbers
    expect(trainer.evaluateNow().train.loss).toBe(after.train.loss);
  });

  it("leaves networks without batch norm alone", async () => {
    const result = await train({ ...TINY, steps: 20 });
    expect(result.summary.batchNorm).toBeNull();
  });
});
