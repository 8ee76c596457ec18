import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadCsvDataset } from "../../src/experiment/datasets/csv.ts";
import { DatasetError } from "../../src/experiment/datasets/errors.ts";

/** Runs per property (the counts docs/RELIABILITY.md reports). */
const CSV_RUNS = { roundTrip: 300, garbage: 400, mutated: 400 };
const SEED = 20261129;

/** A CSV field, quoted (RFC 4180) when it holds a comma, quote or line break. */
function field(text: string): string {
  return /[",\r\n]/.test(text) || text.startsWith('"') ? `"${text.replace(/"/g, '""')}"` : text;
}

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
/** Header names: words that do not read as numbers, some needing quotes. */
const headerName = fc
  .string({ minLength: 1, maxLength: 8 })
  .map((s) => `c${s}`)
  .filter((s) => s.trim() === s);

interface Table {
  rows: number[][];
  labels: (number | string)[];
  task: "classification" | "regression";
  header: string[] | null;
  labelAt: number;
  eol: string;
}

const table: fc.Arbitrary<Table> = fc
  .record({
    n: fc.integer({ min: 2, max: 30 }),
    d: fc.integer({ min: 1, max: 5 }),
    kind: fc.constantFrom("ints", "words", "regression"),
    withHeader: fc.boolean(),
    eol: fc.constantFrom("\n", "\r\n"),
  })
  .chain(({ n, d, kind, withHeader, eol }) =>
    fc.record({
      rows: fc.array(fc.array(finite, { minLength: d, maxLength: d }), {
        minLength: n,
        maxLength: n,
      }),
      labels:
        kind === "regression"
          ? fc.array(finite, { minLength: n, maxLength: n })
          : kind === "ints"
            ? fc.integer({ min: 2, max: n }).chain((k) =>
                fc
                  .array(fc.integer({ min: 0, max: k - 1 }), { minLength: n - k, maxLength: n - k })
                  .chain((rest) =>
                    fc.shuffledSubarray([...Array.from({ length: k }, (_, i) => i), ...rest], {
                      minLength: n,
                      maxLength: n,
                    }),
                  ),
              )
            : fc
                .uniqueArray(headerName, { minLength: 2, maxLength: 4 })
                .chain((words) =>
                  fc
                    .array(fc.constantFrom(...words), { minLength: n - 2, maxLength: n - 2 })
                    .map((rest) => [words[0]!, words[1]!, ...rest]),
                ),
      task: fc.constant(kind === "regression" ? "regression" : "classification"),
      header: withHeader
        ? fc.uniqueArray(headerName, { minLength: d + 1, maxLength: d + 1 })
        : fc.constant(null),
      labelAt: fc.integer({ min: 0, max: d }),
      eol: fc.constant(eol),
    }),
  ) as fc.Arbitrary<Table>;

/** A number as CSV text; String(-0) is "0", so the sign of zero is written explicitly. */
const numberText = (v: number): string => (Object.is(v, -0) ? "-0" : String(v));

function csvText(t: Table): string {
  const lines: string[] = [];
  if (t.header) lines.push(t.header.map(field).join(","));
  t.rows.forEach((row, r) => {
    const cells = row.map(numberText);
    const label = t.labels[r]!;
    cells.splice(t.labelAt, 0, typeof label === "number" ? numberText(label) : label);
    lines.push(cells.map(field).join(","));
  });
  return lines.join(t.eol) + t.eol;
}

const rowKey = (xs: ArrayLike<number>): string =>
  Array.from(xs, (v) => (Object.is(v, -0) ? "-0" : String(v))).join("|");

function expectDatasetErrorOneLine(err: unknown): void {
  expect(err).toBeInstanceOf(DatasetError);
  const message = (err as Error).message;
  expect(message.length).toBeGreaterThan(0);
  expect(message).not.toMatch(/[\r\n]/);
}

describe("property: the CSV reader", () => {
  it("random tables round-trip: every row and label comes back (f64, no test split)", () => {
    fc.assert(
      fc.property(table, (t) => {
        const ds = loadCsvDataset({
          seed: 1,
          dtype: "f64",
          testFraction: 0,
          csvText: csvText(t),
          labelColumn: t.labelAt,
          task: t.task,
        });
        const n = t.rows.length;
        const d = t.rows[0]!.length;
        expect(ds.task).toBe(t.task);
        expect(ds.inputDim).toBe(d);
        expect(ds.trainX.rows).toBe(n);
        expect(ds.testX.rows).toBe(0);
        if (t.header) {
          expect(ds.featureNames).toEqual(t.header.filter((_, j) => j !== t.labelAt));
        }
        // the split shuffles rows: compare (features, label) pairs as multisets
        const classNames =
          ds.classNames ?? Array.from({ length: ds.outputDim }, (_, k) => String(k));
        const got: string[] = [];
        for (let r = 0; r < n; r++) {
          const x = ds.trainX.data.subarray(r * d, (r + 1) * d);
          const label =
            t.task === "regression"
              ? rowKey([ds.trainY.data[r]!])
              : classNames[ds.labels!.train[r]!]!;
          got.push(`${rowKey(x)}#${label}`);
        }
        const want = t.rows.map(
          (row, r) =>
            `${rowKey(row)}#${t.task === "regression" ? rowKey([t.labels[r] as number]) : String(t.labels[r])}`,
        );
        expect(got.sort()).toEqual(want.sort());
      }),
      { numRuns: CSV_RUNS.roundTrip, seed: SEED },
    );
  });

  it("random garbage text loads or gives a one-line DatasetError, never another exception", () => {
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: "binary" }),
      fc
        .array(fc.array(fc.oneof(fc.string(), finite.map(String)), { maxLength: 5 }), {
          maxLength: 8,
        })
        .map((rows) => rows.map((r) => r.join(",")).join("\n")),
    );
    fc.assert(
      fc.property(
        text,
        fc.option(fc.oneof(fc.string(), fc.integer({ min: -6, max: 6 }))),
        (csvText, labelColumn) => {
          try {
            const ds = loadCsvDataset({
              seed: 0,
              dtype: "f32",
              testFraction: 0.2,
              csvText,
              ...(labelColumn === null ? {} : { labelColumn }),
            });
            expect(ds.trainX.rows).toBeGreaterThan(0);
          } catch (err) {
            expectDatasetErrorOneLine(err);
          }
        },
      ),
      { numRuns: CSV_RUNS.garbage, seed: SEED },
    );
  });

  it("valid tables with random damage load or give a one-line DatasetError", () => {
    const damage = fc.tuple(
      fc.nat(),
      fc.constantFrom(
        "",
        ",",
        '"',
        "\n",
        "\r",
        "NaN",
        "-Infinity",
        "inf",
        "abc",
        ",,",
        '"a""b',
        "\u0000",
        "\ufeff",
        " ",
        "1e999",
      ),
      fc.integer({ min: 0, max: 3 }),
    );
    fc.assert(
      fc.property(table, fc.array(damage, { minLength: 1, maxLength: 4 }), (t, hits) => {
        let text = csvText(t);
        for (const [at, piece, cut] of hits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + piece + text.slice(i + cut);
        }
        try {
          loadCsvDataset({ seed: 0, dtype: "f64", testFraction: 0.25, csvText: text });
        } catch (err) {
          expectDatasetErrorOneLine(err);
        }
      }),
      { numRuns: CSV_RUNS.mutated, seed: SEED },
    );
  });
});
