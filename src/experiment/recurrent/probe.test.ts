import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../config.ts";
import { resolveRecurrentConfig } from "./config.ts";
import { runRecurrentProbe } from "./probe.ts";

/** Worst |measured/predicted - 1| of the linear-RNN law over all steps. */
function lawError(steps: { gradHiddenNorm: number; predicted: number | null }[]): number {
  let worst = 0;
  for (const s of steps) worst = Math.max(worst, Math.abs(s.gradHiddenNorm / s.predicted! - 1));
  return worst;
}

describe("the linear-RNN law |dL/dh_t| = rho^(T-t) |dL/dh_T|", () => {
  it("holds to 1e-9 relative in f64 for orthogonal and identity W_hh, rho below and above 1", () => {
    let worst = 0;
    for (const [recurrentInit, rho, T] of [
      ["orthogonal", 0.9, 100],
      ["orthogonal", 1.05, 100],
      ["orthogonal", 0.5, 200],
      ["identity", 1.1, 50],
      ["orthogonal", -0.95, 60],
    ] as const) {
      const r = runRecurrentProbe(
        resolveRecurrentConfig({
          arch: "rnn",
          activation: "identity",
          recurrentInit,
          recurrentGain: rho,
          seqLen: T,
          width: 32,
          inputDim: 4,
          batch: 8,
        }),
      );
      expect(r.timeSteps).toHaveLength(T);
      expect(r.theory.linearProfile).not.toBeNull();
      const err = lawError(r.timeSteps);
      worst = Math.max(worst, err);
      expect(err, `${recurrentInit} rho ${rho}`).toBeLessThan(1e-9);
    }
    // the worst error, for the record (docs/THEORY.md quotes it)
    expect(worst).toBeLessThan(1e-12);
  });

  it("property: any seed, width and rho in [0.3, 1.5]", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 2, max: 24 }),
        fc.double({ min: 0.3, max: 1.5, noNaN: true }),
        (seed, width, rho) => {
          const r = runRecurrentProbe(
            resolveRecurrentConfig({
              activation: "identity",
              recurrentGain: rho,
              seqLen: 40,
              width,
              inputDim: 3,
              batch: 4,
              seed,
              biasVar: 0.5,
            }),
          );
          expect(lawError(r.timeSteps)).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("applies only to the linear RNN with an orthogonal-type recurrent matrix", () => {
    const tanh = runRecurrentProbe(resolveRecurrentConfig({ seqLen: 5, width: 4, batch: 2 }));
    expect(tanh.timeSteps.every((s) => s.predicted === null)).toBe(true);
    const normal = runRecurrentProbe(
      resolveRecurrentConfig({
        activation: "identity",
        recurrentInit: "normal",
        seqLen: 5,
        width: 4,
        batch: 2,
      }),
    );
    expect(normal.theory.linearProfile).toBeNull();
  });
});

