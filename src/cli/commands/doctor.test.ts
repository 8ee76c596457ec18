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
  it("shows accuracy, loss and flow gains with a verdict; --lr-sweep names the rates; --csv-out has them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gradscope-doctor-"));
    const csv = join(dir, "doctor.csv");
    const r = await run(
      ...["doctor", "--depth", "12", "--width", "32", "--activation", "sigmoid"],
      ...["--init", "standard-uniform", "--budget", "60", "--max-treatments", "2"],
      ...["--lr-sweep", "--csv-out", csv, "--out", join(dir, "runs")],
    );
    expect(r.code).toBe(0);
    const header = r.stdout.split("\n").find((l) => l.startsWith("rank"))!;
    for (const col of ["lr", "test loss", "test acc", "acc gain", "test loss gain", "flow gain"])
      expect(header).toContain(col);
    expect(header).toMatch(/verdict/);
    expect(r.stdout).toMatch(/learning rates tried \(final training-set loss\)/);
    // the own rate (0.1) first: it is kept unless another is clearly (2%) better
    expect(r.stdout).toMatch(/\n {2}no change: \S+ -> [^\n]+, \S+ -> [^\n]+, \S+ -> /);
    // 3 rates for no change and for each of the 2 treatments: 9 run directories
    expect(readdirSync(join(dir, "runs")).sort()).toHaveLength(9);
    const lines = readFileSync(csv, "utf8").trim().split("\n");
    expect(lines).toHaveLength(4); // header, no change, 2 treatments
    const cols = lines[0]!.split(",");
    for (const c of ["verdict", "lr", "accuracyGain", "lossGain", "flowGain", "bnRecalibrated"])
      expect(cols).toContain(c);
    expect(lines[1]).toMatch(/^no change,.*,baseline,0\.1,/);
    expect(lines[2]).toMatch(/,(better|mixed|no gain|worse),/);
  }, 120_000);

  it("--jobs 2 prints the same report as --jobs 1; a bad --jobs is a usage error", async () => {
    const args = ["doctor", "--depth", "8", "--width", "16", "--activation", "sigmoid"];
    const rest = ["--init", "standard-uniform", "--budget", "20", "--max-treatments", "2"];
    const one = await run(...args, ...rest, "--jobs", "1");
    const two = await run(...args, ...rest, "--jobs", "2");
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(one.stdout).toMatch(/\n +- +no change +1\.\d+ +\d+\.\d%/);
    expect(two.stdout).toBe(one.stdout);
    const bad = await run(...args, ...rest, "--jobs", "0");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--jobs must be a whole number from 1 to 64 \(got '0'\)/);
  }, 120_000);
});
