import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ACTIVATION_NAMES } from "../../src/core/activations.ts";
import { INIT_NAMES } from "../../src/core/init.ts";
import { LOSS_NAMES } from "../../src/core/loss.ts";
import { type ProbeConfig, resolveProbeConfig } from "../../src/experiment/config.ts";
import { buildProbe, runProbe } from "../../src/experiment/probe-run.ts";
import type { LayerMetrics } from "../../src/probe/layer-metrics.ts";
import { l2Norm, meanStd } from "../../src/probe/stats.ts";
import type { ProbeSummary, Verdict } from "../../src/verdict/summary.ts";

/** Configurations probed (the count docs/RELIABILITY.md reports). */
const SOAK_CONFIGS = 200;
const SEED = 20261129;

/** Weight variances from vanishing to overflow: exact extremes, powers of ten, in between. */
const weightVar = fc.oneof(
  { arbitrary: fc.constantFrom(0, 1e-12, 1e-6, 1e-3, 1e3, 1e4, 1e6), weight: 3 },
  { arbitrary: fc.constantFrom(0.5, 1, 2, 4, 16, 100), weight: 1 },
  { arbitrary: fc.double({ min: 0, max: 1e6, noNaN: true }), weight: 1 },
);

/** Random valid probe configs, small enough that 200 of them run in seconds. */
const probeConfig: fc.Arbitrary<ProbeConfig> = fc
  .record({
    depth: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constantFrom(30, 60, 120, 250, 400)),
    width: fc.integer({ min: 1, max: 12 }),
    batch: fc.integer({ min: 1, max: 8 }),
    activation: fc.constantFrom(...ACTIVATION_NAMES),
    // the inits that take weightVar, twice as often as the named ones
    init: fc.oneof(
      { arbitrary: fc.constantFrom("normal", "uniform", "orthogonal"), weight: 2 },
      { arbitrary: fc.constantFrom(...INIT_NAMES), weight: 1 },
    ),
    weightVar,
    biasVar: fc.oneof(fc.constant(0), fc.constantFrom(1e-6, 0.05, 1, 1e3, 1e6)),
    gain: fc.oneof(fc.constant(1), fc.double({ min: -1e6, max: 1e6, noNaN: true })),
    slope: fc.constantFrom(0, 0.01, 0.2, 1, 1e3),
    norm: fc.constantFrom("none", "batch-norm", "layer-norm"),
    residual: fc.boolean(),
    branchScale: fc.constantFrom(1, 0.1, 1e-6, 10, 1e6, -1),
    seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    dtype: fc.constantFrom("f32", "f64"),
    loss: fc.constantFrom(...LOSS_NAMES),
    repeats: fc.constantFrom(1, 1, 1, 2),
  })
  .map(({ norm, ...r }) => {
    const input: Record<string, unknown> = {
      ...r,
      batchNorm: norm === "batch-norm",
      layerNorm: norm === "layer-norm",
    };
    if (norm === "batch-norm" && r.batch < 2) input.batch = 2;
    if (r.loss === "cross-entropy") input.outputs = 3;
    return resolveProbeConfig(input);
  });

const METRIC_KEYS = [
  "q",
  "gradPreactMeanSq",
  "gradWeightNorm",
  "gradBiasNorm",
  "weightNorm",
  "gradToWeight",
  "actMean",
  "actStd",
  "saturated",
  "lowDerivative",
  "inactive",
  "dead",
] as const satisfies readonly (keyof LayerMetrics)[];

const MIN_NORMAL_F64 = 2.2250738585072014e-308;

/**
 * Facts about the weights of hidden layer `layer` (1-based) in every repeat of a probe,
 * rebuilt from the config (buildProbe is deterministic in the seed): whether W is constant
 * (std 0, e.g. a 1x1 matrix or weights that rounded to zero), and whether its largest
 * magnitude is subnormal (nonzero but below the smallest normal float64).
 */
function weightFacts(
  config: ProbeConfig,
  layer: number,
): { constant: boolean; subnormalMax: boolean } {
  let constant = false;
  let subnormalMax = false;
  for (let r = 0; r < config.repeats; r++) {
    const W = buildProbe({ ...config, seed: config.seed + r }).network.blocks[layer - 1]!.dense.W;
    let max = 0;
    let same = true;
    for (let i = 0; i < W.size; i++) {
      max = Math.max(max, Math.abs(W.data[i]!));
      if (W.data[i] !== W.data[0]) same = false;
    }
    if (same) constant = true;
    if (max > 0 && max < MIN_NORMAL_F64) subnormalMax = true;
  }
  return { constant, subnormalMax };
}

