/**
 * The diagnosis benchmark (bench/diagnosis) as a test: every initialization case probed and
 * diagnosed, against its mean-field label, with no contradiction between verdict and
 * diagnosis; a few short training runs with no contradiction either. The full benchmark,
 * training cases included: `npm run bench:diagnosis`.
 */
import { describe, expect, it } from "vitest";
import { INIT_CASES, TRAIN_CASES } from "../bench/diagnosis/cases.ts";
import {
  batchNormClosedForm,
  batchNormMonteCarlo,
  EXPECTED_PRIMARY,
  plainProfile,
} from "../bench/diagnosis/labels.ts";
import {
  agreement,
  type CaseResult,
  primaryConfusion,
  runInitCase,
  runTrainCase,
  verdictConfusion,
} from "../bench/diagnosis/measure.ts";
import { getActivation } from "../src/core/activations.ts";
import { PRIMARY_OF } from "../src/diagnose/reconcile.ts";
import { predictProfile } from "../src/theory/profile.ts";

describe("diagnosis benchmark: the labelling rule", () => {
  it("copies the verdict -> primary finding table of src/diagnose", () => {
    expect({ ...EXPECTED_PRIMARY, healthy: undefined }).toEqual({
      ...PRIMARY_OF,
      healthy: undefined,
    });
    expect(EXPECTED_PRIMARY.healthy).toBeNull();
  });

  it("has at least 150 cases, init and training, with unique ids", () => {
    const ids = [...INIT_CASES, ...TRAIN_CASES].map((c) => c.id);
    expect(ids.length).toBeGreaterThanOrEqual(150);
    expect(new Set(ids).size).toBe(ids.length);
    const depths = INIT_CASES.map((c) => c.net.depth);
    expect(Math.min(...depths)).toBe(2);
    expect(Math.max(...depths)).toBe(200);
  });

  it("its mean-field recursion equals src/theory's profile", () => {
    const mine = plainProfile(getActivation("tanh"), 1.5, 0.05, 30);
    const theirs = predictProfile({ activation: "tanh", weightVar: 1.5, biasVar: 0.05, depth: 30 });
    theirs.forEach((r, i) => {
      expect(Math.exp(mine.logG[i]!) / r.gradPreactMeanSq).toBeCloseTo(1, 10);
      expect(Math.exp(mine.logQ[i]!) / r.q).toBeCloseTo(1, 10);
    });
  });

  it("its batch-norm Monte Carlo reproduces the ReLU closed form within 10%", () => {
    const mc = batchNormMonteCarlo(getActivation("relu"), 2, 0, 12, 16, false, 1);
    const cf = batchNormClosedForm("relu", 2, 0, 12, 16);
    const span = (p: { logG: number[] }) => Math.exp(p.logG[1]! - p.logG[11]!);
    expect(span(mc) / span(cf)).toBeGreaterThan(0.9);
    expect(span(mc) / span(cf)).toBeLessThan(1.1);
  });
});

describe("diagnosis benchmark: initialization cases", () => {
  const results: CaseResult[] = [];

  it("runs every initialization case", () => {
    for (const c of INIT_CASES) results.push(runInitCase(c));
    expect(results.length).toBe(INIT_CASES.length);
  }, 120_000);

  it("finds no contradiction between verdict and diagnosis", () => {
    const found = results
      .filter((r) => r.contradictions.length > 0 || r.verdict !== r.diagnosisVerdict)
      .map((r) => `${r.id}: ${r.contradictions.join("; ")}`);
    expect(found).toEqual([]);
  });

  it("agrees with the mean-field labels on at least 95% of verdicts and primary findings", () => {
    const v = verdictConfusion(results);
    const p = primaryConfusion(results);
    const off = results
      .filter((r) => !r.verdictAgrees || !r.primaryAgrees)
      .map((r) => `${r.id}: ${r.label} -> ${r.verdict}`);
    expect(agreement(v), off.join("\n")).toBeGreaterThanOrEqual(0.95);
    expect(agreement(p), off.join("\n")).toBeGreaterThanOrEqual(0.95);
  });
});

describe("diagnosis benchmark: short training runs", () => {
  const picks = [
    "train/healthy/spirals-relu-he-d6-adam",
    "train/healthy/spirals-relu-he-bn-d10-sgd",
    "train/vanishing/spirals-sigmoid-su-d20-sgd",
    "train/exploding/teacher-identity-w4-d30-sgd-lr1",
    "train/exploding/spirals-tanh-w4-d20-sgd-lr1",
    "train/exploding/teacher-identity-w4-d30-sgd-lr1-clip",
  ];

  for (const id of picks) {
    it(`${id}: no contradiction`, async () => {
      const c = TRAIN_CASES.find((x) => x.id === id);
      expect(c).toBeDefined();
      const r = await runTrainCase({ ...c!, budget: 100 }, null);
      expect(r.contradictions).toEqual([]);
      expect(r.verdict).toBe(r.diagnosisVerdict);
    });
  }
});
