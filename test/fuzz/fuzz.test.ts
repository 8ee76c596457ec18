/**
 * Fuzzing in CI (issue #17, class 9): every crash the fuzzer ever found (test/fuzz/crashes/,
 * written by bench/fuzz.ts) is replayed and must now be answered, and each target gets a
 * short coverage-guided run from a fixed seed (a fixed number of executions, so the same
 * inputs every time). The full budget is `npx tsx bench/fuzz.ts` (docs/RELIABILITY.md).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { captureOutput } from "../../src/cli/test-output.ts";
import { enableBlockCoverage, fuzz } from "./engine.ts";

enableBlockCoverage(); // before the targets' modules are compiled
const { checkpointTarget, configTarget, csvTarget, urlTarget } = await import("./targets.ts");

const CRASHES = resolve(import.meta.dirname, "crashes");
const targets = [csvTarget, configTarget, urlTarget, checkpointTarget()];
const bySlug = new Map(targets.map((t) => [t.name.replace(/\W+/g, "-"), t]));
const files = existsSync(CRASHES) ? readdirSync(CRASHES).filter((f) => f.endsWith(".txt")) : [];

describe("fuzz: the crashes found, replayed", () => {
  it.each(files.length > 0 ? files : ["(none)"])("%s is answered now", (file) => {
    if (file === "(none)") return;
    const slug = [...bySlug.keys()].find((s) => file.startsWith(`${s}-`));
    expect(slug, `no target for ${file}`).toBeDefined();
    const input = readFileSync(join(CRASHES, file), "utf8");
    expect(() => bySlug.get(slug!)!.run(input)).not.toThrow();
  });

  it("train --resume with a checkpoint that decodes but does not fit: exit 2, one line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gradscope-fuzz-resume-"));
    const run = join(dir, "run");
    const common = [
      "--depth",
      "2",
      "--width",
      "4",
      "--samples",
      "40",
      "--batch",
      "8",
      "--seed",
      "3",
    ];
    const output = captureOutput();
    const code = await main(
      ["train", ...common, "--steps", "20", "--checkpoint-every", "5", "--quiet", "--out", run],
      output,
    );
    expect(code, output.stderr()).toBe(0);
    // damage: the sampler's order is no longer a permutation (as the fuzzer found)
    const path = join(run, "checkpoint.json");
    const cp = JSON.parse(readFileSync(path, "utf8"));
    cp.state.sampler.order[0] = cp.state.sampler.order[1];
    writeFileSync(path, JSON.stringify(cp));
    const summary = JSON.parse(readFileSync(join(run, "summary.json"), "utf8"));
    writeFileSync(join(run, "summary.json"), JSON.stringify({ ...summary, status: "interrupted" }));
    const again = captureOutput();
    expect(await main(["train", "--resume", run, "--quiet"], again)).toBe(2);
    expect(again.stderr()).toMatch(
      /^gradscope: cannot resume .*: checkpoint\.json is damaged: sampler: the state's order is not a permutation\n$/,
    );
    // the lock is given back: a second attempt says the same, not "in use"
    const third = captureOutput();
    expect(await main(["train", "--resume", run, "--quiet"], third)).toBe(2);
    expect(third.stderr()).toMatch(/checkpoint\.json is damaged/);
    execFileSync("rm", ["-rf", dir]);
  });
});

describe("fuzz: crashes found, fixed where they live", () => {
  // the fuzzer's input: a query key with a carriage return in it (src/web/lab-options.ts)
  it("the lab's URL codec quotes an unknown key on one line", () => {
    urlTarget.run("#view=lab&depth=20&in\rt=normal");
  });
});

describe("fuzz: a short coverage-guided run of each target", () => {
  it.each(targets.map((t) => [t.name, t] as const))(
    "%s: 200 executions, no crash",
    (_n, target) => {
      const r = fuzz(target, { executions: 200, seed: 20261129 });
      const known = r.knownOpen.reduce((sum, k) => sum + k.count, 0);
      console.log(
        `fuzz ${r.target}: ${r.executions} executions, corpus ${r.corpus}, ${r.blocks} blocks, known open ${known}`,
      );
      expect(r.crashes).toEqual([]);
      expect(r.blocks).toBeGreaterThan(0);
    },
  );
});

describe("file arguments that are not files", () => {
  it("train --resume refuses a FIFO as checkpoint.json or metrics.jsonl at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gradscope-fifo-"));
    const run = join(dir, "run");
    const common = ["--depth", "2", "--width", "4", "--samples", "40", "--batch", "8"];
    expect(
      await main(["train", ...common, "--steps", "10", "--quiet", "--out", run], captureOutput()),
    ).toBe(0);
    const summary = JSON.parse(readFileSync(join(run, "summary.json"), "utf8"));
    writeFileSync(join(run, "summary.json"), JSON.stringify({ ...summary, status: "interrupted" }));
    for (const file of ["checkpoint.json", "metrics.jsonl"]) {
      execFileSync("rm", ["-f", join(run, file)]);
      execFileSync("mkfifo", [join(run, file)]);
      const output = captureOutput();
      const t0 = performance.now();
      expect(await main(["train", "--resume", run, "--quiet"], output)).toBe(2);
      expect(output.stderr()).toMatch(
        new RegExp(
          `${file.replace(".", "\\.")} is a FIFO \\(named pipe\\), not a regular file\\n$`,
        ),
      );
      expect(performance.now() - t0).toBeLessThan(5000);
      execFileSync("rm", ["-f", join(run, file)]);
    }
    execFileSync("rm", ["-rf", dir]);
  });
});
