import { describe, expect, it } from "vitest";
import { ConfigError, resolveTrainConfig } from "../config.ts";
import { loadDataset } from "../datasets/index.ts";
import { completeTrainConfig, configHash, defaultRunDir, scheduleOf } from "./train-config.ts";

const spirals = loadDataset("spirals", { seed: 0, dtype: "f64", samples: 100 });
const teacher = loadDataset("teacher", { seed: 0, dtype: "f64", samples: 100 });

describe("resolveTrainConfig", () => {
  it("has the documented defaults", () => {
    const c = resolveTrainConfig();
    expect(c).toMatchObject({
      dataset: "spirals",
      optimizer: "sgd",
      steps: 500,
      batch: 64,
      recordEvery: 10,
      evalEvery: 50,
      clip: "none",
      schedule: "constant",
      loss: null,
      lr: null,
      out: null,
    });
  });

  it("names the flag or the key in one-line errors", () => {
    const cases: [Record<string, unknown>, "flag" | "key", RegExp][] = [
      [{ lr: "-1" }, "flag", /^--lr must be >= 0 \(got '-1'\)$/],
      [{ lr: -1 }, "key", /^lr must be >= 0/],
      [{ optimizer: "rmsprop" }, "flag", /--optimizer must be one of: sgd, momentum/],
      [{ dataset: "csv" }, "flag", /--dataset csv needs --csv FILE/],
      [{ csv: "a.csv" }, "key", /csv needs dataset csv/],
      [{ optimizer: "adam", momentum: 0.9 }, "flag", /--momentum applies to --optimizer sgd/],
      [{ optimizer: "nesterov", momentum: 0 }, "flag", /nesterov needs --momentum > 0/],
      [{ clip: "value", clipThreshold: 0 }, "flag", /--clip-threshold must be > 0/],
      [{ dataset: "teacher", loss: "cross-entropy" }, "flag", /teacher is regression/],
      [{ loss: "random-projection" }, "flag", /--loss must be one of: mse, cross-entropy/],
      [{ classes: 4, dataset: "moons" }, "flag", /--classes applies to --dataset spirals or blobs/],
      [{ steps: 1.5 }, "flag", /--steps must be an integer/],
      [{ epochs: 3 }, "key", /unknown config key 'epochs'/],
    ];
    for (const [input, source, message] of cases) {
      expect(() => resolveTrainConfig(input, source), JSON.stringify(input)).toThrow(ConfigError);
      expect(() => resolveTrainConfig(input, source), JSON.stringify(input)).toThrow(message);
    }
  });
});

describe("completeTrainConfig", () => {
  it("fills the loss from the task and the rates from the optimizer", () => {
    const c = completeTrainConfig(resolveTrainConfig(), spirals);
    expect(c).toMatchObject({ loss: "cross-entropy", lr: 0.1, momentum: 0, weightDecay: 0 });
    expect(c).toMatchObject({ samples: 1000, noise: 0.2, classes: 3, dataSeed: 0 });
    const r = completeTrainConfig(resolveTrainConfig({ dataset: "teacher" }), teacher);
    expect(r.loss).toBe("mse");
    const a = completeTrainConfig(resolveTrainConfig({ optimizer: "adamw", seed: 4 }), spirals);
    expect(a).toMatchObject({ lr: 0.001, momentum: null, weightDecay: 0.01, dataSeed: 4 });
    const m = completeTrainConfig(resolveTrainConfig({ optimizer: "momentum" }), spirals);
    expect(m).toMatchObject({ lr: 0.01, momentum: 0.9 });
  });

  it("caps the batch at the training set and fills the schedule's steps", () => {
    const c = completeTrainConfig(
      resolveTrainConfig({ batch: 500, schedule: "warmup", steps: 300 }),
      spirals,
    );
    expect(c.batch).toBe(80);
    expect(c.warmupSteps).toBe(30);
    expect(scheduleOf(c)).toEqual({ kind: "warmup", warmupSteps: 30 });
    const s = completeTrainConfig(resolveTrainConfig({ schedule: "step", steps: 90 }), spirals);
    expect(scheduleOf(s)).toEqual({ kind: "step", stepSize: 30, gamma: 0.1 });
    const k = completeTrainConfig(resolveTrainConfig({ schedule: "cosine", minLr: 0.01 }), spirals);
    expect(scheduleOf(k)).toEqual({ kind: "cosine", totalSteps: 500, minLr: 0.01 });
  });
});

describe("run names", () => {
  it("hash the config (not the output directory) and stamp the time", () => {
    const a = resolveTrainConfig({ depth: 3 });
    expect(configHash(a)).toMatch(/^[0-9a-f]{8}$/);
    expect(configHash({ ...a, out: "elsewhere" })).toBe(configHash(a));
    expect(configHash({ ...a, depth: 4 })).not.toBe(configHash(a));
    const when = new Date(2025, 0, 2, 3, 4, 5);
    expect(defaultRunDir(a, when)).toBe(`runs/20250102-030405-${configHash(a)}`);
  });
});
