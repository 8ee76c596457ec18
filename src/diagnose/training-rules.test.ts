import { describe, expect, it } from "vitest";
import { resolveNetworkConfig } from "../experiment/config.ts";
import { VERDICT_THRESHOLDS } from "../verdict/thresholds.ts";
import { diagnose } from "./diagnose.ts";
import { REMEDIES } from "./remedies.ts";
import { RULES } from "./rules.ts";
import { THRESHOLDS } from "./thresholds.ts";
import type {
  Diagnosis,
  DiagnosisInput,
  Finding,
  FindingId,
  Snapshot,
  SnapshotLayer,
} from "./types.ts";

/** Hand-built training snapshots: one healthy layer, overridden where a test needs it. */
function layer(l: number, o: Partial<SnapshotLayer> = {}): SnapshotLayer {
  return {
    layer: l,
    q: 1,
    gradPreactMeanSq: 1e-2,
    gradWeightNorm: 1,
    gradBiasNorm: 0.1,
    weightNorm: 8,
    gradToWeight: 0.01,
    actMean: 0.4,
    actStd: 0.6,
    saturated: 0,
    lowDerivative: 0,
    inactive: 0.5,
    dead: 0.02,
    nonfinite: 0,
    subnormal: 0,
    underflow: false,
    updateRatio: -3,
    ...o,
  };
}

const DEPTH = 20;
const config = resolveNetworkConfig({
  depth: DEPTH,
  width: 64,
  activation: "relu",
  init: "he-normal",
});

function snapshots(
  steps: readonly number[],
  make: (step: number, l: number, i: number) => Partial<SnapshotLayer>,
  loss?: (step: number, i: number) => number,
): Snapshot[] {
  return steps.map((step, i) => ({
    step,
    layers: Array.from({ length: DEPTH }, (_, k) => layer(k + 1, make(step, k + 1, i))),
    ...(loss ? { loss: loss(step, i) } : {}),
  }));
}

const range = (n: number, every = 1): number[] => Array.from({ length: n }, (_, i) => i * every);

function finding(d: Diagnosis, id: FindingId): Finding {
  const f = d.findings.find((x) => x.id === id);
  if (!f) throw new Error(`no ${id} finding in: ${d.findings.map((x) => x.id).join(", ")}`);
  return f;
}

function evidence(f: Finding, labelStart: string): number {
  const e = f.evidence.find((x) => x.label.startsWith(labelStart));
  if (!e) throw new Error(`no evidence '${labelStart}' in ${f.id}`);
  return e.value;
}

describe("the tables", () => {
  it("RULES: one rule per finding id, each described", () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(
      [
        "dead-units",
        "exploding",
        "forward-signal",
        "loss-plateau",
        "non-finite",
        "saturation",
        "underflow",
        "unstable-updates",
        "vanishing",
      ].sort(),
    );
    for (const r of RULES) expect(r.description.length).toBeGreaterThan(20);
  });

  it("REMEDIES: keyed by id; training remedies change training only", () => {
    for (const [key, def] of Object.entries(REMEDIES)) {
      expect(def.id).toBe(key);
      if (def.kind === "training") expect(def.trainChange).toBeDefined();
    }
  });

  it("THRESHOLDS: the brief's cuts", () => {
    expect(VERDICT_THRESHOLDS.vanishingSpan).toBe(1e-2);
    expect(VERDICT_THRESHOLDS.explodingSpan).toBe(1e2);
    expect(VERDICT_THRESHOLDS.growthExploding).toBe(1e3);
    expect(THRESHOLDS.saturatedFraction).toBe(0.2);
    expect(THRESHOLDS.deadFraction).toBe(0.3);
    expect(THRESHOLDS.inactiveFraction).toBe(0.9);
    expect(THRESHOLDS.updateRatioHigh).toBe(-1);
    expect(THRESHOLDS.updateRatioLow).toBe(-5);
    expect(THRESHOLDS.plateauImprovement).toBe(0.01);
    expect(THRESHOLDS.plateauTail).toBe(0.5);
  });
});

