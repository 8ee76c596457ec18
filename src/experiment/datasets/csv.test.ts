import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assembleDataset } from "./assemble.ts";
import { loadCsvDataset } from "./csv.ts";
import type { Dataset } from "./dataset.ts";
import { DatasetError } from "./errors.ts";
import { loadDataset } from "./load.ts";
import { datasetStreams } from "./streams.ts";

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

  it("real-valued labels give regression; integers none of which repeats too", () => {
    const d = load("a,b,y\n1,2,0.5\n2,3,1.5\n3,4,-2\n");
    expect(d.task).toBe("regression");
    expect(d.outputDim).toBe(1);
    expect(d.labels).toBeUndefined();
    expect(rowsWithLabels(d)).toEqual(["1,2|0.5", "2,3|1.5", "3,4|-2"]);
    expect(d.description).toContain("task inferred: regression (a label is not an integer");
    const distinct = load("a,y\n1,1\n2,2\n3,3\n");
    expect(distinct.task).toBe("regression");
    expect(distinct.description).toContain("3 distinct integer labels, none repeated");
    // integers with more than 20 distinct values: regression
    const many = Array.from({ length: 60 }, (_, i) => `${i},${(i % 30) + 1}`).join("\n");
    expect(load(`a,y\n${many}\n`).task).toBe("regression");
  });

  it("integer labels {1,2}, {-1,1}, {0,1,3} are classes, and the description says why", () => {
    for (const [labels, classes] of [
      [
        [1, 2, 1, 2],
        ["1", "2"],
      ],
      [
        [-1, 1, 1, -1],
        ["-1", "1"],
      ],
      [
        [0, 1, 3, 3, 0],
        ["0", "1", "3"],
      ],
    ] as const) {
      const text = `a,y\n${labels.map((l, i) => `${i},${l}`).join("\n")}\n`;
      const d = load(text);
      expect(d.task).toBe("classification");
      expect(d.classNames).toEqual(classes);
      expect(d.description).toMatch(
        /\(task inferred: classification \(\d distinct integer labels: .*; --task regression reads them as numbers\)\)/,
      );
      expect(load(text, { task: "regression" }).task).toBe("regression");
    }
  });

  it("a single numeric class is refused with the way out, not read as regression", () => {
    expect(errorOf(() => load("a,y\n1,0\n2,0\n3,0\n"))).toMatch(
      /the label column 'y' has a single class '0' \(classification needs at least 2; --task regression reads it as a number\)$/,
    );
    expect(load("a,y\n1,0\n2,0\n3,0\n", { task: "regression" }).task).toBe("regression");
  });

  it("a numeric-looking header (numbers over a word label) is a header, not a data row", () => {
    const d = load("2019,2020,target\n1,2,0.5\n3,4,1.5\n5,6,2.5\n");
    expect(d.featureNames).toEqual(["2019", "2020"]);
    expect(d.task).toBe("regression");
    expect(rowsWithLabels(d)).toEqual(["1,2|0.5", "3,4|1.5", "5,6|2.5"]);
    // word labels below: the first row is data (its label is a class like the others)
    const words = load("1,2,cat\n3,4,dog\n5,6,cat\n");
    expect(words.featureNames).toBeUndefined();
    expect(words.trainX.rows + words.testX.rows).toBe(3);
  });

  it("hex, binary and octal literals are not numbers in cells", () => {
    for (const bad of ["0x10", "0b101", "0o17", "0X1F"]) {
      expect(errorOf(() => load(`a,b,y\n1,2,0\n3,${bad},1\n4,5,0\n`))).toMatch(
        new RegExp(`line 3, column 2 \\('b'\\): '${bad}' is not a decimal number$`),
      );
    }
    // as labels they are words: classes, never the numbers they spell
    const d = load("a,y\n1,0x1\n2,0x2\n3,0x1\n");
    expect(d.classNames).toEqual(["0x1", "0x2"]);
    for (const ok of ["1e3", "-0.5", ".5", "5.", "+2", "1E-3"]) {
      expect(load(`a,y\n${ok},0\n1,1\n2,0\n3,1\n`).trainX.rows).toBeGreaterThan(0);
    }
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

  describe("size limits: only regular files, memory checked before allocating", () => {
    it("a FIFO and /dev/zero are refused at once, never read", () => {
      const fifo = join(dir, "pipe.csv");
      execFileSync("mkfifo", [fifo]);
      const t0 = performance.now();
      expect(errorOf(() => loadDataset("csv", { seed: 0, dtype: "f64", csvPath: fifo }))).toBe(
        `csv file ${fifo} is a FIFO (named pipe), not a regular file`,
      );
      expect(
        errorOf(() => loadDataset("csv", { seed: 0, dtype: "f64", csvPath: "/dev/zero" })),
      ).toBe("csv file /dev/zero is a character device, not a regular file");
      expect(performance.now() - t0).toBeLessThan(2000);
    });

    it("a table too large for the memory given is refused before its arrays exist", () => {
      const rows = Array.from({ length: 1000 }, (_, i) => `${i},${i * 2},${i % 2}`).join("\n");
      const path = file(`a,b,y\n${rows}\n`);
      const opts = { seed: 0, dtype: "f64" as const, testFraction: 0.2, csvPath: path };
      expect(errorOf(() => loadCsvDataset({ ...opts, memoryLimitBytes: 10_000 }))).toMatch(
        /: 1000 rows of 2 features and 2 classes need about 66 KiB, over the 9\.8 KiB of memory available now: keep fewer with --samples N$/,
      );
      // with samples only the kept rows count
      const d = loadCsvDataset({ ...opts, samples: 50, memoryLimitBytes: 12_000 });
      expect(d.trainX.rows + d.testX.rows).toBe(50);
    });

    it("samples keeps the same rows as shuffling the whole table would, storing only those", () => {
      const n = 300;
      const lines = Array.from({ length: n }, (_, i) => `${i},${(i * 7) % 11},${i % 3}`);
      const path = file(`a,b,y\n${lines.join("\n")}\n`);
      const got = loadCsvDataset({
        seed: 5,
        dtype: "f64",
        testFraction: 0.25,
        csvPath: path,
        samples: 40,
      });
      const x = new Float64Array(n * 2);
      const labels = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        x[2 * i] = i;
        x[2 * i + 1] = (i * 7) % 11;
        labels[i] = i % 3;
      }
      const want = assembleDataset(
        { task: "classification", count: n, inputDim: 2, x, labels, classes: 3 },
        {
          name: "csv",
          description: "x",
          dtype: "f64",
          testFraction: 0.25,
          samples: 40,
          rng: datasetStreams(5).split,
        },
      );
      expect(Array.from(got.trainX.data)).toEqual(Array.from(want.trainX.data));
      expect(Array.from(got.testX.data)).toEqual(Array.from(want.testX.data));
      expect(Array.from(got.labels!.train)).toEqual(Array.from(want.labels!.train));
      expect(Array.from(got.testY.data)).toEqual(Array.from(want.testY.data));
    });

    it("reads a file in chunks: quotes, CRLF and multi-byte text split across chunk borders", () => {
      // 1 MiB chunks: pad so that rows straddle the border
      const rows: string[] = ['"name, with comma",b,"label"'];
      let length = 0;
      for (let i = 0; length < 2.2 * 1024 * 1024; i++) {
        const row = `${i}.25,${-i},"${i % 2 === 0 ? 'é""x""' : "naïve"}"`;
        rows.push(row);
        length += row.length + 2;
      }
      const d = load(`${rows.join("\r\n")}\r\n`, { testFraction: 0 });
      expect(d.featureNames).toEqual(["name, with comma", "b"]);
      expect(d.classNames).toEqual(["naïve", 'é"x"']);
      expect(d.trainX.rows).toBe(rows.length - 1);
    });
  });
});
