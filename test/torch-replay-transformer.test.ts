/**
 * Independent reference for the transformer engine: PyTorch (explicit torch ops, autograd)
 * replays a transformer probe dump and must reproduce every block output, input gradient and
 * parameter gradient (1e-10 relative in float64, 1e-4 in float32: replay_common.tolerance).
 * Skipped, visibly, when /usr/bin/python3 has no torch (CI installs it).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type TransformerConfig, transformerConfig } from "../src/experiment/transformer/config.ts";
import { writeTransformerDump } from "../src/experiment/transformer/dump-file.ts";

const PYTHON = "/usr/bin/python3";
const hasTorch = spawnSync(PYTHON, ["-c", "import torch"], { stdio: "ignore" }).status === 0;
if (!hasTorch && process.env.CI)
  throw new Error("CI must install python3-torch for the transformer replay test");

const small = { depth: 4, width: 8, heads: 2, ffnWidth: 16, seqLen: 5, batch: 3, vocab: 6 };

const cases: [string, Partial<TransformerConfig>][] = [
  ["post-LN, f64", { normPosition: "post", biasVar: 0.05 }],
  [
    "pre-LN, f64, learned positions, gelu",
    { normPosition: "pre", positions: "learned", activation: "gelu" },
  ],
  ["deepnorm, f64", { normPosition: "deepnorm", init: "xavier-normal" }],
  [
    "pre-LN, f64, sequence head, cross-entropy",
    { normPosition: "pre", loss: "cross-entropy", task: "sequence", classes: 3 },
  ],
  [
    "post-LN, f64, token head, continuous input",
    { normPosition: "post", loss: "cross-entropy", task: "token", inputDim: 4 },
  ],
  ["deepnorm, f32", { normPosition: "deepnorm", dtype: "f32" }],
];

describe.skipIf(!hasTorch)("PyTorch replays a transformer probe dump", () => {
  const dir = mkdtempSync(join(tmpdir(), "gradscope-replay-transformer-"));
  cases.forEach(([name, overrides], i) => {
    it(name, () => {
      const file = join(dir, `dump-${i}.json`);
      writeTransformerDump(transformerConfig({ ...small, seed: i, ...overrides }), file);
      const report = JSON.parse(
        execFileSync(PYTHON, ["scripts/replay-torch.py", file], { encoding: "utf8" }),
      );
      expect(report.ok, JSON.stringify(report.worst)).toBe(true);
      const worst = report.worst as Record<string, number>;
      // every block tensor was compared, not just some
      for (const key of [
        "y",
        "dx",
        "dattn.Wq",
        "dattn.Wo",
        "dffn.W1",
        "dffn.W2",
        "dln1.gamma",
        "dln2.beta",
        "embed.dE",
      ]) {
        expect(worst[key], key).toBeDefined();
      }
      for (const [key, err] of Object.entries(worst)) {
        expect(err, key).toBeLessThanOrEqual(report.tolerance);
      }
    });
  });
});
