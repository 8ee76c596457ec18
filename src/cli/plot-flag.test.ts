import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { LAYER_METRIC_COLUMNS } from "../experiment/csv-export.ts";
import { parseCsv } from "../experiment/datasets/csv-parse.ts";
import { main } from "./main.ts";
import { captureOutput } from "./test-output.ts";

async function run(...argv: string[]) {
  const output = captureOutput();
  const code = await main(argv, output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

const base = mkdtempSync(join(tmpdir(), "gradscope-plot-"));

/**
 * Decode a PNG far enough to know it is whole: the signature, the IHDR size, and the
 * inflated image data holding exactly height rows of (1 filter byte + width pixels).
 */
function decodePng(path: string): { width: number; height: number } {
  const png = readFileSync(path);
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(png.subarray(12, 16).toString("latin1")).toBe("IHDR");
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const channels = png[25] === 6 ? 4 : png[25] === 2 ? 3 : 0;
  expect(png[24]).toBe(8);
  expect(channels).toBeGreaterThan(0);
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString("latin1");
    if (type === "IDAT") idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  expect(inflateSync(Buffer.concat(idat)).length).toBe(height * (1 + width * channels));
  return { width, height };
}

function csvRows(path: string): string[][] {
  return parseCsv(readFileSync(path, "utf8")).map((r) => r.fields);
}

/** Every "wrote PATH" line of a command's output. */
function wrote(text: string): string[] {
  return [...text.matchAll(/^wrote (.+)$/gm)].map((m) => m[1]!);
}

describe("--plot and --csv", () => {
  it("probe: figures as decodable PNG + SVG, the per-layer table as CSV", async () => {
    const dir = join(base, "probe");
    const csv = join(dir, "layers.csv");
    const r = await run(
      ...["probe", "--depth", "6", "--width", "16", "--batch", "8", "--activation", "tanh"],
      ...["--theory", "--plot", dir, "--csv", csv],
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("verdict:");
    const names = ["gradient-norm", "grad-preact", "activation-histograms"];
    expect(wrote(r.stdout)).toEqual([
      csv,
      ...names.flatMap((n) => [join(dir, `probe-${n}.svg`), join(dir, `probe-${n}.png`)]),
    ]);
    for (const n of names) {
      expect(decodePng(join(dir, `probe-${n}.png`)).width).toBe(800);
      expect(readFileSync(join(dir, `probe-${n}.svg`), "utf8")).toMatch(/^<svg /);
    }
    expect(readFileSync(join(dir, "probe-gradient-norm.svg"), "utf8")).toContain(
      "mean-field theory (dashed)",
    );
    const rows = csvRows(csv);
    expect(rows[0]).toEqual([...LAYER_METRIC_COLUMNS, "theoryQ", "theoryGradPreactMeanSq"]);
    expect(rows).toHaveLength(1 + 6);
    for (const row of rows) expect(row).toHaveLength(rows[0]!.length);
  });

  it("probe --json keeps stdout JSON: the paths go to stderr", async () => {
    const dir = join(base, "probe-json");
    const r = await run("probe", "--depth", "3", "--width", "8", "--json", "--plot", dir);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).layers).toHaveLength(3);
    expect(wrote(r.stderr)).toHaveLength(6);
    expect(existsSync(join(dir, "probe-activation-histograms.png"))).toBe(true);
  });

  it("train: figures of the run and metrics.jsonl flattened (--csv-out: --csv is the dataset)", async () => {
    const dir = join(base, "train-plots");
    const csv = join(dir, "metrics.csv");
    const out = join(base, "train-run");
    const depth = 3;
    const r = await run(
      ...["train", "--depth", String(depth), "--width", "8", "--samples", "100"],
      ...["--steps", "20", "--record-every", "5", "--out", out, "--quiet"],
      ...["--plot", dir, "--csv-out", csv],
    );
    expect(r.code).toBe(0);
    for (const n of [
      "loss-curves",
      "gradient-norm",
      "gradient-heatmap",
      "update-ratio",
      "activation-histograms",
    ]) {
      expect(decodePng(join(dir, `train-${n}.png`)).height).toBeGreaterThan(100);
    }
    const rows = csvRows(csv);
    const header = rows[0]!;
    expect(header.slice(0, 2)).toEqual(["step", "layer"]);
    expect(header.slice(1, 1 + LAYER_METRIC_COLUMNS.length)).toEqual([...LAYER_METRIC_COLUMNS]);
    const steps = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").length;
    expect(steps).toBe(5); // steps 1, 5, 10, 15, 20
    expect(rows).toHaveLength(1 + steps * depth);
    for (const row of rows) expect(row).toHaveLength(header.length);
  });

  it("demo matrix-power, activations and depth", async () => {
    const dir = join(base, "demo");
    const mp = await run(
      "demo",
      "matrix-power",
      "--layers",
      "6",
      "--plot",
      dir,
      "--csv",
      join(dir, "mp.csv"),
    );
    expect(mp.code).toBe(0);
    expect(decodePng(join(dir, "matrix-power.png")).width).toBe(800);
    const mpRows = csvRows(join(dir, "mp.csv"));
    expect(mpRows[0]).toEqual([
      "case",
      "matrix",
      "spectralRadius",
      "power",
      "spectralNorm",
      "predicted",
      "normOverPredicted",
      "frobeniusNorm",
    ]);
    expect(mpRows).toHaveLength(1 + 2 * 6);

    const act = await run(
      ...["demo", "activations", "--activation", "sigmoid", "--step", "1"],
      ...["--plot", dir, "--csv", join(dir, "sigmoid.csv")],
    );
    expect(act.code).toBe(0);
    decodePng(join(dir, "activation-sigmoid.png"));
    expect(csvRows(join(dir, "sigmoid.csv"))).toHaveLength(1 + 17);

    const all = await run("demo", "activations", "--csv", join(dir, "all.csv"), "--json");
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout).activations).toHaveLength(10);
    expect(csvRows(join(dir, "all.csv"))).toHaveLength(1 + 10);

    const depth = await run(
      ...["demo", "depth", "--max-depth", "5", "--width", "16", "--batch", "8"],
      ...["--plot", dir, "--csv", join(dir, "depth.csv")],
    );
    expect(depth.code).toBe(0);
    decodePng(join(dir, "depth-sweep.png"));
    const depthRows = csvRows(join(dir, "depth.csv"));
    expect(depthRows[0]).toEqual([
      "depth",
      "gradPreactMeanSq1",
      "gradWeightNorm1",
      "firstToLastRatio",
    ]);
    expect(depthRows).toHaveLength(1 + 5);
  });

  it("jacobian and theory", async () => {
    const dir = join(base, "theory");
    const jac = await run(
      ...["jacobian", "--depth", "4", "--width", "12", "--plot", dir],
      ...["--csv", join(dir, "sv.csv")],
    );
    expect(jac.code).toBe(0);
    decodePng(join(dir, "jacobian-singular-values.png"));
    expect(csvRows(join(dir, "sv.csv"))).toHaveLength(1 + 12);

    const pd = await run(
      ...["theory", "--activation", "tanh", "--phase-diagram", "--weight-vars", "0.5:3:6"],
      ...["--bias-vars", "0:0.2:3", "--weight-var", "1.5", "--bias-var", "0.1"],
      ...["--plot", dir, "--csv", join(dir, "pd.csv"), "--json"],
    );
    expect(pd.code).toBe(0);
    expect(JSON.parse(pd.stdout).points).toHaveLength(18);
    expect(csvRows(join(dir, "pd.csv"))).toHaveLength(1 + 18);
    decodePng(join(dir, "phase-diagram.png"));
    expect(readFileSync(join(dir, "phase-diagram.svg"), "utf8")).toContain(
      "σ_w² = 1.5, σ_b² = 0.1",
    );

    const one = await run(
      "theory",
      "--activation",
      "relu",
      "--weight-var",
      "2",
      "--csv",
      join(dir, "one.csv"),
    );
    expect(one.code).toBe(0);
    const oneRows = csvRows(join(dir, "one.csv"));
    expect(oneRows).toHaveLength(2);
    expect(oneRows[1]![0]).toBe("relu");
  });

  it("a --plot that is a file or a --csv that is a directory fails at once with one line", async () => {
    const file = join(base, "plain-file");
    writeFileSync(file, "x");
    const r1 = await run("probe", "--depth", "2", "--width", "4", "--plot", file);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toBe(`gradscope: --plot ${file} is a file, not a directory\n`);
    expect(r1.stdout).toBe("");
    const r2 = await run("jacobian", "--depth", "2", "--width", "4", "--csv", base);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toBe(`gradscope: --csv ${base} is a directory, not a file\n`);
  });
});
