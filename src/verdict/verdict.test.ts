import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contradictions } from "../diagnose/consistency.ts";
import { diagnoseProbe } from "../diagnose/diagnose-probe.ts";
import { resolveProbeConfig } from "../experiment/config.ts";
import { runProbe } from "../experiment/probe-run.ts";
import { type FlowPoint, measuredSpan } from "./flow-measures.ts";
import { judgeFlow } from "./flow-verdict.ts";
import { type JudgedStep, judgeRun } from "./run-verdict.ts";
import { RunVerdictTracker } from "./tracker.ts";

/** Points with E[dz^2] = g(l) and q = s(l): a made-up gradient path. */
function path(
  depth: number,
  grad: (l: number) => number,
  signal: (l: number) => number = () => 1,
): FlowPoint[] {
  return Array.from({ length: depth }, (_, i) => ({
    index: i + 1,
    signal: signal(i + 1),
    gradMeanSq: grad(i + 1),
    gradNorm: Math.sqrt(grad(i + 1) * signal(i)),
    nonfinite: 0,
    underflow: false,
  }));
}

describe("measuredSpan", () => {
  it("is exact on a geometric profile: factor^(L - from) whatever the window", () => {
    for (const n of [2, 3, 5, 8, 13, 40, 199]) {
      const pts = Array.from({ length: n }, (_, i) => ({ index: i + 2, value: 0.7 ** -(i + 2) }));
      // value grows toward the output: from the last down to the first it shrinks 0.7 per point
      expect(measuredSpan(pts) / 0.7 ** (n - 1) - 1).toBeLessThan(1e-12);
    }
  });
  it("one outlier at an end moves it by at most its share of the window", () => {
    const pts = Array.from({ length: 20 }, (_, i) => ({ index: i + 1, value: 1 }));
    pts[0]!.value = 1e-6; // a single noisy point at the bottom
    // windows of 3: the outlier counts a third, and the span is stretched by 19/17
    expect(measuredSpan(pts)).toBeCloseTo(1e-2 ** (19 / 17), 12);
  });
});