/**
 * The verdict the summary's own fields and the layers imply, derived here independently of
 * src/verdict (thresholds as documented in docs/METRICS.md).
 */
function expectedVerdict(
  summary: ProbeSummary,
  layers: readonly LayerMetrics[],
  dtype: string,
): Verdict {
  if (summary.nonfiniteLayers.length > 0) return "non-finite";
  if (summary.overflowLayers.length > 0 || summary.gradientSpan > 1e2) return "exploding";
  // a zero gradient under zero weights is a true zero, not an underflow
  const rounded = (i: number) => layers[i]!.underflow && layers[i + 1]?.weightNorm !== 0;
  let blocked = false;
  let above = false;
  for (let i = layers.length - 1; i >= 0; i--) {
    const g = layers[i]!.gradPreactMeanSq;
    if (g > 0) above = true;
    else if (g === 0 && above && !rounded(i)) blocked = true;
  }
  const none = layers.every((m) => m.nonfinite === 0 && m.gradWeightNorm === 0);
  if (summary.gradientSpan < 1e-2 || blocked || none) return "vanishing";
  const minNormal = dtype === "f32" ? 1.1754943508222875e-38 : 2.2250738585072014e-308;
  const tiny = layers.some(
    (m) =>
      (m.gradPreactMeanSq > 0 && Math.sqrt(m.gradPreactMeanSq) < minNormal * 1e4) ||
      (m.gradPreactMeanSq === 0 && m.gradWeightNorm > 0),
  );
  if (layers.some((_, i) => rounded(i)) || tiny) return "underflow";
  if (summary.signalRatio > 1e4) return "signal-blowup";
  if (summary.signalRatio < 1e-4) return "signal-collapse";
  return "healthy";
}

/**
 * A grid of extremes: weight variances from 1e-12 to 1e6 (init normal), depths to 400,
 * activations that pass the signal unbounded, both float types, with and without residuals.
 */
const GRID: Record<string, unknown>[] = [];
for (const dtype of ["f32", "f64"]) {
  for (const weightVar of [1e-12, 1e-6, 1e-2, 1e2, 1e4, 1e6]) {
    for (const depth of [10, 60, 400]) {
      for (const activation of ["identity", "relu", "tanh"]) {
        for (const residual of [false, true]) {
          GRID.push({
            dtype,
            weightVar,
            depth,
            activation,
            residual,
            init: "normal",
            width: 4,
            batch: 4,
            seed: depth,
          });
        }
      }
    }
  }
}

type Tally = ReturnType<typeof newTally>;

function newTally() {
  return {
    overflowF32: 0,
    overflowF64: 0,
    underflow: 0,
    constantWeights: 0,
    meanSquareOverflow: 0,
    verdicts: new Map<string, number>(),
  };
}

function describeTally(label: string, count: number, tally: Tally): string {
  return `${label}: ${count} configs (counts are configs); non-finite f32 ${tally.overflowF32}, f64 ${tally.overflowF64}; underflow ${tally.underflow}; NaN gradToWeight of constant W ${tally.constantWeights}; mean-square overflow with finite entries ${tally.meanSquareOverflow}; verdicts ${JSON.stringify(Object.fromEntries(tally.verdicts))}`;
}

