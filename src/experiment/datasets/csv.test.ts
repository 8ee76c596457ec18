import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Dataset } from "./dataset.ts";
import { DatasetError } from "./errors.ts";
import { loadDataset } from "./load.ts";

const dir = mkdtempSync(join(tmpdir(), "gradscope-csv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function file(text: string): string {
  const path = join(dir, `data${fileCount++}.csv`);
  writeFileSync(path, text);
  return path;
}

function load(text: string, extra: Record<string, unknown> = {}): Dataset {
  return loadDataset("csv", { seed: 1, dtype: "f64", csvPath: file(text), ...extra });
}

/** Rows of the whole dataset as "x1,x2,...|label" strings, sorted (order-free comparison). */
function rowsWithLabels(d: Dataset): string[] {
  const out: string[] = [];
  for (const [X, Y, labels] of [
    [d.trainX, d.trainY, d.labels?.train],
    [d.testX, d.testY, d.labels?.test],
  ] as const) {
    for (let r = 0; r < X.rows; r++) {
      const y = labels ? labels[r] : Y.get(r, 0);
      out.push(`${X.toArray()[r]!.join(",")}|${y}`);
    }
  }
  return out.sort();
}

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return (e as Error).message;
  }
  throw new Error("expected a DatasetError");
}

describe("csv datasets", () => {
  it("reads a headed file with integer labels 0..K-1 as classification", () => {
    const d = load("x1,x2,label\n0.5,1,0\n1.5,2,1\n2.5,3,2\n3.5,4,1\n4.5,5,0\n");
    expect(d.task).toBe("classification");
    expect([d.inputDim, d.outputDim]).toEqual([2, 3]);
    expect(d.featureNames).toEqual(["x1", "x2"]);
    expect(d.classNames).toBeUndefined();
    expect([d.trainX.rows, d.testX.rows]).toEqual([4, 1]);
    expect(rowsWithLabels(d)).toEqual(["0.5,1|0", "1.5,2|1", "2.5,3|2", "3.5,4|1", "4.5,5|0"]);
    for (let r = 0; r < d.trainY.rows; r++) {
      expect(d.trainY.get(r, d.labels!.train[r]!)).toBe(1);
      expect(d.trainY.toArray()[r]!.reduce((s, v) => s + v, 0)).toBe(1);
    }
  });

  it("a file without a header (all numeric first row) keeps its first row as data", () => {
    const d = load("1,2,0\n3,4,1\n5,6,0\n");
    expect(d.featureNames).toBeUndefined();
    expect(rowsWithLabels(d)).toEqual(["1,2|0", "3,4|1", "5,6|0"]);
  });

  it("string labels become classes in sorted order, with or without a header", () => {
    const text = "5.1,3.5,setosa\n7.0,3.2,versicolor\n6.3,3.3,virginica\n4.9,3.0,setosa\n";
    const d = load(text);
    expect(d.featureNames).toBeUndefined();
    expect(d.classNames).toEqual(["setosa", "versicolor", "virginica"]);
    expect(rowsWithLabels(d)).toEqual(["4.9,3|0", "5.1,3.5|0", "6.3,3.3|2", "7,3.2|1"]);
    const headed = load(`sepal,petal,species\n${text}`);
    expect(headed.featureNames).toEqual(["sepal", "petal"]);
    expect(rowsWithLabels(headed)).toEqual(rowsWithLabels(d));
  });

  it("real-valued labels give regression; integers that are not 0..K-1 too", () => {
    const d = load("a,b,y\n1,2,0.5\n2,3,1.5\n3,4,-2\n");
    expect(d.task).toBe("regression");
    expect(d.outputDim).toBe(1);
    expect(d.labels).toBeUndefined();
    expect(rowsWithLabels(d)).toEqual(["1,2|0.5", "2,3|1.5", "3,4|-2"]);
    expect(load("a,y\n1,1\n2,2\n3,3\n").task).toBe("regression");
    expect(load("a,y\n1,0\n2,0\n3,0\n").task).toBe("regression");
  });

  it("task forces the interpretation; numeric classes are remapped in ascending order", () => {
    const d = load("a,y\n1,10\n2,-1\n3,10\n4,2.5\n", { task: "classification" });
    expect(d.task).toBe("classification");
    expect(d.classNames).toEqual(["-1", "2.5", "10"]);
    expect(rowsWithLabels(d)).toEqual(["1|2", "2|0", "3|2", "4|1"]);
    const r = load("a,y\n1,0\n2,1\n3,1\n", { task: "regression" });
    expect(r.task).toBe("regression");
    expect(rowsWithLabels(r)).toEqual(["1|0", "2|1", "3|1"]);
  });

  it("labelColumn by name, by index and by negative index", () => {
    const text = "y,a,b\n1,10,20\n0,11,21\n1,12,22\n";
    const byName = load(text, { labelColumn: "y" });
    expect(byName.featureNames).toEqual(["a", "b"]);
    expect(rowsWithLabels(byName)).toEqual(["10,20|1", "11,21|0", "12,22|1"]);
    expect(rowsWithLabels(load(text, { labelColumn: 0 }))).toEqual(rowsWithLabels(byName));
    expect(rowsWithLabels(load(text, { labelColumn: -3 }))).toEqual(rowsWithLabels(byName));
    expect(rowsWithLabels(load(text, { labelColumn: "0" }))).toEqual(rowsWithLabels(byName));
    // the middle column as label: regression on 10, 11, 12
    const mid = load(text, { labelColumn: "a" });
    expect(mid.task).toBe("regression");
    expect(mid.featureNames).toEqual(["y", "b"]);
  });

  it("handles quoted fields, CRLF, blank lines and a trailing newline", () => {
    const d = load('"x, first","x2","class"\r\n"1.5",2,"cat"\r\n\r\n3," 4 ",dog\r\n5,6,cat\r\n');
    expect(d.featureNames).toEqual(["x, first", "x2"]);
    expect(d.classNames).toEqual(["cat", "dog"]);
    expect(rowsWithLabels(d)).toEqual(["1.5,2|0", "3,4|1", "5,6|0"]);
  });

  it("csvText works without a file; results are deterministic and samples caps the rows", () => {
    const lines = ["a,b,c"];
    for (let i = 0; i < 50; i++) lines.push(`${i},${i * 2},${i % 2}`);
    const text = lines.join("\n");
    const a = loadDataset("csv", { seed: 3, dtype: "f32", csvText: text });
    const b = loadDataset("csv", { seed: 3, dtype: "f32", csvText: text });
    expect(Array.from(a.trainX.data)).toEqual(Array.from(b.trainX.data));
    expect(a.trainX.dtype).toBe("f32");
    expect([a.trainX.rows, a.testX.rows]).toEqual([40, 10]);
    const c = loadDataset("csv", { seed: 3, dtype: "f64", csvText: text, samples: 20 });
    expect([c.trainX.rows, c.testX.rows]).toEqual([16, 4]);
    expect(a.description).toContain("csv text: 50 rows, 2 features, 2 classes in 'c'");
  });

  describe("errors are one-line DatasetErrors", () => {
    it("missing file", () => {
      const path = join(dir, "nope.csv");
      expect(errorOf(() => loadDataset("csv", { seed: 0, dtype: "f64", csvPath: path }))).toBe(
        `csv file not found: ${path}`,
      );
    });

    it("no path at all, and a directory", () => {
      expect(errorOf(() => loadDataset("csv", { seed: 0, dtype: "f64" }))).toBe(
        "csv: give csvPath (a file to read) or csvText",
      );
      const sub = join(dir, "sub");
      mkdirSync(sub);
      expect(errorOf(() => loadDataset("csv", { seed: 0, dtype: "f64", csvPath: sub }))).toBe(
        `csv path is a directory, not a file: ${sub}`,
      );
    });

    it("empty file, blank-only file, header without data", () => {
      const empty = file("");
      expect(errorOf(() => loadDataset("csv", { seed: 0, dtype: "f64", csvPath: empty }))).toBe(
        `${empty}: the csv is empty`,
      );
      expect(errorOf(() => load("\n \r\n"))).toMatch(/: the csv is empty$/);
      expect(errorOf(() => load("a,b,c\n"))).toMatch(/: a header row but no data rows$/);
    });

    it("ragged rows name the line and the counts", () => {
      const path = file("a,b,c\n1,2,3\n\n4,5\n");
      expect(errorOf(() => loadDataset("csv", { seed: 0, dtype: "f64", csvPath: path }))).toBe(
        `${path}, line 4: 2 fields, expected 3 (as on line 1)`,
      );
      expect(errorOf(() => load("a,b\n1,2,3\n"))).toMatch(/line 2: 3 fields, expected 2/);
    });

    it("non-numeric and empty cells name line, column and value", () => {
      const path = file("a,b,y\n1,2,0\n3,abc,1\n");
      expect(errorOf(() => loadDataset("csv", { seed: 0, dtype: "f64", csvPath: path }))).toBe(
        `${path}, line 3, column 2 ('b'): 'abc' is not a number`,
      );
      expect(errorOf(() => load("1,2,0\n3,,1\n"))).toMatch(/line 2, column 2: empty cell$/);
      expect(errorOf(() => load("1,2,0\n3,4,\n"))).toMatch(/line 2, column 3: empty cell$/);
    });

    it("NaN and Infinity cells, in features or labels", () => {
      for (const bad of ["NaN", "nan", "Infinity", "-inf", "1e999"]) {
        expect(errorOf(() => load(`a,b,y\n1,2,0\n3,${bad},1\n`))).toMatch(
          new RegExp(
            `line 3, column 2 \\('b'\\): non-finite value '${bad}' \\(NaN and Infinity are not allowed\\)$`,
          ),
        );
      }
      expect(errorOf(() => load("a,y\n1,0.5\n2,NaN\n"))).toMatch(
        /line 3, column 2 \('y'\): non-finite value 'NaN'/,
      );
    });

    it("a label column that does not exist", () => {
      const path = file("a,b,y\n1,2,0\n3,4,1\n");
      const opts = { seed: 0, dtype: "f64" as const, csvPath: path };
      expect(errorOf(() => loadDataset("csv", { ...opts, labelColumn: "label" }))).toBe(
        `${path}: label column 'label' not found in the header (a, b, y)`,
      );
      expect(errorOf(() => loadDataset("csv", { ...opts, labelColumn: 3 }))).toBe(
        `${path}: label column 3 does not exist (the file has 3 columns: indices 0..2, or -1..-3 from the end)`,
      );
      expect(errorOf(() => loadDataset("csv", { ...opts, labelColumn: -4 }))).toMatch(
        /label column -4 does not exist/,
      );
      expect(errorOf(() => load("1,2,0\n3,4,1\n", { labelColumn: "y" }))).toMatch(
        /label column 'y' not found: the file has no header row \(give a column index\)$/,
      );
    });

    it("too few rows for a split, and a single class", () => {
      expect(errorOf(() => load("a,y\n1,0.5\n"))).toMatch(
        /: 1 example is too few for a train\/test split with testFraction 0.2 \(need at least 2\)$/,
      );
      expect(load("a,y\n1,0.5\n", { testFraction: 0 }).trainX.rows).toBe(1);
      expect(errorOf(() => load("a,y\n1,cat\n2,cat\n"))).toMatch(
        /the label column 'y' has a single class 'cat' \(classification needs at least 2\)$/,
      );
    });

    it("regression with word labels, a single column, an unclosed quote", () => {
      expect(errorOf(() => load("a,y\n1,cat\n2,dog\n", { task: "regression" }))).toMatch(
        /line 2, column 2 \('y'\): label 'cat' is not a number \(regression needs numeric labels\)$/,
      );
      expect(errorOf(() => load("y\n1\n2\n"))).toMatch(
        /needs at least 2 columns \(features and a label\), found 1$/,
      );
      expect(errorOf(() => load('a,y\n1,"0\n'))).toMatch(/line 2: quoted field is never closed$/);
    });

    it("every message is one line", () => {
      const msg = errorOf(() => load('a,y\n"1\n2",x\n3,4\n'));
      expect(msg).not.toContain("\n");
      expect(msg).toMatch(/line 2, column 1 \('a'\): '1\\n2' is not a number$/);
    });
  });
});