describe("diagnose: training snapshots", () => {
  it("a healthy run has no findings", () => {
    const d = diagnose({
      config,
      snapshots: snapshots(
        range(40, 10),
        () => ({}),
        (s) => 2.3 * Math.exp(-s / 100),
      ),
      training: { lr: 0.1 },
    });
    expect(d.findings).toEqual([]);
    expect(d.healthy).toBe(true);
    expect(d.headline).toBe("healthy: no warnings");
  });

  it("unstable updates: too large in most layers over the recent steps", () => {
    // 40 snapshots; the last 10 (the recent 25%) update layers 1-16 by 10^-0.6 of their size
    const snaps = snapshots(range(40, 10), (_s, l, i) => ({
      updateRatio: i >= 30 && l <= 16 ? -0.6 : -3,
    }));
    const input: DiagnosisInput = { config, snapshots: snaps, training: { lr: 0.5, clip: "none" } };
    const f = finding(diagnose(input), "unstable-updates");
    expect(f.severity).toBe("warning");
    expect(f.layers).toEqual(range(16).map((i) => i + 1));
    expect(f.steps).toEqual(range(10).map((i) => 300 + 10 * i));
    expect(evidence(f, "median log10 update ratio")).toBeCloseTo(-0.6, 12);
    expect(evidence(f, "layers with median")).toBe(16);
    expect(f.title).toContain("25%"); // 10^-0.6
    expect(f.cause).toContain("0.5");
    expect(f.remedies.map((r) => r.id)).toEqual(["lower-lr", "gradient-clipping"]);
    expect(f.remedies[0]!.trainChange).toEqual({ lr: 0.05, lrScale: 0.1 });
    expect(f.remedies[0]!.configChange).toEqual({});
    expect(f.remedies[1]!.trainChange).toEqual({ clip: "global-norm", clipThreshold: 1 });

    // clipping already on: not suggested again
    const clipped = diagnose({ ...input, training: { lr: 0.5, clip: "global-norm" } });
    expect(finding(clipped, "unstable-updates").remedies.map((r) => r.id)).toEqual(["lower-lr"]);

    // updates larger than the weights: critical by the rule, but the gradient flow is
    // healthy, and with a healthy verdict no finding is critical (reconcile.ts): a warning
    const huge = snapshots(range(8), () => ({ updateRatio: 0.4 }));
    const hugeD = diagnose({ config, snapshots: huge });
    expect(hugeD.verdict).toBe("healthy");
    expect(finding(hugeD, "unstable-updates").severity).toBe("warning");
    // a minority of layers is not "most layers"
    const few = snapshots(range(8), (_s, l) => ({ updateRatio: l <= 10 ? -0.5 : -3 }));
    expect(diagnose({ config, snapshots: few }).findings).toEqual([]);
  });

  it("unstable updates: too small, and the vanishing gradient behind it", () => {
    const tiny = snapshots(range(20, 5), () => ({ updateRatio: -6.5 }));
    const f = finding(
      diagnose({ config, snapshots: tiny, training: { lr: 0.001 } }),
      "unstable-updates",
    );
    expect(f.title).toMatch(/^Updates too small/);
    expect(f.remedies[0]!.id).toBe("higher-lr");
    expect(f.remedies[0]!.trainChange).toEqual({ lr: 0.01, lrScale: 10 });

    // exact-zero updates (-Infinity) count as too small; gradients 0.3^(L-l): vanishing
    const sigmoid = {
      ...config,
      activation: "sigmoid" as const,
      init: "standard-uniform" as const,
    };
    const starved = snapshots(range(20, 5), (_s, l) => ({
      updateRatio: l < 15 ? Number.NEGATIVE_INFINITY : -6,
      gradWeightNorm: 0.3 ** (DEPTH - l),
      gradPreactMeanSq: 0.09 ** (DEPTH - l),
    }));
    const d = diagnose({ config: sigmoid, snapshots: starved, training: { lr: 0.001 } });
    const g = finding(d, "unstable-updates");
    expect(g.cause).toContain("vanishes");
    // tiny updates of the lower layers follow from their vanishing gradient: attached to it,
    // and the fix is the vanishing's (a higher rate would not balance the layers)
    expect(g.variant).toBe("small");
    expect(g.secondaryTo).toBe("vanishing");
    expect(g.remedies).toEqual([]);
    const v = finding(d, "vanishing");
    expect(v.remedies[0]!.id).toBe("relu-he");
    expect(evidence(v, "mean-square gradient E[(dL/dz)^2] at layer 2 over layer 20")).toBeCloseTo(
      0.09 ** 18,
      25,
    );
    expect(d.verdict).toBe("vanishing");
    expect(evidence(v, "fitted per-layer factor")).toBeCloseTo(0.09, 10);
    expect(evidence(v, "recorded steps affected")).toBe(20);
  });

  it("loss plateau: stalled above the floor after learning (info)", () => {
    const lossHistory = range(200).map((step) => ({ step, loss: 1 + 1.3 * Math.exp(-step / 20) }));
    const d = diagnose({ config, snapshots: snapshots([0, 100, 199], () => ({})), lossHistory });
    const f = finding(d, "loss-plateau");
    expect(f.severity).toBe("info");
    expect(evidence(f, "relative loss improvement")).toBeLessThan(1); // 0.6%
    expect(evidence(f, "relative loss improvement")).toBeGreaterThan(0);
    expect(evidence(f, "initial loss")).toBeGreaterThan(2);
    expect(f.title).toMatch(/^Loss plateau: improved only 1% from step 100 to 199/);
    expect(f.steps).toEqual([100, 199]);
    expect(d.healthy).toBe(true);
    expect(f.cause).toContain("no gradient pathology");
    expect(f.remedies[0]!.id).toBe("higher-lr");
  });

  it("loss plateau: stuck at the initial loss (warning); converged or improving is not a plateau", () => {
    const flat = range(100).map((step) => ({ step, loss: 2.3 + 0.002 * Math.sin(step) }));
    const d = diagnose({ config, snapshots: snapshots([0, 99], () => ({})), lossHistory: flat });
    expect(finding(d, "loss-plateau").severity).toBe("warning");
    expect(d.healthy).toBe(false);

    const converged = range(100).map((step) => ({ step, loss: 2.3 * Math.exp(-step / 5) }));
    expect(diagnose({ config, snapshots: [], lossHistory: converged }).findings).toEqual([]);
    const improving = range(100).map((step) => ({ step, loss: 2.3 - 0.01 * step }));
    expect(diagnose({ config, snapshots: [], lossHistory: improving }).findings).toEqual([]);

    // losses from the snapshots themselves, with dead units behind the stall
    const dying = snapshots(
      range(20, 10),
      () => ({ dead: 0.45, inactive: 0.6 }),
      () => 1.7,
    );
    const g = finding(diagnose({ config, snapshots: dying }), "loss-plateau");
    expect(g.cause).toContain("dead");
    expect(g.remedies[0]!.id).toBe("leaky-relu-he");
  });

  it("non-finite values: step 37, layer 12 first", () => {
    // the gradient grows 1.3x per step, then layers 12-20 hold NaN/Inf at step 37, all layers after
    const snaps = snapshots(
      range(41),
      (step, l) =>
        step < 37
          ? { gradWeightNorm: 1.3 ** step }
          : step === 37 && l < 12
            ? { gradWeightNorm: 1.3 ** step }
            : { nonfinite: 5, gradWeightNorm: Number.NaN },
      (step) => (step < 38 ? 1 : Number.NaN),
    );
    const d = diagnose({ config, snapshots: snaps, training: { lr: 0.3 } });
    // the run exploded: the explosion is the primary finding, NaN/Inf its consequence
    expect(d.verdict).toBe("exploded");
    expect(d.verdictMessage).toMatch(/^exploded: NaN\/Inf at step 37/);
    expect(d.primary).toBe("exploding");
    expect(d.findings[0]!.id).toBe("exploding");
    const f = finding(d, "non-finite");
    expect(f.severity).toBe("critical");
    expect(f.secondaryTo).toBe("exploding");
    expect(f.relation).toBe("consequence");
    expect(f.title).toBe("NaN/Inf values: first at step 37, layer 12");
    expect(evidence(f, "first step with NaN/Inf")).toBe(37);
    expect(evidence(f, "first layer")).toBe(12);
    expect(evidence(f, "layers with NaN/Inf at that step")).toBe(9);
    expect(evidence(f, "NaN/Inf entries at that step")).toBe(45);
    expect(evidence(f, "norm of the hidden layers' weight gradients at step 36")).toBeCloseTo(
      1.3 ** 36 * Math.sqrt(DEPTH),
      6,
    );
    expect(f.steps).toEqual([37, 38, 39, 40]);
    expect(f.layers).toEqual(range(20).map((i) => i + 1));
    expect(f.cause).toContain("layer 12");
    expect(f.remedies).toEqual([]); // the primary's remedies apply

    const e = finding(d, "exploding");
    expect(e.severity).toBe("critical");
    expect(e.remedies.slice(0, 2).map((r) => r.id)).toEqual(["gradient-clipping", "lower-lr"]);
    expect(e.remedies.map((r) => r.id)).not.toContain("float64"); // already float64
    expect(
      evidence(e, "norm of the hidden layers' weight gradients: growth from step 0"),
    ).toBeCloseTo(1.3 ** 36, 6); // 1.27e4
    expect(e.title).toContain("then overflowed to NaN/Inf at step 37");
    expect(d.headline).toMatch(
      /^critical: Exploding gradients: the gradient norm grew 1\.3e\+4x, then overflowed to NaN\/Inf at step 37; with it: non-finite/,
    );
  });

  it("exploding: the gradient norm grows over 1e3x during training", () => {
    const snaps = snapshots(range(11, 10), (step) => ({ gradWeightNorm: 10 ** (step / 20) }));
    const f = finding(diagnose({ config, snapshots: snaps, training: { lr: 0.1 } }), "exploding");
    expect(f.severity).toBe("warning");
    expect(
      evidence(f, "norm of the hidden layers' weight gradients: growth from step 0 to step 100"),
    ).toBeCloseTo(1e5, 3);
    expect(f.title).toContain("between steps 0 and 100");
    expect(f.remedies[0]!.id).toBe("gradient-clipping");
    expect(f.remedies[1]!.trainChange).toEqual({ lr: 0.01, lrScale: 0.1 });
  });

  it("dead units: ReLUs dying during training point at the learning rate", () => {
    const snaps = snapshots(range(10, 100), (_s, _l, i) => ({
      dead: 0.02 + 0.065 * i,
      inactive: 0.5 + 0.03 * i,
    }));
    const f = finding(diagnose({ config, snapshots: snaps, training: { lr: 1 } }), "dead-units");
    expect(f.cause).toMatch(/rose from 2% at step 0 to 61% at step 900/);
    // mean 60.5% > 50% is critical by the rule; with a healthy gradient flow (the verdict) no
    // finding is critical, so it is a warning
    expect(f.severity).toBe("warning");
    expect(f.remedies[0]!.id).toBe("lower-lr");
    expect(f.remedies.map((r) => r.id)).not.toContain("he-init"); // already He
  });

  it("a condition gone by the last snapshot is reported one level lower", () => {
    const snaps = snapshots(range(5, 50), (_s, l, i) => ({
      gradWeightNorm: i === 0 ? 0.5 ** (DEPTH - l) : 1,
      gradPreactMeanSq: i === 0 ? 0.25 ** (DEPTH - l) : 1e-2,
    }));
    const f = finding(diagnose({ config, snapshots: snaps }), "vanishing");
    expect(f.steps).toEqual([0]);
    expect(f.severity).toBe("info"); // 0.25^18 = 1.5e-11 is a warning, resolved -> info
  });
});

