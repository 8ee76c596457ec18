/**
 * Independent reference for the recurrent engine: PyTorch replays a recurrent probe's dump
 * (scripts/replay_recurrent.py, through replay-torch.py) and must reproduce every h_t, c_t,
 * dL/dh_t, dL/dc_t and parameter gradient (1e-10 relative in float64, 1e-4 in float32), and
 * torch's fused nn.RNN/LSTM/GRU must agree with the unrolled equations. Needs python3-torch
 * (CI installs it); elsewhere the test is skipped, visibly, when torch is missing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveRecurrentConfig } from "../src/experiment/recurrent/config.ts";
import { recurrentDumpChunks } from "../src/experiment/recurrent/dump.ts";
import {
  buildRecurrentProbe,
  recurrentForwardBackward,
} from "../src/experiment/recurrent/probe-setup.ts";

const PYTHON = "/usr/bin/python3";
const hasTorch = spawnSync(PYTHON, ["-c", "import torch"], { stdio: "ignore" }).status === 0;
if (!hasTorch && process.env.CI)
  throw new Error("CI must install python3-torch for the recurrent replay test");

const base = { seqLen: 12, width: 6, inputDim: 3, batch: 4, biasVar: 0.1 };
const cases: Record<string, unknown>[] = [
  { arch: "rnn", activation: "tanh", recurrentGain: 1.2 },
  {
    arch: "rnn",
    activation: "sigmoid",
    init: "xavier-uniform",
    recurrentInit: "normal",
    recurrentGain: 3,
  },
  {
    arch: "rnn",
    activation: "relu",
    init: "he-normal",
    recurrentInit: "identity",
    recurrentGain: 0.9,
  },
  { arch: "rnn", activation: "identity", recurrentGain: 0.8, loss: "mse" },
  { arch: "lstm", forgetBias: 1 },
  {
    arch: "lstm",
    loss: "cross-entropy",
    outputs: 3,
    recurrentInit: "xavier-normal",
    forgetBias: 0,
  },
  { arch: "gru", recurrentGain: 1.5 },
  { arch: "gru", loss: "mse", outputs: 2, recurrentInit: "identity" },
  { arch: "rnn", activation: "tanh", dtype: "f32" },
  { arch: "lstm", dtype: "f32" },
  { arch: "gru", dtype: "f32" },
];

describe.skipIf(!hasTorch)("PyTorch replays the recurrent probe's dump", () => {
  const dir = mkdtempSync(join(tmpdir(), "gradscope-replay-recurrent-"));
  cases.forEach((overrides, i) => {
    it(JSON.stringify(overrides), () => {
      const config = resolveRecurrentConfig({ ...base, ...overrides });
      const setup = buildRecurrentProbe(config);
      const loss = recurrentForwardBackward(setup);
      const file = join(dir, `dump-${i}.json`);
      writeFileSync(file, [...recurrentDumpChunks(setup, loss)].join(""));
      const report = JSON.parse(
        execFileSync(PYTHON, ["scripts/replay-torch.py", file], { encoding: "utf8" }),
      );
      if (process.env.GRADSCOPE_REPLAY_REPORT)
        console.log(JSON.stringify({ overrides, worst: report.worst }));
      expect(report.ok, JSON.stringify(report.worst)).toBe(true);
      for (const [key, err] of Object.entries(report.worst as Record<string, number>)) {
        expect(err, key).toBeLessThanOrEqual(report.tolerance);
      }
      expect(Object.keys(report.worst)).toContain("dh per step");
    });
  });
});
