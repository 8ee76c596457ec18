import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "../main.ts";
import { captureOutput } from "../test-output.ts";

async function run(...argv: string[]) {
  const output = captureOutput();
  const code = await main(argv, output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

describe("gradscope compare and doctor", () => {
  it("compare --vary prints a table, writes figures and a CSV", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gradscope-cmp-"));
    const r = await run(
      "compare",
      "--vary",
      "activation=sigmoid,relu",
      "--depth",
      "6",
      "--width",
      "16",
      "--steps",
      "30",
      "--record-every",
      "10",
      "--plot",
      dir,
      "--csv-out",
      join(dir, "c.csv"),
    );
    expect(r.code).toBe(0);
    // the budget, the seed and the kernels, as doctor prints them
    expect(r.stdout.split("\n")[0]).toMatch(
      /^gradscope compare: 30 steps per run, seed 0, (native|wasm-simd|typescript)[^,]* kernels; /,
    );
    expect(r.stdout).toMatch(/activation=sigmoid/);
    expect(r.stdout).toMatch(/ranking/);
    expect(
      readdirSync(dir)
        .filter((f) => f.endsWith(".png"))
        .sort(),
    ).toEqual([
      "compare-gradient-norm-end.png",
      "compare-gradient-norm-start.png",
      "compare-loss-accuracy.png", // each variant's loss and test accuracy, chance lines
    ]);
    const csv = readFileSync(join(dir, "c.csv"), "utf8").trim().split(/\r?\n/);
    expect(csv).toHaveLength(3);
    expect(csv[0]).toMatch(/^label,status,/);
  });
  it("compare without variants, or with a bad one, exits 2 with one line", async () => {
    const none = await run("compare");
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^gradscope: compare needs --preset/);
    const bad = await run("compare", "--vary", "depth=0,3");
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toMatch(/depth/);
  });
  it("compare --jobs 1 and --jobs 2 print the same numbers; a bad --jobs exits 2", async () => {
    const args = ["compare", "--vary", "activation=tanh,relu", "--depth", "4", "--width", "8"];
    const numbers = (stdout: string) =>
      (JSON.parse(stdout) as { outcomes: Record<string, unknown>[] }).outcomes.map(
        ({ elapsedMs: _, ...rest }) => rest,
      );
    const one = await run(...args, "--steps", "20", "--json", "--jobs", "1");
    const two = await run(...args, "--steps", "20", "--json", "--jobs", "2");
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(numbers(one.stdout)).toHaveLength(2);
    expect(numbers(two.stdout)).toStrictEqual(numbers(one.stdout));
    const bad = await run(...args, "--jobs", "0");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("gradscope: --jobs must be a whole number from 1 to 64 (got '0')\n");
  }, 60_000);
  it("doctor --json reports the diagnosis and ranked treatments", async () => {
    const r = await run(
      "doctor",
      "--depth",
      "12",
      "--width",
      "32",
      "--activation",
      "sigmoid",
      "--init",
      "standard-uniform",
      "--budget",
      "60",
      "--max-treatments",
      "2",
      "--json",
    );
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.diagnosis.findings[0].id).toBe("vanishing");
    expect(report.treatments).toHaveLength(2);
    expect(report.baseline.label).toBe("no change");
    const bad = await run("doctor", "--budget", "5");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--budget must be an integer between 10 and 100000/);
  }, 60_000);

  it("compare stopped by Ctrl-C exits 130 and names the variants that never started", async () => {
    const root = fileURLToPath(new URL("../../..", import.meta.url));
    const child = spawn(
      process.execPath,
      [
        ...["--import", "tsx", "src/cli/run.ts", "compare", "--vary"],
        ...["activation=tanh,relu,sigmoid", "--depth", "3", "--width", "8", "--steps", "10000000"],
        ...["--jobs", "1"],
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
    const exited = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !stderr.includes("[1/3]")) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 500)); // a few steps into the first variant
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stdout).toMatch(
      /never started \(interrupted\): activation=relu, activation=sigmoid: not ranked/,
    );
    expect(stderr).toMatch(
      /gradscope: compare interrupted: 2 of 3 variants never started \(activation=relu, activation=sigmoid\)/,
    );
  }, 60_000);
});
