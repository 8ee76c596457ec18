import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compare, SEED_STORY, variantsFromVary } from "./compare.ts";

describe("compare", () => {
  it("trains the seed story: remedies beat the vanishing sigmoid baseline", async () => {
    const result = await compare({ ...SEED_STORY.base, steps: 300 }, SEED_STORY.variants);
    const by = new Map(result.outcomes.map((o) => [o.label, o]));
    const baseline = by.get("sigmoid, standard-uniform (baseline)")!;
    expect(baseline.initialVerdict).toBe("vanishing");
    expect(baseline.initialGradRatio!).toBeLessThan(1e-12);
    // The baseline barely moves from ln 3 (three spiral classes).
    expect(Math.abs(baseline.finalLoss! - Math.log(3))).toBeLessThan(0.05);
    for (const label of ["relu + he-normal init", "sigmoid + batch norm"]) {
      const o = by.get(label)!;
      expect(o.initialVerdict, label).toBe("healthy");
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
  it("validates every variant before training", async () => {
    await expect(compare({ steps: 5 }, [{ label: "bad", changes: { depth: 0 } }])).rejects.toThrow(
      /depth/,
    );
  });
});