describe("diagnose: the trainer's explosion", () => {
  it("NaN/Inf seen only by the trainer (the global gradient norm) is still reported", () => {
    const snaps = snapshots(
      range(6).map((i) => i + 1),
      (step) => ({ gradWeightNorm: 100 ** step }),
    );
    const d = diagnose({
      config,
      snapshots: snaps,
      training: { lr: 5 },
      explosion: { step: 6, layer: null, what: "gradient" },
    });
    const f = finding(d, "non-finite");
    expect(f.title).toBe("NaN/Inf values: first at step 6, in the global gradient norm");
    expect(f.steps).toEqual([6]);
    expect(evidence(f, "norm of the hidden layers' weight gradients at step 5")).toBeCloseTo(
      1e10 * Math.sqrt(DEPTH),
      -2,
    );
    expect(d.verdict).toBe("exploded");
    expect(d.primary).toBe("exploding");
    const e = finding(d, "exploding");
    expect(e.severity).toBe("critical");
    expect(e.remedies[0]!.id).toBe("gradient-clipping");

    const inLayer = diagnose({
      config,
      snapshots: snaps,
      explosion: { step: 6, layer: 3, what: "dW" },
    });
    expect(finding(inLayer, "non-finite").title).toBe(
      "NaN/Inf values: first at step 6, in dL/dW of layer 3",
    );
  });
});
