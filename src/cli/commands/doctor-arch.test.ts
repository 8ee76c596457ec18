import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../main.ts";
import { captureOutput } from "../test-output.ts";

async function run(...argv: string[]) {
  const output = captureOutput();
  const code = await main(argv, output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

/** A vanishing tanh RNN, small enough for seconds: 2 seeds x 4 configurations x 40 steps. */
const RNN = [
  ...["doctor", "--arch", "rnn", "--task", "adding", "--seq-len", "20", "--width", "8"],
  ...["--steps", "40", "--seeds", "2", "--more-seeds", "0", "--lr-factors", "1"],
  ...["--test-size", "64", "--record-every", "10", "--jobs", "1"],
];

describe("gradscope doctor --arch", () => {
  it("prints the steps, seeds and budget, the diagnosis over time steps, the table and the headline", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gradscope-doctor-arch-"));
    const r = await run(...RNN, "--out", join(dir, "runs"));
    expect(r.code).toBe(0);
    const out = r.stdout.split("\n");
    expect(out[0]).toMatch(
      /^gradscope doctor --arch rnn: adding problem, T = 20: .*; rnn \(tanh\), hidden 8/,
    );
    expect(out[2]).toBe(
      "40 steps per run; 2 seeds per configuration (0, 1), paired by seed; learning rate 0.01",
    );
    expect(out[3]).toMatch(/^budget: 8 runs of 40 steps on \S.* kernels$/);
    expect(r.stdout).toMatch(
      /diagnosis \(flow over time steps, the configuration as given\):\n {2}seed 0 at initialization: /,
    );
    expect(r.stdout).toMatch(
      /remedies proposed for vanishing:\n {2}IRNN: ReLU with an identity recurrent matrix \(Le, Jaitly & Hinton 2015\): /,
    );
    const header = out.find((l) => l.startsWith("rank"))!;
    for (const col of [
      "remedy",
      "lr",
      "test loss (min-max)",
      "test loss gain ±noise",
      "flow verdict (time steps)",
      "vs no change",
    ])
      expect(header).toContain(col);
    // regression: no accuracy column
    expect(header).not.toContain("test acc");
    expect(r.stdout).toMatch(
      /\n +- +no change +0\.0100 +0\.\d+ \(0\.\d+-0\.\d+\) +vanishing \(2 of 2\)/,
    );
    for (const label of ["LSTM instead of a vanilla RNN", "GRU instead of a vanilla RNN"])
      expect(r.stdout).toContain(label);
    expect(r.stdout).toMatch(/chance: test loss 0\.167 \(the best input-blind answer\)/);
    expect(r.stdout).toMatch(/\nrnn: vanishing: /);
    expect(r.stderr).toMatch(/doctor: 8 runs in \d+\.\d s/);
    // --out keeps every run, named as the MLP doctor names them
    expect(existsSync(join(dir, "runs", "0-no-change-seed0", "summary.json"))).toBe(true);
    expect(
      existsSync(join(dir, "runs", "2-lstm-instead-of-a-vanilla-rnn-seed1", "metrics.jsonl")),
    ).toBe(true);
  }, 120_000);

  it("--json carries the seeds, the budget, the diagnosis and every remedy's judgement", async () => {
    const r = await run(...RNN, "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ arch: "rnn", steps: 40, budget: 40, seeds: [0, 1], runs: 8 });
    expect(j.config).toMatchObject({ arch: "rnn", seqLen: 20, width: 8, steps: 40 });
    expect(j.diagnosis.unit).toBe("time step");
    expect(j.margins).toEqual({
      accuracy: 0.07,
      loss: 0.02,
      chanceLoss: 0.1,
      noiseStandardErrors: 2,
    });
    expect(j.treatments).toHaveLength(3);
    for (const t of j.treatments) {
      expect(t.seeds).toHaveLength(2);
      expect(t.lossGains).toHaveLength(2);
      expect(["better", "rescued", "mixed", "no gain", "worse"]).toContain(t.verdict);
      expect(t.train.command).toMatch(
        /^gradscope train --arch (rnn|lstm|gru) --task adding --seq-len 20 --width 8 --steps 40/,
      );
    }
  }, 120_000);

  it("refuses options that do not apply, in one line", async () => {
    const depth = await run("doctor", "--arch", "lstm", "--depth", "3", "--steps", "20");
    expect(depth.code).toBe(2);
    expect(depth.stderr).toMatch(/--depth does not apply to a recurrent net/);
    const plot = await run("doctor", "--arch", "gru", "--plot", "x.svg", "--steps", "20");
    expect(plot.code).toBe(2);
    expect(plot.stderr).toMatch(/--plot is not available for doctor --arch gru yet/);
    // the MLP doctor still refuses the other families' options
    const mlp = await run("doctor", "--seq-len", "10", "--steps", "20");
    expect(mlp.code).toBe(2);
    expect(mlp.stderr).toMatch(/--seq-len does not apply to --arch mlp/);
  });
});

describe("gradscope doctor --config RUN/config.json", () => {
  it("reads a recurrent run's config.json (its arch too), with --steps as the budget", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gradscope-doctor-arch-config-"));
    const runDir = join(dir, "gru");
    const train = await run(
      ...["train", "--arch", "gru", "--task", "copy", "--seq-len", "6", "--width", "8"],
      ...["--steps", "10", "--test-size", "32", "--out", runDir, "--quiet"],
    );
    expect(train.code).toBe(0);
    const r = await run(
      ...["doctor", "--config", join(runDir, "config.json"), "--steps", "20", "--seeds", "1"],
      ...["--lr-factors", "1", "--more-seeds", "0", "--jobs", "1", "--json"],
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.config).toMatchObject({ arch: "gru", task: "copy", seqLen: 6, width: 8, steps: 20 });
    expect(j.config.out).toBeNull();
    expect(j.seeds).toEqual([0]);
  }, 60_000);
});
