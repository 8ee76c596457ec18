import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Comparison, compare, SEED_STORY, variantsFromVary } from "./compare.ts";
import { DatasetError } from "./datasets/errors.ts";
import { toJson } from "./json-numbers.ts";

describe("compare", () => {
  it("trains the seed story: remedies beat the vanishing sigmoid baseline", async () => {
    const result = await compare({ ...SEED_STORY.base, steps: 300 }, SEED_STORY.variants);
    const by = new Map(result.outcomes.map((o) => [o.label, o]));
    const baseline = by.get("sigmoid, standard-uniform (baseline)")!;
    expect(baseline.initialVerdict).toBe("vanishing");
    expect(baseline.initialGradRatio!).toBeLessThan(1e-12);
    // The baseline barely moves from ln 3 (three spiral classes).
    expect(Math.abs(baseline.finalLoss! - Math.log(3))).toBeLessThan(0.05);
    // Batch norm's backward pass amplifies the gradient at initialization (Yang et al. 2019):
    // on spirals E[dz^2] grows 1.73x per layer toward the input (3e4 over 19 layers), so its
    // first step is "exploding", and yet it trains: the verdict says what is measured.
    const verdicts = { "relu + he-normal init": "healthy", "sigmoid + batch norm": "exploding" };
    for (const [label, verdict] of Object.entries(verdicts)) {
      const o = by.get(label)!;
      expect(o.initialVerdict, label).toBe(verdict);
      expect(o.finalLoss!, label).toBeLessThan(baseline.finalLoss! - 0.3);
    }
    expect(result.ranking.at(-1)).not.toBe("relu + he-normal init");
    expect(result.ranking.indexOf("relu + he-normal init")).toBeLessThan(
      result.ranking.indexOf("sigmoid, standard-uniform (baseline)"),
    );
  }, 120_000);
  it("keeps each variant's run directory under outDir", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "gradscope-compare-")), "cmp");
    const variants = variantsFromVary(["activation=tanh,relu"]);
    const result = await compare({ depth: 3, width: 16, steps: 20, recordEvery: 5 }, variants, {
      outDir: dir,
    });
    expect(readdirSync(dir).sort()).toEqual(["1-activation-tanh", "2-activation-relu"]);
    expect(result.outcomes.map((o) => o.status)).toEqual(["completed", "completed"]);
  });
  it("stopped midway: the variants that never started are named, not silently dropped", async () => {
    const controller = new AbortController();
    const variants = variantsFromVary(["activation=tanh,relu,sigmoid"]);
    const result = await compare({ depth: 3, width: 8, steps: 20, recordEvery: 5 }, variants, {
      jobs: 1,
      signal: controller.signal,
      onVariant: (_i, _total, _label, outcome) => {
        if (outcome) controller.abort(); // Ctrl-C as soon as the first variant ends
      },
    });
    expect(result.outcomes.map((o) => o.label)).toEqual(["activation=tanh"]);
    expect(result.notStarted).toEqual(["activation=relu", "activation=sigmoid"]);
    expect(result.ranking).toEqual(["activation=tanh"]);
    const full = await compare({ depth: 3, width: 8, steps: 20, recordEvery: 5 }, variants, {
      jobs: 1,
    });
    expect(full.notStarted).toEqual([]);
  });

  it("refuses one key varied twice (it would merge silently)", () => {
    expect(() => variantsFromVary(["lr=0.1,0.01", "lr=0.001"])).toThrow(
      "--vary lr is given twice: list all its values in one --vary lr=A,B,...",
    );
  });

  it("builds cartesian variants from --vary and rejects malformed specs", () => {
    const v = variantsFromVary(["activation=tanh,relu", "depth=2,4"]);
    expect(v.map((x) => x.label)).toEqual([
      "activation=tanh, depth=2",
      "activation=tanh, depth=4",
      "activation=relu, depth=2",
      "activation=relu, depth=4",
    ]);
    expect(() => variantsFromVary(["activation"])).toThrow(/KEY=VALUE/);
  });
  it("gives the same outcomes with 1 and 2 jobs, in input order", async () => {
    const variants = variantsFromVary(["activation=tanh,relu,sigmoid"]);
    const base = { depth: 4, width: 16, steps: 40, recordEvery: 10 };
    const strip = (c: Comparison) => ({
      ...c,
      outcomes: c.outcomes.map(({ elapsedMs: _, ...rest }) => rest),
    });
    const one = await compare(base, variants, { jobs: 1 });
    const seen: number[] = [];
    const two = await compare(base, variants, { jobs: 2, onResult: (i) => seen.push(i) });
    expect(seen).toEqual([0, 1, 2]);
    expect(two.outcomes.map((o) => o.label)).toEqual(variants.map((v) => v.label));
    for (const o of two.outcomes) {
      expect(o.status).toBe("completed");
      expect(o.finalLoss!).toBeLessThan(o.initialLoss!);
    }
    expect(new Set(two.outcomes.map((o) => o.finalLoss)).size).toBe(3);
    expect(strip(two)).toStrictEqual(strip(one));
    expect(toJson(strip(two))).toBe(toJson(strip(one)));
  }, 120_000);
  it("reports a dataset that will not load as the caller's error", async () => {
    const missing = join(tmpdir(), "gradscope-no-such-file.csv");
    const variants = variantsFromVary(["activation=tanh,relu"]);
    await expect(
      compare({ dataset: "csv", csv: missing, steps: 5 }, variants, { jobs: 2 }),
    ).rejects.toThrow(DatasetError);
  }, 60_000);
  it("validates every variant before training", async () => {
    await expect(compare({ steps: 5 }, [{ label: "bad", changes: { depth: 0 } }])).rejects.toThrow(
      /depth/,
    );
  });
});
