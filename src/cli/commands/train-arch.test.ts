import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readSequenceRun } from "../../experiment/sequence-train/read.ts";
import { main } from "../main.ts";
import { captureOutput } from "../test-output.ts";

async function run(...argv: string[]) {
  const output = captureOutput();
  const code = await main(argv, output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

const tempDir = (): string => mkdtempSync(join(tmpdir(), "gradscope-cli-train-arch-"));

const GRU = ["--arch", "gru", "--task", "copy", "--seq-len", "10", "--width", "8", "--steps", "20"];
const TRANSFORMER = [
  ...["--arch", "transformer", "--depth", "3", "--width", "16", "--heads", "2"],
  ...["--ffn-width", "32", "--seq-len", "6", "--vocab", "4", "--batch", "8", "--steps", "20"],
  ...["--train-size", "64", "--test-size", "32"],
];

describe("gradscope train --arch rnn|lstm|gru", () => {
  it("writes the run directory: config, one record per time step, the verdict over time steps", async () => {
    const dir = join(tempDir(), "gru");
    const r = await run("train", ...GRU, "--out", dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^gradscope train: copy\/memory task, T = 10: .*; gru, hidden 8/);
    expect(r.stdout).toMatch(/completed 20 steps; test loss [\d.]+, accuracy [\d.]+/);
    expect(r.stdout).toMatch(/\|dL\/dh_t\| by time step \(t = 1 -> T, log scale\) at step 20: /);
    expect(r.stdout).toContain(`run directory: ${dir}`);
    expect(r.stderr).toMatch(/train: step 20\/20 \(100%\)/);
    const back = readSequenceRun(dir)!;
    expect(back.config).toMatchObject({ arch: "gru", task: "copy", seqLen: 10, width: 8 });
    expect(back.records.map((x) => x.step)).toEqual([1, 10, 20]);
    const first = back.records[0]!;
    expect(Object.keys(first).sort()).toEqual(
      ["step", "loss", "lr", "clipped", "gradNorm", "recurrentWeightNorm", "timeSteps"].sort(),
    );
    expect(first.timeSteps).toHaveLength(10);
    expect(Object.keys(first.timeSteps![0]!).sort()).toEqual(
      [
        "t",
        "gradHiddenNorm",
        "gradHiddenMeanSq",
        "hiddenStd",
        "hiddenMeanSq",
        "saturated",
        "nonfinite",
        "underflow",
      ].sort(),
    );
    expect(back.records[2]!.testAcc).toBeGreaterThanOrEqual(0);
    const s = back.summary!;
    expect(s.status).toBe("completed");
    expect(s.verdictMessage).toMatch(/time step/);
    expect(r.stdout).toContain(`verdict: ${s.verdictMessage}`);
    expect(s.testLoss).toBe(back.records[2]!.testLoss);
    expect(existsSync(join(dir, ".gradscope.lock"))).toBe(false); // released at the end
  });

  it("--json prints {runDir, config, summary}; a run's config.json repeats it exactly; --config reads arch", async () => {
    const root = tempDir();
    const a = await run("train", ...GRU, "--out", join(root, "a"), "--json", "--quiet");
    expect(a.code).toBe(0);
    expect(a.stderr).toBe("");
    const json = JSON.parse(a.stdout);
    expect(json.runDir).toBe(join(root, "a"));
    expect(json.summary.verdict).toBeTypeOf("string");
    const b = await run(
      "train",
      "--config",
      join(root, "a", "config.json"),
      "--out",
      join(root, "b"),
      "--quiet",
    );
    expect(b.code).toBe(0);
    const lines = (d: string) => readFileSync(join(root, d, "metrics.jsonl"), "utf8");
    expect(lines("b")).toBe(lines("a"));
    const file = join(root, "lstm.json");
    writeFileSync(
      file,
      JSON.stringify({ arch: "lstm", task: "adding", seqLen: 8, width: 4, steps: 5 }),
    );
    const c = await run("train", "--config", file, "--out", join(root, "c"), "--quiet");
    expect(c.code).toBe(0);
    expect(readSequenceRun(join(root, "c"))!.config).toMatchObject({ arch: "lstm", seqLen: 8 });
    writeFileSync(file, JSON.stringify({ arch: "lstm", heads: 2 }));
    const bad = await run("train", "--config", file, "--quiet");
    expect(bad.stderr).toBe(
      "gradscope: heads does not apply to a recurrent net (--arch rnn, lstm, gru)\n",
    );
  });

  it("refuses options that do not apply with one line and exit code 2", async () => {
    const cases: [string[], string][] = [
      [
        ["--arch", "lstm", "--depth", "3"],
        "--depth does not apply to a recurrent net (--arch rnn, lstm, gru)",
      ],
      [
        ["--arch", "rnn", "--heads", "2"],
        "--heads does not apply to a recurrent net (--arch rnn, lstm, gru)",
      ],
      [
        ["--arch", "transformer", "--forget-bias", "2"],
        "--forget-bias does not apply to --arch transformer",
      ],
      [
        ["--arch", "transformer", "--dataset", "moons"],
        "--dataset does not apply to --arch transformer",
      ],
      [
        ["--seq-len", "5"],
        "--seq-len does not apply to --arch mlp (the default); give --arch rnn, lstm, gru or transformer",
      ],
      [
        ["--arch", "rnn", "--task", "token"],
        "--task token is a transformer task; --arch rnn trains on: adding, copy, digits",
      ],
      [
        ["--arch", "transformer", "--task", "copy"],
        "--task copy is a recurrent task; --arch transformer trains on: sequence, token",
      ],
      [
        ["--arch", "gru", "--clip", "value"],
        "--clip value is not available for a recurrent net (--arch rnn, lstm, gru) (none or global-norm)",
      ],
      [
        ["--arch", "lstm", "--activation", "relu"],
        "--activation applies to --arch rnn only (lstm has fixed sigmoid/tanh gates; got 'relu')",
      ],
      [
        ["--arch", "rnn", "--task", "adding", "--samples", "100"],
        "--samples applies to --task digits only (adding draws fresh examples every step)",
      ],
      [
        ["--arch", "rnn", "--resume", "runs/x"],
        "--resume is not available for --arch rnn yet (no checkpoints)",
      ],
      [
        ["--arch", "cnn"],
        "option '--arch <value>' argument 'cnn' is invalid. Allowed choices are mlp, rnn, lstm, gru, transformer.",
      ],
    ];
    for (const [argv, message] of cases) {
      const r = await run("train", ...argv, "--quiet");
      expect({ argv, code: r.code, stderr: r.stderr }).toEqual({
        argv,
        code: 2,
        stderr: `gradscope: ${message}\n`,
      });
    }
  });

  it("diagnose and report read the run: the same verdict, what is not judged, a time-step heatmap", async () => {
    const dir = join(tempDir(), "rnn");
    const t = await run(
      "train",
      "--arch",
      "rnn",
      "--task",
      "adding",
      "--seq-len",
      "30",
      "--width",
      "8",
      "--steps",
      "30",
      "--out",
      dir,
      "--quiet",
    );
    expect(t.code).toBe(0);
    const summary = readSequenceRun(dir)!.summary!;
    const d = await run("diagnose", dir);
    expect(d.code).toBe(0);
    expect(d.stdout).toContain(`verdict: ${summary.verdictMessage}\n`);
    expect(d.stdout).toContain(
      "not measurable here: unstable-updates (the run has no updateRatio)",
    );
    expect(d.stdout).toContain("not measurable here: dead-units (the run has no dead, inactive)");
    const dj = JSON.parse((await run("diagnose", dir, "--json")).stdout);
    expect(dj.verdict).toBe(summary.verdict);
    const r = await run("report", dir, "--json");
    expect(r.code).toBe(0);
    const written = JSON.parse(r.stdout);
    expect(written.figures.map((f: { name: string }) => f.name)).toEqual([
      "loss-curves",
      "time-step-heatmap",
    ]);
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(html).toContain("time step t (1 = first input, 30 = read out)");
    expect(html).toContain("log₁₀ ‖∂L/∂hₜ‖");
    expect(html).toContain(summary.verdictMessage!.replace(/'/g, "&#39;"));
  });
});

describe("gradscope train --arch transformer", () => {
  it("records every block (the probe's metrics) and judges over blocks; report draws per-block heatmaps", async () => {
    const dir = join(tempDir(), "tf");
    const r = await run("train", ...TRANSFORMER, "--norm-position", "pre", "--out", dir, "--quiet");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/transformer, 3 blocks \(pre-LN\), width 16, 2 heads, ffn 32 relu/);
    const back = readSequenceRun(dir)!;
    const rec = back.records[0]!;
    expect(rec.blocks).toHaveLength(3);
    expect(rec.blocks![0]).toMatchObject({ layer: 1 });
    expect(rec.blocks![2]!.gradNorms).toHaveProperty("ffn.W2");
    expect(back.summary!.verdictMessage).toMatch(/block/);
    expect(back.summary!.testAcc).not.toBeNull();
    const rep = JSON.parse((await run("report", dir, "--json")).stdout);
    expect(rep.figures.map((f: { name: string }) => f.name)).toEqual([
      "loss-curves",
      "block-gradient-heatmap",
      "block-weight-gradient-heatmap",
    ]);
  });

  it("compare --vary over the norm position trains each variant on the same task", async () => {
    const r = await run("compare", ...TRANSFORMER, "--vary", "normPosition=post,pre");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^gradscope compare: sequence task, T = 6/);
    expect(r.stdout).toMatch(/normPosition=post +completed/);
    expect(r.stdout).toMatch(/normPosition=pre +completed/);
    expect(r.stdout).toMatch(/ranking \(by test loss\): 1\. /);
    const mixed = await run("compare", "--vary", "arch=lstm,transformer");
    expect(mixed.stderr).toMatch(/^gradscope: /);
    expect(mixed.code).toBe(2);
  });
});

describe("gradscope train --arch: Ctrl-C", () => {
  it("ends the run with status interrupted and exit code 130, the records kept", async () => {
    const dir = join(tempDir(), "sigint");
    const root = fileURLToPath(new URL("../../..", import.meta.url));
    const child = spawn(
      process.execPath,
      [
        ...["--import", "tsx", "src/cli/run.ts", "train", "--arch", "lstm", "--seq-len", "20"],
        ...["--width", "8", "--steps", "1000000", "--record-every", "5", "--out", dir],
      ],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    const started = new Promise<void>((resolve) => {
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes("train: step")) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    await started;
    child.kill("SIGINT");
    const code = await exited;
    expect(stderr).toMatch(/interrupted; writing the run/);
    expect(code).toBe(130);
    expect(stdout).toMatch(/interrupted after \d+ of 1000000 steps/);
    const back = readSequenceRun(dir)!;
    expect(back.summary!.status).toBe("interrupted");
    expect(back.records.length).toBeGreaterThan(0);
    expect(back.summary!.recordedSteps).toBe(back.records.length);
  }, 60_000);
});
