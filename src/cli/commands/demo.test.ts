import { describe, expect, it } from "vitest";
import { main } from "../main.ts";
import type { Output } from "../output.ts";
import { parseMatrix } from "./demo.ts";

/** Run the CLI in-process and capture what it prints. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const output: Output = {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    isTTY: false,
  };
  const code = await main(argv, output);
  return { code, out, err };
}

/** Bad input: exit code 2 and exactly one line on stderr that names `flag`. */
async function expectUsageError(flag: string, ...argv: string[]): Promise<string> {
  const { code, out, err } = await run(...argv);
  expect(code).toBe(2);
  expect(out).toBe("");
  expect(err.trimEnd().split("\n")).toHaveLength(1);
  expect(err).toMatch(/^gradscope: /);
  expect(err).toContain(flag);
  return err;
}

describe("gradscope demo", () => {
  it("with no subcommand runs matrix-power on diag(2,2) and diag(0.1,0.1) and lists the demos", async () => {
    const { code, out } = await run("demo");
    expect(code).toBe(0);
    expect(out).toContain("W^5 = [[32, 0], [0, 32]]");
    expect(out).toContain("W^5 = [[1e-5, 0], [0, 1e-5]]");
    expect(out).toContain("exploding");
    expect(out).toContain("vanishing");
    for (const name of ["matrix-power", "activations", "depth"]) {
      expect(out).toContain(`gradscope demo ${name}`);
    }
    expect(out).toContain("gradscope jacobian");
  });

  it("--json gives the exact powers: 32 and 1e-5", async () => {
    for (const argv of [
      ["demo", "--json"],
      ["demo", "matrix-power", "--json"],
    ]) {
      const { code, out } = await run(...argv);
      expect(code).toBe(0);
      const { cases } = JSON.parse(out);
      expect(cases).toHaveLength(2);
      expect(cases[0].final).toEqual([
        [32, 0],
        [0, 32],
      ]);
      expect(cases[0].spectralRadius).toBe(2);
      expect(cases[1].final).toEqual([
        [1e-5, 0],
        [0, 1e-5],
      ]);
      expect(cases[1].steps.map((s: { power: number }) => s.power)).toEqual([1, 2, 3, 4, 5]);
      expect(cases[1].growth).toBe("vanishing");
    }
  });

  it("matrix-power takes --matrix and --layers", async () => {
    const { code, out } = await run(
      "demo",
      "matrix-power",
      "--matrix",
      "1,1;0,1",
      "--layers",
      "10",
      "--json",
    );
    expect(code).toBe(0);
    const [d] = JSON.parse(out).cases;
    expect(d.spectralRadius).toBe(1);
    expect(d.final).toEqual([
      [1, 10],
      [0, 1],
    ]);
    const human = await run("demo", "matrix-power", "--matrix", "0 -1; 1 0", "--layers", "4");
    expect(human.code).toBe(0);
    expect(human.out).toContain("W^4 = [[1, 0], [0, 1]]");
    expect(human.out).toContain("neither explodes nor vanishes");
    expect(human.out).toContain("eigenvalues 0+1i, 0-1i");
  });

  it("rejects a malformed matrix, a non-square one, 0 layers and an unknown demo", async () => {
    await expectUsageError("--matrix", "demo", "matrix-power", "--matrix", "1,2;3");
    await expectUsageError("--matrix", "demo", "matrix-power", "--matrix", "1,x;3,4");
    await expectUsageError("--matrix", "demo", "matrix-power", "--matrix", "  ");
    await expectUsageError("--layers", "demo", "matrix-power", "--layers", "0");
    await expectUsageError("--layers", "demo", "--layers", "2.5");
    await expectUsageError("foo", "demo", "foo");
  });

  it("activations: the sigmoid table and its healthy region", async () => {
    const { code, out } = await run("demo", "activations", "--activation", "sigmoid", "--json");
    expect(code).toBe(0);
    const [t] = JSON.parse(out).activations;
    expect(t.name).toBe("sigmoid");
    expect(t.maxDerivative).toBe(0.25);
    expect(t.healthyRegion.hi).toBeCloseTo(5.986445692, 8);
    expect(t.points).toHaveLength(33);
    expect(t.points.find((p: { x: number }) => p.x === 6).derivative).toBeCloseTo(0.0024665093, 9);
    // Unbounded ends are null in JSON.
    const relu = JSON.parse(
      (await run("demo", "activations", "--activation", "relu", "--json")).out,
    );
    expect(relu.activations[0].healthyRegion).toEqual({ lo: 0, hi: null });

    const human = await run("demo", "activations", "--activation", "tanh", "--step", "1");
    expect(human.code).toBe(0);
    expect(human.out).toContain("|x| < 2.99322");
    expect(human.out).toContain("(saturated)");
    const summary = await run("demo", "activations");
    expect(summary.code).toBe(0);
    expect(summary.out).toContain("|x| < 5.98645");
    expect(summary.out).toContain("x > 0");
  });

  it("activations rejects an unknown activation and a bad range", async () => {
    await expectUsageError("--activation", "demo", "activations", "--activation", "foo");
    await expectUsageError("--from", "demo", "activations", "--from", "3", "--to", "1");
    await expectUsageError("--step", "demo", "activations", "--step", "0");
    await expectUsageError("--step", "demo", "activations", "--step", "1e-9");
  });

  it("depth: the gradient at layer 1 against depth, with a fitted factor", async () => {
    const { code, out } = await run(
      "demo",
      "depth",
      "--max-depth",
      "6",
      "--width",
      "32",
      "--batch",
      "8",
      "--json",
    );
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(r.config.activation).toBe("sigmoid");
    expect(r.config.init).toBe("standard-uniform");
    expect(r.rows.map((row: { depth: number }) => row.depth)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.perLayerFactor).toBeLessThan(0.1);
    const human = await run("demo", "depth", "--max-depth", "4", "--width", "16", "--batch", "4");
    expect(human.code).toBe(0);
    expect(human.out).toContain("verdict: vanishing");
    const linear = JSON.parse(
      (
        await run(
          "demo",
          "depth",
          "--max-depth",
          "4",
          "--width",
          "16",
          "--activation",
          "identity",
          "--init",
          "orthogonal",
          "--json",
        )
      ).out,
    );
    expect(linear.perLayerFactor).toBeCloseTo(1, 10);
  });

  it("depth rejects bad depths and options", async () => {
    await expectUsageError("--max-depth", "demo", "depth", "--max-depth", "0");
    await expectUsageError("--min-depth", "demo", "depth", "--min-depth", "5", "--max-depth", "3");
    await expectUsageError("--activation", "demo", "depth", "--activation", "foo");
    await expectUsageError("--width", "demo", "depth", "--width", "0");
  });

  it("every demo has --help with examples", async () => {
    for (const argv of [
      ["demo", "--help"],
      ["demo", "matrix-power", "--help"],
      ["demo", "activations", "--help"],
      ["demo", "depth", "--help"],
      ["jacobian", "--help"],
    ]) {
      const { code, out } = await run(...argv);
      expect(code).toBe(0);
      expect(out).toContain("Examples:");
    }
  });
});

