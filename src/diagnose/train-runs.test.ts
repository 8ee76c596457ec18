import { describe, expect, it } from "vitest";
import { train } from "../experiment/train/trainer.ts";
import { diagnose } from "./diagnose.ts";
import type { Diagnosis, FindingId } from "./types.ts";

/** Real training runs (spirals, seed 0): TrainRecords and the summary's explosion go in as they are. */
async function run(config: Record<string, unknown>): Promise<Diagnosis> {
  const r = await train(config);
  return diagnose({
    config: r.config,
    snapshots: r.records,
    training: { lr: r.config.lr, clip: r.config.clip },
    explosion: r.summary.explosion,
  });
}

const ids = (d: Diagnosis): FindingId[] => d.findings.map((f) => f.id);

describe("diagnose: real training runs", () => {
  it("lr 5 on a ReLU network explodes: non-finite, exploding, dying ReLUs; clip or lower lr", async () => {
    const d = await run({
      depth: 6,
      width: 32,
      batch: 32,
      activation: "relu",
      init: "he-normal",
      lr: 5,
      steps: 60,
      recordEvery: 1,
      evalEvery: 0,
    });
    expect(d.healthy).toBe(false);
    expect(d.findings[0]!.severity).toBe("critical");
    for (const id of ["non-finite", "exploding", "dead-units", "unstable-updates"] as const) {
      expect(ids(d)).toContain(id);
    }
    const exploding = d.findings.find((f) => f.id === "exploding")!;
    expect(exploding.remedies[0]!.id).toBe("gradient-clipping");
    expect(exploding.remedies[1]!.trainChange).toEqual({ lr: 0.5, lrScale: 0.1 });
    // the ReLUs died in the explosion: a consequence, attached to it, with no advice of its own
    expect(d.verdict).toBe("exploded");
    expect(d.primary).toBe("exploding");
    const dead = d.findings.find((f) => f.id === "dead-units")!;
    expect(dead.cause).toContain("rose from");
    expect(dead.secondaryTo).toBe("exploding");
    expect(dead.remedies).toEqual([]);
    // never both a higher and a lower learning rate
    const lrs = new Set(d.findings.flatMap((f) => f.remedies.map((r) => r.id)));
    expect(lrs.has("lower-lr") && lrs.has("higher-lr")).toBe(false);
  });

  it("a 12-layer sigmoid network trains with vanishing gradients and tiny updates", async () => {
    const d = await run({
      depth: 12,
      width: 32,
      batch: 32,
      activation: "sigmoid",
      init: "standard-uniform",
      steps: 200,
      recordEvery: 10,
      evalEvery: 0,
    });
    const v = d.findings.find((f) => f.id === "vanishing")!;
    expect(v.severity).toBe("critical");
    expect(v.steps.length).toBe(21); // every recorded step
    expect(v.cause).toContain("chi1 = 0.02");
    expect(v.remedies[0]!.id).toBe("relu-he");
    const u = d.findings.find((f) => f.id === "unstable-updates")!;
    expect(u.title).toMatch(/^Updates too small/);
  });

  it("a 4-layer ReLU network with He init trains healthy", async () => {
    const d = await run({
      depth: 4,
      width: 32,
      batch: 32,
      activation: "relu",
      init: "he-normal",
      steps: 200,
      recordEvery: 10,
      evalEvery: 0,
    });
    expect(d.findings).toEqual([]);
    expect(d.healthy).toBe(true);
  });
});
