import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
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

describe("gradscope doctor table", () => {
  it("prints steps, seeds, budget, kernels and the spread; --lr-sweep adds x3; --csv-out has every seed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gradscope-doctor-"));
    const csv = join(dir, "doctor.csv");
    const r = await run(
      ...["doctor", "--depth", "12", "--width", "32", "--activation", "sigmoid"],
      ...["--init", "standard-uniform", "--steps", "60", "--max-treatments", "2"],
      ...["--seeds", "2", "--more-seeds", "0", "--lr-factors", "1,0.5", "--lr-sweep"],
      ...["--csv-out", csv, "--out", join(dir, "runs")],
    );
    expect(r.code).toBe(0);
    const out = r.stdout.split("\n");
    expect(out[0]).toBe(
      "gradscope doctor: 60 steps per run; 2 seeds per configuration (0, 1), paired by seed; learning rates x1, x1/2, x3 (0.1, 0.05, 0.3) for each, kept by mean final training-set loss",
    );
    // 3 configurations x 3 rates x 2 seeds
    expect(out[1]).toMatch(
      /^budget: 18 runs of 60 steps on (native|wasm-simd|typescript)[^\n]* kernels$/,
    );
    expect(r.stderr).toMatch(/doctor: 18 runs in \d+\.\d s/);
    const header = out.find((l) => l.startsWith("rank"))!;
    for (const col of [
      "lr",
      "test loss (min-max)",
      "test acc (min-max)",
      "acc gain (pts) ±noise",
      "test loss gain ±noise",
      "flow gain",
      "verdict",
    ])
      expect(header).toContain(col);
    // no change: the mean over the seeds and the range
    expect(r.stdout).toMatch(
      /\n +- +no change +0\.\d+ +1\.\d+ \(1\.\d+-1\.\d+\) +\d+\.\d% \(\d+\.\d-\d+\.\d\)/,
    );
    expect(r.stdout).toMatch(
      /test accuracy \(%\) per seed \(0, 1\), at the kept rate:\n {2}no change: \d+\.\d \d+\.\d\n/,
    );
    expect(r.stdout).toMatch(
      /learning rates tried \(mean final training-set loss over the seeds\)/,
    );
    // the kept rate first, then the others
    expect(r.stdout).toMatch(/\n {2}no change: \S+ -> [^\n]+, \S+ -> [^\n]+, \S+ -> /);
    expect(r.stdout).toMatch(
      /and the seed noise \(2 standard errors of the paired differences, shown as ±\)/,
    );
    expect(r.stdout).toMatch(/^chance: 3\d\.\d% test accuracy/m);
    expect(readdirSync(join(dir, "runs")).sort()).toHaveLength(18);
    expect(readdirSync(join(dir, "runs"))).toContain("0-no-change-lr0.1-seed1");
    const lines = readFileSync(csv, "utf8").trim().split("\n");
    expect(lines).toHaveLength(4); // header, no change, 2 treatments
    const cols = lines[0]!.split(",");
    for (const c of [
      "verdict",
      "rank",
      "lr",
      "seeds",
      "testAccMin",
      "testAccMax",
      "testAccPerSeed",
      "accuracyNoise",
      "lossGain",
      "flowGain",
      "bnRecalibrated",
    ])
      expect(cols).toContain(c);
    const row = Object.fromEntries(cols.map((c, i) => [c, lines[1]!.split(",")[i]]));
    expect(row.label).toBe("no change");
    expect(row.verdict).toBe("baseline");
    expect(row.seeds).toBe("0 1");
    expect(row.testAccPerSeed!.split(" ")).toHaveLength(2);
    expect(lines[2]).toMatch(/,(better|mixed|no gain|worse),/);
  }, 180_000);

  it("--jobs 2 prints the same report as --jobs 1; bad --jobs, --seeds, --steps are usage errors", async () => {
    const args = ["doctor", "--depth", "8", "--width", "16", "--activation", "sigmoid"];
    const rest = ["--init", "standard-uniform", "--budget", "20", "--max-treatments", "2"];
    const few = ["--seeds", "2", "--lr-factors", "1,0.5"];
    const one = await run(...args, ...rest, ...few, "--jobs", "1");
    const two = await run(...args, ...rest, ...few, "--jobs", "2");
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(one.stdout).toMatch(/\n +- +no change +0\.1\d* +1\.\d+ \(/);
    expect(two.stdout).toBe(one.stdout);
    const bad = await run(...args, ...rest, "--jobs", "0");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--jobs must be a whole number from 1 to 64 \(got '0'\)/);
    const seeds = await run(...args, ...rest, "--seeds", "0");
    expect(seeds.code).toBe(2);
    expect(seeds.stderr).toMatch(/--seeds must be an integer between 1 and 100 \(got '0'\)/);
    const both = await run(...args, "--budget", "20", "--steps", "30");
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--steps and --budget are the same setting/);
    const factors = await run(...args, "--lr-factors", "1,-2");
    expect(factors.code).toBe(2);
    expect(factors.stderr).toMatch(/--lr-factors must be 1 to 10 positive numbers/);
  }, 180_000);
});
