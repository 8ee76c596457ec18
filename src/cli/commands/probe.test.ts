import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
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

describe("gradscope probe", () => {
  it("prints a per-layer table and a verdict", async () => {
    const r = await run(
      "probe",
      "--depth",
      "10",
      "--width",
      "32",
      "--activation",
      "sigmoid",
      "--init",
      "standard-uniform",
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/layer\s+q\s+E\[dz\^2\]/);
    expect(r.stdout.split("\n").filter((l) => /^\s+\d+\s/.test(l))).toHaveLength(10);
    expect(r.stdout).toMatch(/verdict: vanishing/);
  });
  it("--json prints {config, layers, summary} with the contract's field names", async () => {
    const r = await run(
      "probe",
      "--depth",
      "4",
      "--width",
      "8",
      "--json",
      "--activation",
      "relu",
      "--init",
      "he-normal",
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual(expect.arrayContaining(["config", "layers", "summary"]));
    expect(json.config.activation).toBe("relu");
    expect(json.layers).toHaveLength(4);
    for (const key of [
      "layer",
      "q",
      "gradPreactMeanSq",
      "gradWeightNorm",
      "gradBiasNorm",
      "weightNorm",
      "gradToWeight",
      "actMean",
      "actStd",
      "saturated",
      "inactive",
      "dead",
      "nonfinite",
    ]) {
      expect(json.layers[0], key).toHaveProperty(key);
    }
    expect(["vanishing", "exploding", "healthy", "non-finite"]).toContain(json.summary.verdict);
  });
  it("--dump writes a replayable JSON file", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "gradscope-")), "dump.json");
    const r = await run(
      "probe",
      "--depth",
      "2",
      "--width",
      "3",
      "--batch",
      "2",
      "--dump",
      file,
      "--json",
    );
    expect(r.code).toBe(0);
    const dump = JSON.parse(readFileSync(file, "utf8"));
    expect(dump.layers[0].W.shape).toEqual([3, 3]);
    expect(dump.loss).toBe(JSON.parse(r.stdout).summary.loss);
  });
  it("reads options from --config, with flags taking precedence", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gradscope-"));
    const file = join(dir, "net.json");
    writeFileSync(file, JSON.stringify({ depth: 3, width: 6, activation: "elu" }));
    const r = await run("probe", "--config", file, "--width", "5", "--json");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.config).toMatchObject({ depth: 3, width: 5, activation: "elu" });
    writeFileSync(file, JSON.stringify({ depht: 3 }));
    const bad = await run("probe", "--config", file);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^gradscope: unknown config key 'depht'/);
  });
  const badFlags: [string[], RegExp][] = [
    [["--activation", "foo"], /--activation.*foo.*identity, sigmoid/],
    [["--depth", "0"], /--depth must be between 1 and 10000 \(got '0'\)/],
    [["--weight-var", "-1"], /--weight-var must be >= 0/],
    [["--width", "1000000", "--depth", "100"], /network needs about .* over the .* limit/],
    [["--bogus"], /unknown option '--bogus'/],
    [["--batch-norm", "--batch", "1"], /--batch-norm needs --batch of at least 2/],
  ];
  for (const [flags, message] of badFlags) {
    it(`exits 2 with one line for ${flags.join(" ")}`, async () => {
      const r = await run("probe", ...flags);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/^gradscope: /);
      expect(r.stderr).toMatch(message);
    });
  }
  it("--help lists the network flags", async () => {
    const r = await run("probe", "--help");
    expect(r.code).toBe(0);
    for (const flag of [
      "--depth",
      "--width",
      "--activation",
      "--init",
      "--weight-var",
      "--bias-var",
      "--gain",
      "--slope",
      "--batch-norm",
      "--residual",
      "--branch-scale",
      "--seed",
      "--dtype",
      "--loss",
      "--dataset",
      "--repeats",
      "--dump",
      "--json",
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });
});
