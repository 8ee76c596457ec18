import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  comparableResults,
  resultLines,
  testSweepArgs,
} from "../../experiment/sweep/testing-sweep.ts";
import { main } from "../main.ts";
import { captureOutput } from "../test-output.ts";

const TEST_SWEEP_ARGS = testSweepArgs();
const root = mkdtempSync(join(tmpdir(), "gradscope-sweep-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function run(...args: string[]) {
  const output = captureOutput();
  const code = await main(args, output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

describe("gradscope sweep (local)", () => {
  it("runs every point once, skips them on a re-run, and gives the same records for any --jobs and sharded + merged", async () => {
    const one = join(root, "one");
    const r1 = await run("sweep", ...TEST_SWEEP_ARGS, "--jobs", "1", "--out", one);
    expect(r1.stderr).toBe("");
    expect(r1.code).toBe(0);
    expect(r1.stdout).toMatch(/24 points: 0 done before, 24 ran \(0 failed\), 0 left/);
    expect(resultLines(readFileSync(join(one, "results.jsonl"), "utf8"))).toEqual({
      lines: 24,
      hashes: 24,
    });
    const record = JSON.parse(readFileSync(join(one, "results.jsonl"), "utf8").split("\n")[0]!);
    expect(Object.keys(record)).toEqual(
      expect.arrayContaining(["hash", "config", "metrics", "verdict", "status", "changes", "seed"]),
    );
    expect(record.metrics.testAcc).toBeTypeOf("number");
    expect(record.verdict).toBeTypeOf("string");

    const again = await run("sweep", ...TEST_SWEEP_ARGS, "--jobs", "1", "--out", one);
    expect(again.stdout).toMatch(/24 points: 24 done before, 0 ran/);
    expect(resultLines(readFileSync(join(one, "results.jsonl"), "utf8")).lines).toBe(24);

    const two = join(root, "two");
    expect((await run("sweep", ...TEST_SWEEP_ARGS, "--jobs", "2", "--out", two)).code).toBe(0);
    expect(comparableResults(two)).toEqual(comparableResults(one));

    const sharded = join(root, "sharded");
    for (const s of ["0/3", "1/3", "2/3"]) {
      expect(
        (await run("sweep", ...TEST_SWEEP_ARGS, "--jobs", "1", "--shard", s, "--out", sharded))
          .code,
      ).toBe(0);
    }
    const merged = await run("sweep", "merge", sharded);
    expect(merged.stdout).toMatch(/merged 3 sweep directories .*: 24 records, complete/);
    expect(comparableResults(sharded)).toEqual(comparableResults(one));

    // another spec into the same directory is refused
    const other = await run("sweep", "--vary", "depth=2,3", "--steps", "5", "--out", one);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds another sweep/);

    // the report: a heatmap over weightVar x depth with the theory's fitted k
    const report = await run("report", one);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/test accuracy over weightVar x depth \(12 cells, 24 runs\)/);
    expect(report.stdout).toMatch(/fitted k = /);
    expect(existsSync(join(one, "figures", "sweep-heatmap.png"))).toBe(true);
    expect(readFileSync(join(one, "figures", "sweep-heatmap.svg"), "utf8")).toMatch(
      /critical line/,
    );
  }, 120_000);

  it("a spec file with --probe; a torn last line is cut; bad input is one line", async () => {
    const dir = join(root, "probe");
    const spec = join(root, "spec.json");
    writeFileSync(
      spec,
      JSON.stringify({
        base: { width: 8 },
        grid: { depth: "2:6:2", activation: ["tanh", "relu"] },
      }),
    );
    const r = await run("sweep", spec, "--probe", "--jobs", "1", "--quiet", "--out", dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/6 points: 0 done before, 6 ran/);
    writeFileSync(
      join(dir, "results.jsonl"),
      `${readFileSync(join(dir, "results.jsonl"), "utf8")}{"index":`,
    );
    const again = await run("sweep", spec, "--probe", "--jobs", "1", "--quiet", "--out", dir);
    expect(again.stdout).toMatch(/6 points: 6 done before, 0 ran/);
    expect(resultLines(readFileSync(join(dir, "results.jsonl"), "utf8")).lines).toBe(6);
    for (const [args, message] of [
      [["sweep", "--out", dir], /needs a spec file, --preset or at least one --vary/],
      [["sweep", "--vary", "depth=5:1", "--out", join(root, "x")], /ends before it starts/],
      [
        ["sweep", "--vary", "depth=1,2", "--shard", "4/4", "--out", join(root, "x")],
        /--shard must be I\/N/,
      ],
      [
        ["sweep", "--vary", "depth=1,2", "--queue", "http://x", "--out", join(root, "x")],
        /--queue must be a URL redis:/,
      ],
    ] as const) {
      const bad = await run(...args);
      expect(bad.code, args.join(" ")).toBe(2);
      expect(bad.stderr, args.join(" ")).toMatch(message);
    }
  }, 60_000);
});