describe("gradscope jacobian", () => {
  it("a linear orthogonal network: every singular value is 1", async () => {
    const { code, out } = await run(
      "jacobian",
      "--activation",
      "identity",
      "--init",
      "orthogonal",
      "--depth",
      "5",
      "--width",
      "32",
      "--json",
    );
    expect(code).toBe(0);
    const s = JSON.parse(out);
    expect(s.singularValues).toHaveLength(32);
    for (const v of s.singularValues) expect(Math.abs(v - 1)).toBeLessThan(1e-10);
    expect(s.conditionNumber).toBeLessThan(1 + 1e-10);
    expect(s.options.depth).toBe(5);
  });

  it("ReLU: numerically singular, Infinity encoded as a string in JSON", async () => {
    const argv = ["jacobian", "--activation", "relu", "--weight-var", "2", "--width", "32"];
    const json = await run(...argv, "--depth", "6", "--json");
    expect(json.code).toBe(0);
    const s = JSON.parse(json.out);
    expect(s.conditionNumber).toBe("Infinity");
    expect(s.numericalRank).toBeLessThan(32);
    const human = await run(...argv, "--depth", "6");
    expect(human.out).toContain("numerically singular");
    expect(human.out).toContain("numerically 0");
  });

  it("tanh near criticality with small inputs: near isometry", async () => {
    const { code, out } = await run(
      "jacobian",
      "--activation",
      "tanh",
      "--init",
      "orthogonal",
      "--depth",
      "10",
      "--width",
      "64",
      "--input-scale",
      "0.1",
    );
    expect(code).toBe(0);
    expect(out).toContain("verdict: near dynamical isometry");
  });

  it("rejects bad flags with one line naming the flag", async () => {
    await expectUsageError("--width", "jacobian", "--width", "0");
    await expectUsageError("--depth", "jacobian", "--depth", "x");
    await expectUsageError("--activation", "jacobian", "--activation", "foo");
    await expectUsageError("--init", "jacobian", "--init", "foo");
    await expectUsageError("--input-scale", "jacobian", "--input-scale", "-1");
  });
});

describe("parseMatrix", () => {
  it("reads rows separated by ';' and entries by ',' or spaces", () => {
    expect(parseMatrix("2,0;0,2")).toEqual([
      [2, 0],
      [0, 2],
    ]);
    expect(parseMatrix(" 1 2 ; 3 4 ;")).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(parseMatrix("1e-3")).toEqual([[0.001]]);
  });

  it("runs that could never finish are refused up front with their cost estimate", async () => {
    for (const [argv, flag] of [
      [["jacobian", "--depth", "10000", "--width", "4096"], "--depth or --width"],
      [
        ["demo", "depth", "--max-depth", "10000", "--width", "4096"],
        "--max-depth, --width or --batch",
      ],
    ] as const) {
      const r = await run(...argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.out).toBe("");
      expect(r.err).toMatch(
        new RegExp(
          `^gradscope: .* would take about [\\d.]+ (h|days) \\([\\d.]+e\\d+ floating-point operations at the measured [\\d.]+ GFLOP/s\\): reduce ${flag.replace(/[-]/g, "\\-")}, or add --force to run it anyway\n$`,
        ),
      );
    }
  });
});
