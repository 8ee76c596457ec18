/**
 * Failures the command soak found (test/soak/commands-soak.ts), each turned into a test.
 * `it.fails` marks one that is not fixed yet: the test passes while the bug is there and
 * fails once it is fixed, so that it is then turned into a plain `it` (and KNOWN_OPEN in
 * commands-soak.ts loses its entry).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.ts";
import { captureOutput } from "../../src/cli/test-output.ts";

describe("found by the command soak", () => {
  // soak seed 7, case 21: doctor on a CSV with a damaged cell ('10x1f.526')
  it("doctor refuses a bad CSV with exit 2 and one line, as train and compare do", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gradscope-found-"));
    const csv = join(dir, "bad.csv");
    writeFileSync(csv, "x0,y\n1,0\n2,1\n10x1f.526,0\n3,1\n");
    const output = captureOutput();
    const code = await main(
      [
        "doctor",
        "--dataset",
        "csv",
        "--csv",
        csv,
        "--depth",
        "2",
        "--width",
        "4",
        "--budget",
        "10",
        "--seeds",
        "1",
        "--jobs",
        "1",
      ],
      output,
    );
    expect(output.stderr()).toBe(
      `gradscope: ${csv}, line 4, column 1 ('x0'): '10x1f.526' is not a number\n`,
    );
    expect(code).toBe(2);
  });
});