describe("judgeFlow: labelled profiles", () => {
  // a linear network with orthogonal weights of gain g: E[dz^2] = g^(2(L-l)) exactly
  const linear = (g2: number, depth = 20) => path(depth, (l) => g2 ** (depth - l));
  it.each([
    [1, "healthy"],
    [0.5, "vanishing"],
    [0.9, "healthy"], // 0.9^18 = 0.15: the input side gets 39% of the output side's norm
    [0.75, "vanishing"], // 0.75^18 = 5.6e-3
    [1.2, "healthy"], // 1.2^18 = 26.6: the input side gets 5x the output side's norm
    [1.34, "exploding"], // 1.34^18 = 194: tanh at sigma_w^2 = 4 (chi1 = 1.34)
  ] as const)("gain^2 %s per layer over 20 layers", (g2, verdict) => {
    const j = judgeFlow(linear(g2));
    expect(Math.abs(j.measures.span / g2 ** 18 - 1)).toBeLessThan(1e-12);
    expect(j.verdict).toBe(verdict);
  });
  it("cuts at a 10x change of the gradient norm (1e2 in mean square), both ways", () => {
    const at = (span: number) => judgeFlow(path(10, (l) => span ** ((10 - l) / 8))).verdict;
    expect(at(0.0099)).toBe("vanishing");
    expect(at(0.0101)).toBe("healthy");
    expect(at(99)).toBe("healthy");
    expect(at(101)).toBe("exploding");
    expect(judgeFlow(path(10, (l) => 1e-13 ** ((10 - l) / 8))).severity).toBe("critical");
    expect(judgeFlow(path(10, (l) => 1e-11 ** ((10 - l) / 8))).severity).toBe("warning");
  });
  it("never lets the input layer decide (its pre-activations scale with the data)", () => {
    // layer 1 a million times smaller or larger, the rest flat: healthy
    for (const g1 of [1e-6, 1e6]) {
      const pts = path(
        20,
        (l) => (l === 1 ? g1 : 1),
        (l) => (l === 1 ? g1 : 1),
      );
      expect(judgeFlow(pts).verdict).toBe("healthy");
      expect(judgeFlow(pts).measures.fitFrom).toBe(2);
    }
  });
  it("sees a gradient that vanishes while |dW| stays flat (signal and gradient together)", () => {
    // dW = dz * a_prev: E[dz^2] shrinks 0.16 per layer toward the input while q grows
    // by the same factor, so |dW| is the same in every layer (ReLU, standard-uniform)
    const pts = path(
      20,
      (l) => 0.16 ** (20 - l),
      (l) => 0.16 ** (l - 1),
    );
    expect(pts[0]!.gradNorm / pts[19]!.gradNorm).toBeCloseTo(1, 0);
    const j = judgeFlow(pts);
    expect(j.verdict).toBe("vanishing");
    expect(j.conditions).toContain("signal-collapse");
  });
  it("orders conditions: NaN/Inf, exploding, vanishing, underflow, signal", () => {
    const pts = path(6, () => 1);
    pts[3]!.nonfinite = 2;
    expect(judgeFlow(pts).verdict).toBe("non-finite");
    const over = path(6, (l) => (l === 4 ? Number.POSITIVE_INFINITY : 1));
    expect(judgeFlow(over).verdict).toBe("exploding");
    expect(judgeFlow(over).measures.overflowPoints).toEqual([4]);
    const rounded = path(6, (l) => (l <= 2 ? 0 : 1));
    rounded[0]!.underflow = true;
    rounded[1]!.underflow = true;
    expect(judgeFlow(rounded).verdict).toBe("underflow");
    const blocked = path(6, (l) => (l <= 3 ? 0 : 1));
    expect(judgeFlow(blocked).verdict).toBe("vanishing");
    expect(judgeFlow(blocked).measures.blockedAt).toBe(3);
    const collapse = path(
      8,
      () => 1,
      (l) => 1e-1 ** (l - 1),
    );
    expect(judgeFlow(collapse).verdict).toBe("signal-collapse");
    const blowup = path(
      8,
      () => 1,
      (l) => 10 ** (l - 1),
    );
    expect(judgeFlow(blowup).verdict).toBe("signal-blowup");
  });
  it("f32 is judged against its own limits", () => {
    const tiny = path(6, () => 1e-80);
    expect(judgeFlow(tiny, { dtype: "f64" }).verdict).toBe("healthy");
    expect(
      judgeFlow(
        path(6, () => 1e-70),
        { dtype: "f32" },
      ).verdict,
    ).toBe("underflow");
    expect(
      judgeFlow(
        path(6, () => 1e36),
        { dtype: "f32" },
      ).verdict,
    ).toBe("exploding");
    expect(
      judgeFlow(
        path(6, () => 1e36),
        { dtype: "f64" },
      ).verdict,
    ).toBe("healthy");
  });
});

