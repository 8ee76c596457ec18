import { describe, expect, it } from "vitest";
import { main } from "../main.ts";
import { captureOutput } from "../test-output.ts";

async function run(...argv: string[]) {
  const output = captureOutput();
  const code = await main(argv, output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

const bn = ["probe", "--depth", "6", "--width", "64", "--batch", "16", "--batch-norm", "--theory"];

describe("gradscope probe --batch-norm --theory", () => {
  it("prints the predicted column and meas/pred for a batch-norm network", async () => {
    const r = await run(...bn, "--activation", "relu", "--init", "he-normal");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/pred E\[dz\^2\]\s+meas\/pred/);
    const rows = r.stdout.split("\n").filter((l) => /^\s+\d+\s/.test(l));
    expect(rows).toHaveLength(6);
    expect(r.stdout).toMatch(/batch-norm mean field: E\[dz\^2\] grows by 1\.59/);
  });
  it("--json carries theory.layers with the predicted values and batchNormTheory", async () => {
    const r = await run(...bn, "--activation", "identity", "--init", "normal", "--json");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as {
      theory: { source: string; layers: { layer: number; q: number; gradPreactMeanSq: number }[] };
      batchNormTheory: { perLayerFactor: number };
    };
    expect(json.theory.source).toBe("batch-norm mean-field");
    expect(json.theory.layers.map((l) => l.layer)).toEqual([1, 2, 3, 4, 5, 6]);
    // Interior layers: (B-2)/(B-3) = 14/13 apart, less O(eps / batch variance) = 4e-6 here.
    const g = json.theory.layers.map((l) => l.gradPreactMeanSq);
    expect(g[2]! / g[3]!).toBeCloseTo(14 / 13, 5);
    expect(json.batchNormTheory.perLayerFactor).toBeCloseTo(14 / 13, 12);
  });
  it("says there is no prediction for other activations", async () => {
    const r = await run(...bn, "--activation", "tanh");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no prediction for batch norm with tanh/);
  });
});