describe("runRecurrentProbe", () => {
  const small = { seqLen: 30, width: 16, inputDim: 4, batch: 8 };

  it("judges over time steps: contracting tanh RNN vanishes, expanding linear RNN explodes", () => {
    const van = runRecurrentProbe(resolveRecurrentConfig({ ...small, recurrentGain: 0.5 }));
    expect(van.summary.verdict).toBe("vanishing");
    expect(van.summary.message).toMatch(/time step/);
    expect(van.theory.pascanu).toMatchObject({ vanishingGuaranteed: true });
    const exp = runRecurrentProbe(
      resolveRecurrentConfig({ ...small, activation: "identity", recurrentGain: 1.3 }),
    );
    expect(exp.summary.verdict).toBe("exploding");
    expect(exp.theory.pascanu).toMatchObject({ explodingPossible: true });
    const ok = runRecurrentProbe(
      resolveRecurrentConfig({ ...small, activation: "identity", recurrentGain: 1 }),
    );
    expect(ok.summary.verdict).toBe("healthy");
  });

  it("sigmoid: Pascanu's threshold is 4", () => {
    const r = runRecurrentProbe(
      resolveRecurrentConfig({ ...small, activation: "sigmoid", recurrentGain: 3.5 }),
    );
    expect(r.theory.pascanu).toMatchObject({
      gamma: 0.25,
      threshold: 4,
      vanishingGuaranteed: true,
    });
    expect(r.summary.verdict).toBe("vanishing");
  });

  it("reports every step and every parameter; lstm and gru too", () => {
    for (const arch of ["rnn", "lstm", "gru"] as const) {
      const r = runRecurrentProbe(resolveRecurrentConfig({ ...small, arch }));
      expect(r.timeSteps.map((s) => s.t)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(r.params.map((p) => p.name)).toEqual(["weight_ih", "weight_hh", "bias_ih", "bias_hh"]);
      for (const s of r.timeSteps) {
        expect(s.gradHiddenNorm).toBeGreaterThan(0);
        expect(s.gradHiddenMeanSq).toBeCloseTo(s.gradHiddenNorm ** 2 / (8 * 16), 12);
        expect(s.hiddenStd).toBeGreaterThan(0);
        expect(s.nonfinite).toBe(0);
        expect(s.saturated).toBeGreaterThanOrEqual(0);
      }
      expect(r.theory.singularValues).toHaveLength(arch === "lstm" ? 4 : arch === "gru" ? 3 : 1);
      expect(["healthy", "vanishing", "exploding"]).toContain(r.summary.verdict);
    }
  });

  it("mse and cross-entropy go through a readout whose gradients are reported", () => {
    const r = runRecurrentProbe(
      resolveRecurrentConfig({ ...small, arch: "gru", loss: "cross-entropy", outputs: 3 }),
    );
    expect(r.params.map((p) => p.name)).toContain("readout.W");
    expect(r.summary.loss).toBeGreaterThan(0);
  });

  it("the same seed gives the same numbers; the batch does not change the weights", () => {
    const a = runRecurrentProbe(resolveRecurrentConfig({ ...small, arch: "lstm" }));
    const b = runRecurrentProbe(resolveRecurrentConfig({ ...small, arch: "lstm" }));
    expect(b.timeSteps).toEqual(a.timeSteps);
    const c = runRecurrentProbe(resolveRecurrentConfig({ ...small, arch: "lstm", batch: 3 }));
    expect(c.params.map((p) => p.weightNorm)).toEqual(a.params.map((p) => p.weightNorm));
  });

  it("float32 limits: an expanding linear RNN overflows, a contracting tanh RNN underflows", () => {
    const over = runRecurrentProbe(
      resolveRecurrentConfig({
        activation: "identity",
        recurrentGain: 10,
        seqLen: 60,
        width: 8,
        batch: 4,
        dtype: "f32",
      }),
    );
    expect(over.summary.verdict).toBe("non-finite");
    // the gradient overflows going back (steps 1..22), the state going forward (from ~39)
    expect(over.summary.nonfiniteSteps).toContain(1);
    expect(over.summary.nonfiniteSteps).toContain(60);
    expect(over.timeSteps[0]!.nonfinite).toBeGreaterThan(0);
    const under = runRecurrentProbe(
      resolveRecurrentConfig({ recurrentGain: 0.1, seqLen: 100, width: 8, batch: 4, dtype: "f32" }),
    );
    expect(under.summary.verdict).toBe("vanishing");
    expect(under.summary.conditions).toContain("underflow");
    expect(under.summary.underflowSteps).toHaveLength(1);
    expect(under.timeSteps[under.summary.underflowSteps[0]! - 1]!.gradHiddenNorm).toBe(0);
  });

  it("refuses a net over the memory limit with one line", () => {
    expect(() =>
      runRecurrentProbe(resolveRecurrentConfig({ seqLen: 1000, width: 1000, batch: 1000 }), {
        memoryLimitBytes: 1e6,
      }),
    ).toThrow(/needs about .* reduce --seq-len/);
  });
});

describe("resolveRecurrentConfig", () => {
  it("fills the defaults", () => {
    expect(resolveRecurrentConfig()).toMatchObject({
      arch: "rnn",
      seqLen: 50,
      activation: "tanh",
      recurrentInit: "orthogonal",
      recurrentGain: 1,
      forgetBias: 1,
      loss: "random-projection",
    });
  });

  it("one clear line per mistake, naming the flag or the key", () => {
    const cases: [Record<string, unknown>, "flag" | "key", RegExp][] = [
      [{ arch: "transformer" }, "flag", /^--arch must be one of: rnn, lstm, gru/],
      [{ seqLen: 0 }, "flag", /^--seq-len must be between 1 and 100000/],
      [{ seqLen: "x" }, "key", /^seqLen must be a number/],
      [{ recurrentInit: "eye" }, "flag", /^--recurrent-init must be one of/],
      [{ arch: "lstm", activation: "relu" }, "flag", /--activation applies to --arch rnn only/],
      [{ depth: 3 }, "flag", /unknown option 'depth' for a recurrent net/],
      [{ outputs: 3 }, "key", /outputs needs loss mse or cross-entropy/],
    ];
    for (const [input, source, message] of cases) {
      let error: unknown;
      try {
        resolveRecurrentConfig(input, source);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toMatch(/\n/);
    }
  });
});
