import { describe, expect, it } from "vitest";
import { GLOSSARY } from "../../experiment/glossary.ts";
import { METRIC_DEFINITIONS, METRIC_DISPLAY_NAMES } from "../../report/html/run-report.ts";
import { main } from "../main.ts";
import { captureOutput } from "../test-output.ts";
import { columnsHelp, explain, TABLE_COLUMNS } from "./columns.ts";

async function run(...argv: string[]) {
  const output = captureOutput();
  const code = await main(argv, output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

describe("words for every number: one glossary for --help, --explain and the report", () => {
  it("every column of every table has a one-line definition", () => {
    for (const [table, keys] of Object.entries(TABLE_COLUMNS)) {
      for (const key of keys) {
        const e = GLOSSARY.get(key);
        expect(e, `${table}: ${key}`).toBeDefined();
        expect(e!.definition.length, key).toBeGreaterThan(10);
        expect(e!.definition).not.toMatch(/\n/);
      }
    }
  });

  it("the report's headers and definitions are the glossary's", () => {
    for (const key of ["gradPreactMeanSq", "gradToWeight", "saturated"]) {
      expect(METRIC_DEFINITIONS[key]).toBe(GLOSSARY.get(key)!.definition);
      expect(METRIC_DISPLAY_NAMES[key]).toBe(GLOSSARY.get(key)!.display);
    }
  });

  it("--help has a Columns section and --explain defines the columns printed, within 80 columns", async () => {
    const help = await run("probe", "--help");
    expect(help.stdout).toContain("Columns:");
    expect(help.stdout).toMatch(/\n {2}grad\/w +std\(∂L\/∂W\) \/ std\(W\)/);
    for (const [argv, table] of [
      [["probe", "--depth", "3", "--width", "8", "--explain"], "probe"],
      [["theory", "--activation", "tanh", "--explain"], "theory"],
      [["probe", "--arch", "rnn", "--seq-len", "5", "--width", "4", "--explain"], "recurrent"],
    ] as const) {
      const r = await run(...argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(explain(table));
      for (const line of explain(table).split("\n"))
        expect(line.length, line).toBeLessThanOrEqual(80);
    }
    for (const line of columnsHelp("probe", "recurrent", "transformer").split("\n")) {
      expect(line.length, line).toBeLessThanOrEqual(80);
    }
  });
});
