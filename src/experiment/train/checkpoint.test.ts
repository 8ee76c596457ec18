import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.ts";
import { ConfigError, resolveTrainConfig } from "../config.ts";
import { loadDataset } from "../datasets/index.ts";
import {
  CHECKPOINT_FILE,
  checkpointOption,
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpoint,
  writeCheckpoint,
} from "./checkpoint.ts";
import { datasetOptions } from "./train-config.ts";
import { Trainer } from "./trainer.ts";

const CONFIG = {
  depth: 3,
  width: 6,
  batch: 8,
  samples: 100,
  steps: 40,
  recordEvery: 5,
  evalEvery: 10,
  optimizer: "adam",
  lr: 0.01,
  batchNorm: true,
} as const;

function trainer(extra: Record<string, unknown> = {}): Trainer {
  const config = { ...CONFIG, ...extra };
  return new Trainer(config, loadDataset("spirals", datasetOptions(resolveTrainConfig(config))));
}

function bits(a: ArrayLike<number> & { buffer: ArrayBufferLike }): string {
  return Buffer.from(a.buffer as ArrayBuffer).toString("hex");
}

describe("checkpoint encoding", () => {
  it("round-trips a trainer's state bit for bit, -0, NaN and Infinity included", () => {
    for (const dtype of ["f32", "f64"]) {
      const t = trainer({ dtype });
      for (let i = 0; i < 13; i++) t.step();
      const state = t.exportState();
      const firstName = Object.keys(state.tensors)[0]!;
      const first = state.tensors[firstName]!;
      first[0] = -0;
      first[1] = Number.NaN;
      first[2] = Number.NEGATIVE_INFINITY;
      state.lastGradNorm = Number.POSITIVE_INFINITY;
      state.initialLoss = -0;
      const back = decodeCheckpoint(encodeCheckpoint(t.config, state), "test").state;
      expect(Object.keys(back.tensors)).toEqual(Object.keys(state.tensors));
      for (const [name, data] of Object.entries(state.tensors)) {
        expect(back.tensors[name]!.constructor).toBe(data.constructor);
        expect(bits(back.tensors[name]!)).toBe(bits(data));
      }
      expect(Object.keys(state.tensors).some((n) => n.endsWith("runningVar"))).toBe(true);
      expect(Object.is(back.initialLoss, -0)).toBe(true);
      expect(back.lastGradNorm).toBe(Number.POSITIVE_INFINITY);
      expect(back.sampler).toEqual(state.sampler);
      expect(back.optimizer.step).toBe(state.optimizer.step);
      for (const [p, slots] of Object.entries(state.optimizer.buffers)) {
        for (const [s, data] of Object.entries(slots)) {
          expect(bits(back.optimizer.buffers[p]![s] as Float64Array)).toBe(
            bits(data as Float64Array),
          );
        }
      }
      expect(back.lastEval).toEqual(state.lastEval);
    }
  });

  it("a restored trainer takes the very steps the original takes", () => {
    const a = trainer();
    for (let i = 0; i < 17; i++) a.step();
    const b = trainer();
    b.importState(decodeCheckpoint(encodeCheckpoint(a.config, a.exportState()), "x").state);
    while (!a.finished) expect(b.step()).toEqual(a.step());
    expect(b.finished).toBe(true);
    expect(b.summary("completed")).toEqual(a.summary("completed"));
  });

  it("rejects a state that does not fit the network", () => {
    const a = trainer();
    a.step();
    const other = trainer({ width: 7 });
    expect(() => other.importState(a.exportState())).toThrow(/does not fit/);
    const sgd = trainer({ optimizer: "sgd" });
    expect(() => sgd.importState(a.exportState())).toThrow(/optimizer/);
  });

  it("damaged text gives a ConfigError naming the file", () => {
    const t = trainer();
    t.step();
    const text = encodeCheckpoint(t.config, t.exportState());
    for (const bad of [
      "",
      "{",
      "null",
      "[]",
      '{"format":"other"}',
      text.slice(0, text.length / 2),
      text.replace(/"base64":"[^"]*"/, '"base64":"AAAA"'),
      text.replace('"version":1', '"version":99'),
    ]) {
      expect(() => decodeCheckpoint(bad, "run/checkpoint.json")).toThrow(ConfigError);
      expect(() => decodeCheckpoint(bad, "run/checkpoint.json")).toThrow(
        /^checkpoint run\/checkpoint.json is damaged: [^\n]+$/,
      );
    }
  });

  it("writes atomically into the run directory and reads back; none gives null", () => {
    const dir = mkdtempSync(join(tmpdir(), "gradscope-ckpt-"));
    expect(readCheckpoint(dir)).toBeNull();
    const t = trainer();
    for (let i = 0; i < 3; i++) t.step();
    writeCheckpoint(dir, t);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp"))).toEqual([]);
    const text = readFileSync(join(dir, CHECKPOINT_FILE), "utf8");
    expect(text.endsWith("\n")).toBe(true);
    expect(readCheckpoint(dir)?.state.stepsDone).toBe(3);
    // a stale temporary file left by a killed writer does not matter
    writeFileSync(join(dir, `${CHECKPOINT_FILE}.tmp`), "{torn");
    expect(readCheckpoint(dir)?.state.stepsDone).toBe(3);
    expect(() => checkpointOption(dir, 0)).toThrow(ConfigError);
  });

  it("Rng.state / setState continue the stream exactly; bad states are refused", () => {
    const a = new Rng(42);
    for (let i = 0; i < 7; i++) a.normal();
    const b = new Rng(1);
    b.setState(a.state());
    for (let i = 0; i < 100; i++) expect(b.nextUint32()).toBe(a.nextUint32());
    expect(() => b.setState([1, 2, 3])).toThrow(RangeError);
    expect(() => b.setState([1, 2, 3, 2 ** 32])).toThrow(RangeError);
  });
});
