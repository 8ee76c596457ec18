/**
 * Size limits for CSV (issue #17, class 2): a 200 MB CSV of 52 million short rows. Before the
 * fix it was read into one string and parsed into 52 million arrays of strings: V8 ran out of
 * heap, with or without --samples. Now it is streamed twice and only the kept rows are
 * stored: `train --samples 1000` runs in bounded memory, and without --samples a limit below
 * what the rows need refuses at once, before the arrays exist.
 *
 * About a minute and 200 MB of disk in os.tmpdir(): runs only when CI=true or GRADSCOPE_BIG=1.
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const BIG = process.env["CI"] === "true" || process.env["GRADSCOPE_BIG"] === "1";
const ROWS = 52_000_000;
const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "src/cli/run.ts");
const MAXRSS =
  "process.on('exit',()=>process.stderr.write('\\nMAXRSS '+process.resourceUsage().maxRSS*1024+'\\n'))";

function node(
  code: string,
  args: string[],
): { code: number | null; err: string; out: string; maxRss: number } {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", "--eval", `${MAXRSS}; ${code}`, CLI, ...args],
    {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 600_000,
    },
  );
  const m = /MAXRSS (\d+)/.exec(r.stderr);
  return { code: r.status, err: r.stderr, out: r.stdout, maxRss: m ? Number(m[1]) : Number.NaN };
}

const dir = mkdtempSync(join(tmpdir(), "gradscope-bigcsv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(BIG)("size limits: a CSV of 52 million short rows", () => {
  it("train --samples 1000 reads it in bounded memory; without --samples a low limit refuses before allocating", () => {
    const path = join(dir, "big.csv");
    const fd = openSync(path, "w");
    // rows "d,c\n" (4 bytes): a digit feature and a class 0/1, written in 8 MB blocks
    const block = Buffer.from(
      Array.from({ length: 2_000_000 }, (_, i) => `${i % 10},${(i >> 1) % 2}\n`).join(""),
    );
    for (let written = 0; written < ROWS; written += 2_000_000) writeSync(fd, block);
    closeSync(fd);
    const size = statSync(path).size;
    expect(size).toBeGreaterThan(200_000_000);

    const t0 = performance.now();
    const train = node(`await import(${JSON.stringify(CLI)})`, [
      "train",
      "--dataset",
      "csv",
      "--csv",
      path,
      "--samples",
      "1000",
      "--depth",
      "2",
      "--width",
      "8",
      "--steps",
      "20",
      "--quiet",
      "--json",
      "--out",
      join(dir, "run"),
    ]);
    const trainMs = performance.now() - t0;
    expect(train.code, train.err.slice(-1500)).toBe(0);
    const summary = JSON.parse(train.out).summary;
    expect(summary.dataset.train + summary.dataset.test).toBe(1000);
    expect(summary.dataset.description).toContain(`${ROWS} rows, 1 features, 2 classes`);

    const t1 = performance.now();
    const refuse = node(
      `const { loadCsvDataset } = await import(${JSON.stringify(join(ROOT, "src/experiment/datasets/csv.ts"))});
       try { loadCsvDataset({ seed: 0, dtype: "f64", testFraction: 0.2, csvPath: ${JSON.stringify(path)}, memoryLimitBytes: 1024 ** 3 }); console.log("loaded"); }
       catch (e) { console.log(e.name + ": " + e.message); }`,
      [],
    );
    const refuseMs = performance.now() - t1;
    expect(refuse.out.trim()).toMatch(
      new RegExp(
        `^DatasetError: .*: ${ROWS} rows of 1 features and 2 classes need about [\\d.]+ GiB, over the 1\\.0 GiB of memory available now: keep fewer with --samples N$`,
      ),
    );
    const mib = (b: number) => `${(b / 1024 ** 2).toFixed(0)} MiB`;
    console.log(
      `big csv: ${(size / 1e6).toFixed(0)} MB, ${ROWS} rows; train --samples 1000: peak RSS ${mib(train.maxRss)}, ${(trainMs / 1000).toFixed(1)} s; refusal without --samples (1 GiB limit): peak RSS ${mib(refuse.maxRss)}, ${(refuseMs / 1000).toFixed(1)} s`,
    );
    expect(train.maxRss).toBeLessThan(512 * 1024 ** 2);
    expect(refuse.maxRss).toBeLessThan(512 * 1024 ** 2);
  }, 900_000);
});
