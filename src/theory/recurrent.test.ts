import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Mat } from "../core/mat.ts";
import { initRecurrent } from "../core/recurrent/init-recurrent.ts";
import { RecurrentLayer } from "../core/recurrent/recurrent-layer.ts";
import { Rng } from "../core/rng.ts";
import {
  activationGamma,
  gateSingularValues,
  linearProfile,
  pascanuBounds,
  recurrentTheory,
} from "./recurrent.ts";

function frob(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

describe("Pascanu's conditions", () => {
  it("gamma is sup |phi'|: 1 for tanh, relu and identity, 1/4 for sigmoid", () => {
    expect(activationGamma("tanh")).toBe(1);
    expect(activationGamma("sigmoid")).toBe(0.25);
    expect(activationGamma("relu")).toBe(1);
    expect(activationGamma("identity")).toBe(1);
  });

  it("sufficient for vanishing below 1/gamma, necessary for exploding above", () => {
    expect(pascanuBounds(0.9, 1)).toMatchObject({
      vanishingGuaranteed: true,
      explodingPossible: false,
    });
    expect(pascanuBounds(1.1, 1)).toMatchObject({
      vanishingGuaranteed: false,
      explodingPossible: true,
    });
    expect(pascanuBounds(3.9, 0.25)).toMatchObject({ vanishingGuaranteed: true, threshold: 4 });
    expect(pascanuBounds(4.1, 0.25)).toMatchObject({ explodingPossible: true });
    expect(pascanuBounds(1, 1)).toMatchObject({
      vanishingGuaranteed: false,
      explodingPossible: false,
    });
  });

  it("the singular values of rho * orthogonal blocks are all rho; of rho * I too", () => {
    for (const [kind, init] of [
      ["rnn", "orthogonal"],
      ["lstm", "orthogonal"],
      ["gru", "identity"],
    ] as const) {
      const layer = new RecurrentLayer({ kind, stepInputDim: 3, hidden: 6, seqLen: 2 });
      initRecurrent(layer, { init: "normal", recurrentInit: init, recurrentGain: 0.7 }, new Rng(3));
      for (const block of gateSingularValues(layer.weightHh, kind)) {
        for (const s of block.values) expect(s).toBeCloseTo(0.7, 13);
      }
    }
  });

  it("a diagonal recurrent matrix has its absolute diagonal as singular values", () => {
    const W = Mat.from([
      [3, 0, 0],
      [0, -0.5, 0],
      [0, 0, 2],
    ]);
    expect(gateSingularValues(W, "rnn")[0]!.values.map((v) => Number(v.toFixed(14)))).toEqual([
      3, 2, 0.5,
    ]);
    const th = recurrentTheory({ kind: "rnn", activation: "sigmoid", weightHh: W, seqLen: 3 });
    expect(th.pascanu).toMatchObject({
      sigmaMax: 3,
      perStepBound: 0.75,
      vanishingGuaranteed: true,
    });
    expect(th.boundProfile).toEqual([0.5625, 0.75, 1]);
  });

  it("linear profile rho^(T-t)", () => {
    expect(linearProfile(0.5, 4)).toEqual([0.125, 0.25, 0.5, 1]);
  });

  it("property: the measured |dL/dh_t| never exceeds the bound (gamma sigma_max)^(T-t) |dL/dh_T|", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("tanh", "sigmoid", "relu", "identity"),
        fc.double({ min: 0.2, max: 3, noNaN: true }),
        fc.integer({ min: 0, max: 1000 }),
        fc.constantFrom("normal", "orthogonal", "xavier-uniform"),
        (activation, gain, seed, recurrentInit) => {
          const T = 8;
          const layer = new RecurrentLayer({
            kind: "rnn",
            stepInputDim: 2,
            hidden: 5,
            seqLen: T,
            activation,
          });
          const rng = new Rng(seed);
          initRecurrent(
            layer,
            { init: "normal", recurrentInit, recurrentGain: gain, biasVar: 0.1 },
            rng,
          );
          const x = Mat.zeros(3, T * 2);
          rng.fillNormal(x.data);
          const R = Mat.zeros(3, 5);
          rng.fillNormal(R.data);
          layer.forward(x, "train");
          layer.backward(R);
          const th = recurrentTheory({
            kind: "rnn",
            activation,
            weightHh: layer.weightHh,
            seqLen: T,
          });
          const top = frob(layer.gradHiddenAt(T));
          for (let t = 1; t <= T; t++) {
            const ratio = frob(layer.gradHiddenAt(t)) / top;
            expect(ratio).toBeLessThanOrEqual(th.boundProfile![t - 1]! * (1 + 1e-12));
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
