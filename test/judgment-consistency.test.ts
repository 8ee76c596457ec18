import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/main.ts";
import { captureOutput } from "../src/cli/test-output.ts";
import { contradictions } from "../src/diagnose/consistency.ts";
import type { Diagnosis } from "../src/diagnose/types.ts";
import { compare } from "../src/experiment/compare.ts";
import type { TrainConfig } from "../src/experiment/config.ts";
import { prettyNotation } from "../src/report/html/diagnosis.ts";
import { escapeHtml } from "../src/report/html/escape.ts";

/**
 * One verdict everywhere: the same configurations through `train --json`, `report` and
 * `compare` give the same verdict, and it never contradicts the diagnosis beside it.
 */
const CASES: { name: string; config: Record<string, string | number>; verdict: string }[] = [
  {
    // the README's exploding recipe, smaller: chaotic tanh at lr 3 blows up (NaN at step 87)
    name: "chaotic tanh at lr 3",
    config: { depth: 16, width: 32, init: "normal", weightVar: 4, loss: "mse", lr: 3 },
    verdict: "exploded",
  },
  {
    // the same at depth 12 and lr 1: the gradient norm grows over 1e3x but stays finite
    name: "chaotic tanh at lr 1",
    config: { depth: 12, width: 32, init: "normal", weightVar: 4, loss: "mse", lr: 1 },
    verdict: "exploding",
  },
  {
    name: "deep sigmoid, standard-uniform",
    config: { depth: 12, width: 32, activation: "sigmoid", init: "standard-uniform" },
    verdict: "vanishing",
  },
  {
    name: "ReLU with He init",
    config: { depth: 8, width: 32, activation: "relu", init: "he-normal" },
    verdict: "healthy",
  },
];
/** {weightVar: 4} -> ["--weight-var", "4"] */
const flagsOf = (config: Record<string, string | number>): string[] =>
  Object.entries(config).flatMap(([k, v]) => [
    `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    String(v),
  ]);
const COMMON = ["--steps", "120", "--dataset", "blobs", "--seed", "3"];
const COMMON_CONFIG: Partial<TrainConfig> = { steps: 120, dataset: "blobs", seed: 3 };

describe("judgments agree across train, report and compare", () => {
  const root = mkdtempSync(join(tmpdir(), "gradscope-judgment-"));
  const trained = new Map<string, string>();

  it.each(CASES)(
    "$name: train --json, its diagnosis and its report say $verdict",
    async (c) => {
      const out = join(root, c.name.replace(/\W+/g, "-"));
      const output = captureOutput();
      expect(
        await main(
          ["train", ...flagsOf(c.config), ...COMMON, "--out", out, "--json", "--quiet"],
          output,
        ),
      ).toBe(0);
      const json = JSON.parse(output.stdout()) as {
        summary: { verdict: string; verdictMessage: string; diagnosis: Diagnosis };
      };
      const { verdict, verdictMessage, diagnosis } = json.summary;
      expect(verdict).toBe(c.verdict);
      expect(diagnosis.verdict).toBe(verdict);
      expect(contradictions(diagnosis, verdict as Diagnosis["verdict"])).toEqual([]);
      const stored = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
      expect(stored.verdict).toBe(verdict);
      expect(stored.diagnosis.verdict).toBe(verdict);
      expect(await main(["report", out, "--quiet", "--no-activations"], captureOutput())).toBe(0);
      const html = readFileSync(join(out, "report.html"), "utf8");
      // the same sentence, in the report's notation (4.18e153 -> 4.18×10¹⁵³)
      expect(html).toContain(
        `<strong>verdict:</strong> ${escapeHtml(prettyNotation(verdictMessage))}`,
      );
      trained.set(c.name, verdict);
    },
    60_000,
  );

  it("compare gives each variant the verdict train gave it", async () => {
    const result = await compare(
      { ...COMMON_CONFIG },
      CASES.map((c) => ({ label: c.name, changes: c.config as Partial<TrainConfig> })),
      { jobs: 1 },
    );
    for (const c of CASES) {
      const o = result.outcomes.find((x) => x.label === c.name)!;
      expect(o.verdict, c.name).toBe(c.verdict);
    }
  }, 120_000);
});
