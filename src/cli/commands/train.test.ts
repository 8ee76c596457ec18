import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { TrainSummary } from "../../experiment/train/recorder.ts";
import { readRunDir } from "../../experiment/train/run-dir.ts";
import { formatMetric } from "../format/numbers.ts";
import { main } from "../main.ts";
import { captureOutput } from "../test-output.ts";

async function run(...argv: string[]) {
  const output = captureOutput();
  const code = await main(argv, output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "gradscope-cli-train-"));
}

const SMALL = ["--depth", "2", "--width", "8", "--samples", "100", "--steps", "20"];

describe("gradscope train", () => {
  it("trains, writes the run directory and reports progress and the result", async () => {
    const dir = join(tempDir(), "run");
    const r = await run("train", ...SMALL, "--out", dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^gradscope train: spirals \(80 train \/ 20 test, 2 -> 3\)/);
    expect(r.stdout).toMatch(/completed 20 steps: minibatch loss [\d.]+ -> [\d.]+/);
    expect(r.stdout).toMatch(/gradient norm by layer .* at step 20: \S\S {2}layer 1/);
    expect(r.stdout).toContain(`run directory: ${dir}`);
    // not a TTY: plain progress lines, the last one at 100%, with the gradient sparkline
    expect(r.stderr).toMatch(/^train: step 1\/20 \(5%\) {2}loss/);
    expect(r.stderr).toMatch(/train: step 20\/20 \(100%\) .* \|dW\| \S\S /);
    const back = readRunDir(dir);
    expect(back.summary?.status).toBe("completed");
    expect(back.records.map((x) => x.step)).toEqual([1, 10, 20]);
  });

  it("with batch norm, says the final evaluation used recomputed statistics, and gives the old numbers", async () => {
    const dir = join(tempDir(), "bn");
    const r = await run("train", ...SMALL, "--batch-norm", "--out", dir, "--quiet");
    expect(r.code).toBe(0);
    const summary = readRunDir(dir).summary!;
    const old = summary.batchNorm!.runningStats;
    expect(summary.batchNorm!.recalibratedLayers).toBe(2);
    expect(r.stdout).toMatch(
      /batch norm: final evaluation with running statistics recomputed from the final weights \(2 layers\); with the momentum averages: test loss [\d.]+, test accuracy [\d.]+/,
    );
    expect(r.stdout).toContain(`momentum averages: test loss ${formatMetric(old.testLoss!)}`);
    const plain = await run("train", ...SMALL, "--out", join(tempDir(), "plain"), "--quiet");
    expect(plain.stdout).not.toContain("batch norm:");
  });

  it("--json prints {runDir, config, summary}; --quiet prints no progress", async () => {
    const dir = join(tempDir(), "json");
    const r = await run("train", ...SMALL, "--out", dir, "--json", "--quiet");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const json = JSON.parse(r.stdout);
    expect(json.runDir).toBe(dir);
    expect(json.config).toMatchObject({ depth: 2, width: 8, loss: "cross-entropy", lr: 0.1 });
    expect(json.summary).toMatchObject({ status: "completed", stepsDone: 20 });
    expect(json.summary.finalLoss).toEqual(expect.any(Number));
  });

  it("--config sets every option from a file and flags win; config.json replays a run", async () => {
    const base = tempDir();
    const file = join(base, "train.json");
    writeFileSync(
      file,
      JSON.stringify({ depth: 2, width: 8, samples: 100, steps: 30, lr: 0.5, dataset: "moons" }),
    );
    const a = join(base, "a");
    const r = await run("train", "--config", file, "--steps", "12", "--out", a, "--json");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.config).toMatchObject({ steps: 12, lr: 0.5, dataset: "moons", depth: 2 });
    // the resolved config.json, fed back, repeats the run line for line
    const b = join(base, "b");
    const again = await run("train", "--config", join(a, "config.json"), "--out", b, "--quiet");
    expect(again.code).toBe(0);
    expect(readFileSync(join(b, "metrics.jsonl"), "utf8")).toBe(
      readFileSync(join(a, "metrics.jsonl"), "utf8"),
    );
  });

  it("an explosion is a finding: exit 0, the step printed, status exploded", async () => {
    const dir = join(tempDir(), "boom");
    const r = await run(
      "train",
      ...["--depth", "30", "--width", "64", "--init", "normal", "--weight-var", "4"],
      ...["--activation", "relu", "--lr", "1", "--steps", "50", "--out", dir, "--quiet"],
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/exploded at step 3: first NaN\/Inf in z of layer 3/);
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as TrainSummary;
    expect(summary.explosion).toMatchObject({ step: 3, layer: 3, what: "z", loss: "NaN" });
  });

  it("trains on a CSV file with a named label column", async () => {
    const base = tempDir();
    const csv = join(base, "data.csv");
    const rows = ["a,label,b"];
    for (let i = 0; i < 60; i++) {
      const x = (i % 10) / 10;
      rows.push(`${x},${x > 0.45 ? "big" : "small"},${1 - x}`);
    }
    writeFileSync(csv, `${rows.join("\n")}\n`);
    const dir = join(base, "run");
    const r = await run(
      "train",
      ...["--dataset", "csv", "--csv", csv, "--label-column", "label"],
      ...["--depth", "2", "--width", "8", "--steps", "10", "--out", dir, "--json"],
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.summary.dataset).toMatchObject({ name: "csv", inputDim: 2, outputDim: 2 });
  });

  it("trains on mnist (loaded asynchronously)", async () => {
    const dir = join(tempDir(), "mnist");
    const r = await run(
      "train",
      ...["--dataset", "mnist", "--samples", "200", "--depth", "2", "--width", "16"],
      ...["--steps", "5", "--batch", "32", "--out", dir, "--json"],
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.summary.dataset).toMatchObject({ name: "mnist", inputDim: 784, outputDim: 10 });
    expect(json.summary.dataset.train + json.summary.dataset.test).toBe(200);
  });

  it("bad input exits 2 with one line and writes nothing", async () => {
    const base = tempDir();
    const taken = join(base, "taken");
    await run("train", ...SMALL, "--steps", "2", "--out", taken, "--quiet");
    const badKey = join(base, "bad.json");
    writeFileSync(badKey, JSON.stringify({ learningRate: 0.1 }));
    const cases: [string[], RegExp][] = [
      [["--bogus"], /unknown option '--bogus'/],
      [["--lr", "-1"], /--lr must be >= 0 \(got '-1'\)/],
      [["--optimizer", "rmsprop"], /optimizer/],
      [["--dataset", "csv"], /--dataset csv needs --csv FILE/],
      [["--dataset", "csv", "--csv", join(base, "missing.csv")], /csv/],
      [["--config", join(base, "nope.json")], /cannot read config file/],
      [["--config", badKey], /unknown config key 'learningRate'/],
      [["--optimizer", "adam", "--momentum", "0.9"], /--momentum applies to/],
      [["--clip", "value", "--clip-threshold", "0"], /--clip-threshold must be > 0/],
      [["--out", taken], /already holds a run/],
      [["--steps", "0"], /--steps must be between 1 and/],
    ];
    for (const [args, message] of cases) {
      const out = join(base, `x${Math.random().toString(36).slice(2)}`);
      const hasOut = args.includes("--out");
      const r = await run("train", ...args, ...(hasOut ? [] : ["--out", out]));
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout, args.join(" ")).toBe("");
      expect(r.stderr, args.join(" ")).toMatch(/^gradscope: [^\n]+\n$/);
      expect(r.stderr, args.join(" ")).toMatch(message);
      if (!hasOut) expect(existsSync(out), args.join(" ")).toBe(false);
    }
  });

  it("Ctrl-C (SIGINT) ends the run with status interrupted, exit code 130, nothing lost", async () => {
    const dir = join(tempDir(), "sigint");
    const root = fileURLToPath(new URL("../../..", import.meta.url));
    const child = spawn(
      process.execPath,
      [
        ...["--import", "tsx", "src/cli/run.ts", "train", "--depth", "10", "--width", "32"],
        ...["--steps", "1000000", "--record-every", "5", "--out", dir],
      ],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += String(d);
    });
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code) => resolve(code)),
    );
    // wait until a few steps are recorded
    const metrics = join(dir, "metrics.jsonl");
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (existsSync(metrics) && readFileSync(metrics, "utf8").split("\n").length > 4) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGINT");
    const code = await exited;
    expect(stderr).toMatch(/interrupted; writing the run/);
    expect(code).toBe(130);
    expect(stdout).toMatch(/interrupted after \d+ of 1000000 steps/);
    const back = readRunDir(dir);
    expect(back.summary?.status).toBe("interrupted");
    const done = back.summary!.stepsDone;
    expect(back.records.length).toBeGreaterThan(3);
    expect(back.records[back.records.length - 1]!.step).toBeLessThanOrEqual(done);
    expect(done - back.records[back.records.length - 1]!.step).toBeLessThan(5);
  }, 30_000);

  it("a second writer is refused while a run trains; after kill -9 the run resumes and completes with every step once", async () => {
    const dir = join(tempDir(), "contended");
    const root = fileURLToPath(new URL("../../..", import.meta.url));
    const child = spawn(
      process.execPath,
      [
        ...["--import", "tsx", "src/cli/run.ts", "train", "--depth", "3", "--width", "8"],
        ...["--samples", "100", "--steps", "12000", "--record-every", "100"],
        ...["--checkpoint-every", "1000", "--quiet", "--out", dir],
      ],
      { cwd: root, stdio: "ignore" },
    );
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    const checkpoint = join(dir, "checkpoint.json");
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !existsSync(checkpoint)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const second = await run("train", "--resume", dir);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(
      new RegExp(
        `^gradscope: run directory ${dir} is in use by process ${child.pid} \\(train, since [^)]+\\): wait for it to finish or stop it\n$`,
      ),
    );
    const rerun = await run("train", ...SMALL, "--out", dir);
    expect(rerun.code).toBe(2);
    expect(rerun.stderr).toMatch(
      /already holds a run \(continue it with 'gradscope train --resume /,
    );
    child.kill("SIGKILL");
    await exited;
    expect(readRunDir(dir).summary?.status).toBe("interrupted"); // not "running" forever
    const resumed = await run("train", "--resume", dir, "--quiet");
    expect(resumed.code).toBe(0);
    const back = readRunDir(dir);
    expect(back.summary?.status).toBe("completed");
    const steps = back.records.map((r) => r.step);
    // every recorded step (each 100th and each evaluation) exactly once, in order, to the end
    expect(steps.every((s, k) => k === 0 || s > steps[k - 1]!)).toBe(true);
    expect(steps.filter((s) => s % 100 === 0).length).toBe(120);
    expect(steps[steps.length - 1]).toBe(12000);
  }, 60_000);
});
