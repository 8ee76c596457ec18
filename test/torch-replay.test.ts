/**
 * Independent reference: PyTorch replays `gradscope probe --dump` and must reproduce every
 * activation and gradient (1e-10 relative in float64). Needs Debian's python3-torch, which
 * .ci/run installs; outside CI the test is skipped, visibly, when torch is missing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/main.ts";
import { captureOutput } from "../src/cli/test-output.ts";

const PYTHON = "/usr/bin/python3";
const hasTorch = spawnSync(PYTHON, ["-c", "import torch"], { stdio: "ignore" }).status === 0;
if (!hasTorch && process.env.CI)
  throw new Error("CI must install python3-torch for the replay test");

const cases = [
  "--depth 5 --width 16 --batch 8 --activation tanh --bias-var 0.1",
  "--depth 4 --width 8 --batch 6 --activation gelu --batch-norm --residual --branch-scale 0.5",
  "--depth 4 --width 8 --batch 6 --activation selu --layer-norm --loss cross-entropy --outputs 3",
  "--depth 6 --width 8 --batch 5 --activation leaky-relu --slope 0.2 --init he-uniform --loss mse",
  "--depth 5 --width 16 --batch 8 --activation swish --dtype f32",
  "--depth 5 --width 8 --batch 4 --activation softplus --bias-var 0.5 --residual",
  "--depth 5 --width 8 --batch 4 --activation elu --init orthogonal --batch-norm",
  "--depth 5 --width 8 --batch 4 --activation sigmoid --init standard-uniform",
  "--depth 5 --width 8 --batch 4 --activation relu --init he-normal --input-dim 3",
  "--depth 3 --width 8 --batch 4 --activation identity --init xavier-uniform --gain 2",
  // the other families, through the same CLI flag (issue #15)
  "--arch rnn --seq-len 12 --width 8 --input-dim 3 --batch 4 --activation tanh --recurrent-gain 1.2",
  "--arch rnn --seq-len 8 --width 6 --batch 3 --activation relu --recurrent-init identity --loss mse",
  "--arch lstm --seq-len 10 --width 6 --input-dim 4 --batch 3 --forget-bias 1",
  "--arch gru --seq-len 10 --width 6 --input-dim 4 --batch 3 --loss cross-entropy --outputs 3",
  "--arch lstm --seq-len 6 --width 5 --batch 2 --dtype f32",
  "--arch transformer --depth 3 --width 8 --heads 2 --seq-len 4 --batch 2 --norm-position post",
  "--arch transformer --depth 3 --width 8 --heads 2 --seq-len 4 --batch 2 --norm-position pre --positions learned",
  "--arch transformer --depth 3 --width 8 --heads 2 --seq-len 4 --batch 2 --norm-position deepnorm --activation gelu",
];

describe.skipIf(!hasTorch)("PyTorch replays probe --dump", () => {
  const dir = mkdtempSync(join(tmpdir(), "gradscope-replay-"));
  cases.forEach((flags, i) => {
    it(flags, async () => {
      const file = join(dir, `dump-${i}.json`);
      const output = captureOutput();
      expect(await main(["probe", ...flags.split(" "), "--dump", file, "--json"], output)).toBe(0);
      const report = JSON.parse(
        execFileSync(PYTHON, ["scripts/replay-torch.py", file], { encoding: "utf8" }),
      );
      expect(report.ok, JSON.stringify(report.worst)).toBe(true);
      for (const [key, err] of Object.entries(report.worst as Record<string, number>)) {
        expect(err, key).toBeLessThanOrEqual(report.tolerance);
      }
    });
  });
});
