import { describe, expect, it } from "vitest";
import { matrixPowerDemo } from "../theory/demos/matrix-power.ts";
import { phaseDiagram } from "../theory/mean-field.ts";
import { resolveProbeConfig } from "./config.ts";
import {
  csvField,
  LAYER_METRIC_COLUMNS,
  matrixPowerCsv,
  phaseDiagramCsv,
  probeCsv,
  toCsv,
  trainRecordsCsv,
} from "./csv-export.ts";
import { parseCsv } from "./datasets/csv-parse.ts";
import { runProbe } from "./probe-run.ts";
import type { TrainRecord } from "./train/recorder.ts";

/** Parse CSV text back into rows of fields (RFC 4180, via the dataset loader's parser). */
function parse(text: string): string[][] {
  return parseCsv(text).map((r) => r.fields);
}

describe("csvField / toCsv (RFC 4180)", () => {
  it("quotes only fields with a comma, quote or line break, doubling inner quotes", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("cr\r")).toBe('"cr\r"');
    expect(csvField(" spaced ")).toBe(" spaced ");
  });

  it("writes numbers in round-trip form and non-finite values as NaN / Infinity / -Infinity", () => {
    expect(csvField(1e-40)).toBe("1e-40");
    expect(csvField(0.1)).toBe("0.1");
    expect(csvField(Number.NaN)).toBe("NaN");
    expect(csvField(Number.POSITIVE_INFINITY)).toBe("Infinity");
    expect(csvField(Number.NEGATIVE_INFINITY)).toBe("-Infinity");
    expect(csvField(null)).toBe("");
    expect(csvField(undefined)).toBe("");
    expect(csvField(true)).toBe("true");
    const tiny = Math.PI * 1e-300;
    expect(Number(csvField(tiny))).toBe(tiny);
  });

  it("ends every line with CRLF, header first, and parses back to the same fields", () => {
    const text = toCsv({
      header: ["name", "value"],
      rows: [
        ['x, "y"', 1],
        ["multi\nline", Number.NaN],
      ],
    });
    expect(text).toBe('name,value\r\n"x, ""y""",1\r\n"multi\nline",NaN\r\n');
    expect(parse(text)).toEqual([
      ["name", "value"],
      ['x, "y"', "1"],
      ["multi\nline", "NaN"],
    ]);
  });

  it("refuses a row whose width differs from the header's", () => {
    expect(() => toCsv({ header: ["a", "b"], rows: [[1]] })).toThrow(/row 1 has 1 fields/);
  });
});

describe("tables", () => {
  const config = resolveProbeConfig({ depth: 4, width: 8, batch: 4, activation: "tanh" });
  const result = runProbe(config);

  it("probe: one row per layer; the header is exactly the LayerMetrics fields", () => {
    const rows = parse(toCsv(probeCsv(result)));
    expect(rows[0]).toEqual(Object.keys(result.layers[0]!));
    expect(rows[0]).toEqual([...LAYER_METRIC_COLUMNS]);
    expect(rows).toHaveLength(1 + config.depth);
    for (const row of rows) expect(row).toHaveLength(LAYER_METRIC_COLUMNS.length);
    // values parse back to the numbers measured
    const gw = rows[0]!.indexOf("gradWeightNorm");
    expect(rows.slice(1).map((r) => Number(r[gw]))).toEqual(
      result.layers.map((m) => m.gradWeightNorm),
    );
  });

  it("train: metrics.jsonl flattened, one row per (step, layer), non-finite and null kept apart", () => {
    const layers = result.layers.map((m) => ({ ...m, updateRatio: -3 as number | null }));
    const records: TrainRecord[] = [
      { step: 1, epoch: 1, loss: 1, lr: 0.1, clipped: 0, gradNorm: 2, layers },
      {
        step: 2,
        epoch: 1,
        loss: Number.POSITIVE_INFINITY,
        lr: 0.1,
        clipped: 0,
        gradNorm: Number.NaN,
        layers: layers.map((m) => ({ ...m, updateRatio: null })),
        testAcc: 0.5,
      },
    ];
    const rows = parse(toCsv(trainRecordsCsv(records)));
    const header = rows[0]!;
    expect(header.slice(0, 2)).toEqual(["step", "layer"]);
    expect(header).toEqual(expect.arrayContaining([...LAYER_METRIC_COLUMNS, "updateRatio"]));
    expect(rows).toHaveLength(1 + 2 * config.depth);
    const at = (row: number, col: string) => rows[row]![header.indexOf(col)];
    expect(at(1, "updateRatio")).toBe("-3");
    expect(at(config.depth + 1, "updateRatio")).toBe("");
    expect(at(config.depth + 1, "loss")).toBe("Infinity");
    expect(at(config.depth + 1, "gradNorm")).toBe("NaN");
    expect(at(config.depth + 1, "testAcc")).toBe("0.5");
    expect(at(1, "testAcc")).toBe("");
  });

  it("matrix power and phase diagram tables have one row per point", () => {
    const demos = [
      matrixPowerDemo(
        [
          [2, 0],
          [0, 2],
        ],
        3,
      ),
      matrixPowerDemo([[0.5]], 3),
    ];
    const mp = parse(toCsv(matrixPowerCsv(demos)));
    expect(mp).toHaveLength(1 + 6);
    expect(mp[1]).toEqual(["1", "2 0; 0 2", "2", "1", "2", "2", "1", String(Math.sqrt(8))]);
    const d = phaseDiagram("tanh", [0.5, 1, 2], [0, 0.1]);
    const pd = parse(toCsv(phaseDiagramCsv(d)));
    expect(pd[0]).toEqual([
      "activation",
      "weightVar",
      "biasVar",
      "qStar",
      "chi1",
      "phase",
      "converged",
    ]);
    expect(pd).toHaveLength(1 + 6);
  });
});