describe("judgeRun", () => {
  const step = (n: number, flow: ReturnType<typeof judgeFlow>, gradNorm = 1): JudgedStep => ({
    step: n,
    flow,
    gradNorm,
    finite: true,
  });
  const healthy = judgeFlow(path(8, () => 1));
  const vanishing = judgeFlow(path(8, (l) => 0.1 ** (8 - l)));
  it("calls a run that blew up 'exploded', whatever its last finite step looked like", () => {
    const j = judgeRun({
      steps: [step(1, healthy, 1), step(50, vanishing, 1e9)],
      nonFiniteStep: 53,
      explosion: { step: 53, layer: 4, where: "dL/dz" },
    });
    expect(j.verdict).toBe("exploded");
    expect(j.severity).toBe("critical");
    expect(j.message).toBe(
      "exploded: NaN/Inf at step 53 in dL/dz of layer 4, after the gradient norm grew 1.00e9x from step 1 to step 50",
    );
  });
  it("exploding when the global gradient norm grows over 1e3x, even with healthy profiles", () => {
    const j = judgeRun({
      steps: [step(1, healthy, 1), step(9, healthy, 2e3)],
      nonFiniteStep: null,
    });
    expect(j.verdict).toBe("exploding");
    expect(j.severity).toBe("warning");
    expect(
      judgeRun({ steps: [step(1, healthy, 1), step(9, healthy, 900)], nonFiniteStep: null })
        .verdict,
    ).toBe("healthy");
  });
  it("else the last finite step's verdict; healthy says what it was at the start", () => {
    expect(
      judgeRun({ steps: [step(1, healthy), step(9, vanishing)], nonFiniteStep: null }).verdict,
    ).toBe("vanishing");
    const cured = judgeRun({ steps: [step(1, vanishing), step(9, healthy)], nonFiniteStep: null });
    expect(cured.verdict).toBe("healthy");
    expect(cured.message).toMatch(/at step 9 \(vanishing at step 1\)$/);
  });
  const exploding = judgeFlow(path(8, (l) => 3 ** (8 - l)));
  const withLoss = (s: JudgedStep, loss: number): JudgedStep => ({ ...s, loss });
  it("a chaotic start that ends saturated (vanishing) is exploding: the cause, not the symptom", () => {
    const j = judgeRun({
      steps: [step(1, exploding, 10), step(300, vanishing, 1)],
      nonFiniteStep: null,
    });
    expect(j.verdict).toBe("exploding");
    expect(j.severity).toBe("critical");
    expect(j.message).toMatch(
      /^exploding: .* at step 1; by step 300 the network has saturated and the gradient vanishes$/,
    );
  });
  it("a run that learned from a healthy start is healthy, whatever the tilt of its last profile", () => {
    const learned = [
      withLoss(step(1, healthy, 2), 1.1),
      withLoss(step(300, exploding, 0.05), 0.01),
    ];
    const j = judgeRun({ steps: learned, nonFiniteStep: null });
    expect(j.converged).toBe(true);
    expect(j.verdict).toBe("healthy");
    expect(j.message).toMatch(
      /^healthy: the run converged \(loss 1\.1 at step 1, 0\.01 at step 300\)/,
    );
    // not when the loss stayed up, the norm grew, or the start was not healthy
    const stuck = [withLoss(step(1, healthy, 2), 1.1), withLoss(step(300, exploding, 0.05), 0.9)];
    expect(judgeRun({ steps: stuck, nonFiniteStep: null }).verdict).toBe("exploding");
    const grew = [withLoss(step(1, healthy, 2), 1.1), withLoss(step(300, exploding, 20), 0.01)];
    expect(judgeRun({ steps: grew, nonFiniteStep: null }).verdict).toBe("exploding");
    const vanishedFirst = [
      withLoss(step(1, vanishing, 2), 1.1),
      withLoss(step(300, vanishing, 1), 0.01),
    ];
    expect(judgeRun({ steps: vanishedFirst, nonFiniteStep: null }).verdict).toBe("vanishing");
  });
  it("weight gradients only (an import): not-judged, never healthy; growth and NaN still judged", () => {
    const unmeasured = judgeFlow(
      path(6, () => Number.NaN).map((p) => ({ ...p, gradMeanSq: Number.NaN, gradNorm: 0.5 })),
    );
    expect(unmeasured.verdict).toBe("not-judged");
    expect(unmeasured.severity).toBe("ok");
    expect(unmeasured.message).toMatch(
      /^not-judged: no layer carries the mean-square gradient dL\/dz, so vanishing and exploding across layers cannot be judged/,
    );
    // NaN in a point is still seen
    const broken = judgeFlow(
      path(6, () => Number.NaN).map((p, i) => ({
        ...p,
        gradMeanSq: Number.NaN,
        nonfinite: i === 2 ? 4 : 0,
      })),
    );
    expect(broken.verdict).toBe("non-finite");
    const steady = judgeRun({
      steps: [step(1, unmeasured, 1), step(9, unmeasured, 3)],
      nonFiniteStep: null,
    });
    expect(steady.verdict).toBe("not-judged");
    expect(steady.message).toMatch(/\(at step 9\)$/);
    const grown = judgeRun({
      steps: [step(1, unmeasured, 1), step(9, unmeasured, 5e3)],
      nonFiniteStep: null,
    });
    expect(grown.verdict).toBe("exploding");
    expect(judgeRun({ steps: [], nonFiniteStep: null }).verdict).toBe("not-judged");
  });
  it("a probe (one step at 0) keeps its flow verdict and message", () => {
    const j = judgeRun({ steps: [step(0, vanishing)], nonFiniteStep: null });
    expect(j.verdict).toBe("vanishing");
    expect(j.message).toBe(vanishing.message);
  });
  it("the O(1) tracker gives judgeRun's judgment over every step (property)", () => {
    const flows = [healthy, vanishing, judgeFlow(path(8, (l) => 3 ** (8 - l)))];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            flow: fc.integer({ min: 0, max: 2 }),
            norm: fc.double({ min: 1e-6, max: 1e8, noNaN: true }),
            loss: fc.double({ min: 1e-3, max: 10, noNaN: true }),
            finite: fc.boolean(),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        (xs) => {
          const steps = xs.map((x, i) => ({
            step: i + 1,
            flow: flows[x.flow]!,
            gradNorm: x.norm,
            loss: x.loss,
            finite: x.finite,
          }));
          const firstBad = steps.find((s) => !s.finite)?.step ?? null;
          const tracker = new RunVerdictTracker();
          for (const s of steps) tracker.observe(s);
          const all = judgeRun({ steps, nonFiniteStep: firstBad });
          const streamed = tracker.judgment();
          expect(streamed.verdict).toBe(all.verdict);
          expect(streamed.message).toBe(all.message);
        },
      ),
      { numRuns: 300, seed: 13 },
    );
  });
});