/** Probe `config` and check every invariant; counts what it met in `tally`. */
function checkProbe(config: ProbeConfig, tally: Tally): void {
  const result = runProbe(config);
  const { layers, summary } = result;
  expect(layers).toHaveLength(config.depth);
  const anyNonfinite = layers.some((m) => m.nonfinite > 0);
  const hit = {
    constantWeights: false,
    meanSquareOverflow: false,
  };
  const anyUnderflow = layers.some((m) => m.underflow);
  for (const m of layers) {
    expect(Number.isInteger(m.nonfinite) && m.nonfinite >= 0).toBe(true);
    expect(typeof m.underflow).toBe("boolean");
    for (const key of ["saturated", "lowDerivative", "inactive", "dead"] as const) {
      const v = m[key];
      if (Number.isFinite(v)) expect(v >= 0 && v <= 1, `${key} ${v}`).toBe(true);
    }
    for (const key of METRIC_KEYS) {
      const v = m[key];
      if (!Number.isFinite(v)) {
        // a metric that is not finite is flagged: NaN/Inf counted somewhere in the
        // network, or a gradient that underflowed to zero (0/0 ratios)
        if (anyNonfinite || anyUnderflow) continue;
        // otherwise it must be one of two explained cases, checked on the weights
        const w = weightFacts(config, m.layer);
        if (key === "gradToWeight" && w.constant) {
          hit.constantWeights = true; // std(dW) / std(W) with std(W) = 0: 0/0 by definition
          continue;
        }
        if ((key === "q" || key === "gradPreactMeanSq") && v === Number.POSITIVE_INFINITY) {
          // a mean of squares of finite entries beyond sqrt(MAX_VALUE) ~ 1.3e154: the
          // true value exceeds float64; no entry is NaN/Inf, so nothing is counted
          hit.meanSquareOverflow = true;
          continue;
        }
        expect.fail(`layer ${m.layer} ${key} = ${v} unflagged (${JSON.stringify(config)})`);
      }
    }
  }
  // the verdict follows from the flags and the ratio, and the lists match the layers
  expect(summary.nonfiniteLayers).toEqual(
    layers.filter((m) => m.nonfinite > 0).map((m) => m.layer),
  );
  expect(summary.underflowLayers).toEqual(
    layers.filter((m, i) => m.underflow && layers[i + 1]?.weightNorm !== 0).map((m) => m.layer),
  );
  expect(summary.verdict).toBe(expectedVerdict(summary, layers, config.dtype));
  // "healthy" is a finding about a measured span, never the fallback of a NaN one
  if (summary.verdict === "healthy" && layers.length > 1)
    expect(Number.isFinite(summary.gradientSpan)).toBe(true);
  expect(summary.message.length).toBeGreaterThan(0);
  expect(summary.message).not.toMatch(/[\r\n]/);
  if (!Number.isFinite(summary.loss)) expect(anyNonfinite || anyUnderflow).toBe(true);
  if (anyNonfinite) {
    if (config.dtype === "f32") tally.overflowF32++;
    else tally.overflowF64++;
  }
  if (anyUnderflow) tally.underflow++;
  for (const k of Object.keys(hit) as (keyof typeof hit)[]) if (hit[k]) tally[k]++;
  tally.verdicts.set(summary.verdict, (tally.verdicts.get(summary.verdict) ?? 0) + 1);
}

describe("soak: runProbe at initialization over random configurations", () => {
  it(`${SOAK_CONFIGS} random configurations: no crash, metrics finite or flagged, verdict consistent`, () => {
    const tally = newTally();
    fc.assert(
      fc.property(probeConfig, (config) => checkProbe(config, tally)),
      { numRuns: SOAK_CONFIGS, seed: SEED },
    );
    // the soak reaches every regime it is meant to cover
    expect(tally.underflow).toBeGreaterThan(0);
    expect(tally.overflowF32 + tally.overflowF64).toBeGreaterThan(0);
    console.log(describeTally("soak random", SOAK_CONFIGS, tally));
  });

  it(`${GRID.length} extreme configurations overflow and underflow in f32 and f64, flagged`, () => {
    const tally = newTally();
    for (const input of GRID) checkProbe(resolveProbeConfig(input), tally);
    expect(tally.overflowF32).toBeGreaterThan(0);
    expect(tally.overflowF64).toBeGreaterThan(0);
    expect(tally.underflow).toBeGreaterThan(0);
    console.log(describeTally("soak grid", GRID.length, tally));
  });
  // Found by this soak and fixed: l2Norm and meanStd once rescaled by 1 / max|x|, which
  // overflows when max|x| is subnormal; and a 0/0 gradient ratio once fell through to "healthy".
  it("l2Norm of an all-subnormal array is finite", () => {
    expect(l2Norm(Float64Array.of(5e-323, -1e-322))).toBeLessThan(1e-300);
  });
  it("meanStd of an all-subnormal array is finite", () => {
    expect(Number.isFinite(meanStd(Float64Array.of(5e-323, -1e-322)).std)).toBe(true);
  });
  it("all-zero gradients (ratio 0/0) are not called healthy", () => {
    const config = resolveProbeConfig({
      depth: 1,
      width: 1,
      batch: 1,
      activation: "relu",
      init: "normal",
      weightVar: 0.5,
      biasVar: 1e-6,
      gain: 0,
      slope: 0,
      seed: 920352161,
      dtype: "f32",
    });
    const { summary } = runProbe(config);
    expect(Number.isNaN(summary.firstToLastRatio)).toBe(true);
    expect(summary.verdict).not.toBe("healthy");
  });
});