describe("the verdict and the diagnosis of real probes never contradict each other", () => {
  // a grid over activations, initializations, depth and width, with and without normalization
  const grid: Record<string, unknown>[] = [];
  for (const activation of ["sigmoid", "tanh", "relu", "gelu", "selu", "identity"]) {
    for (const [init, weightVar] of [
      ["standard-uniform", 1],
      ["normal", 0.5],
      ["normal", 4],
      ["xavier-normal", 1],
      ["he-normal", 1],
    ] as const) {
      for (const [depth, width] of [
        [3, 32],
        [24, 48],
      ] as const) {
        grid.push({ activation, init, weightVar, depth, width, batch: 32 });
      }
    }
  }
  grid.push({ activation: "relu", init: "he-normal", batchNorm: true, depth: 30, width: 32 });
  grid.push({ activation: "tanh", init: "zeros", depth: 6, width: 16 });
  grid.push({
    activation: "sigmoid",
    init: "standard-uniform",
    depth: 80,
    width: 32,
    dtype: "f32",
  });
  grid.push({
    activation: "identity",
    init: "normal",
    weightVar: 1e6,
    depth: 60,
    width: 4,
    batch: 4,
  });
  it(`${grid.length} configurations: same verdict in summary and diagnosis, no contradiction`, () => {
    const seen = new Set<string>();
    for (const c of grid) {
      const r = runProbe(resolveProbeConfig(c));
      const d = diagnoseProbe(r);
      expect(d.verdict, JSON.stringify(c)).toBe(r.summary.verdict);
      expect(contradictions(d, r.summary.verdict), JSON.stringify(c)).toEqual([]);
      seen.add(d.verdict);
    }
    // the grid reaches the main states (underflow shows as a condition of vanishing here)
    for (const v of ["healthy", "vanishing", "exploding"]) expect(seen).toContain(v);
  });
});
