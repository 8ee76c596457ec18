/**
 * The whole layer (backpropagation through time over several steps) against central finite
 * differences in float64, for every parameter and the input; plus buffer reuse and f32.
 */
import { describe, expect, it } from "vitest";
import type { ActivationName } from "../activations.ts";
import { Mat } from "../mat.ts";
import { Rng } from "../rng.ts";
import { maxRelativeGradError } from "../testing/grad-check.ts";
import type { RecurrentKind } from "./cell.ts";
import { floorOf } from "./grad-check-floor.ts";
import { initRecurrent } from "./init-recurrent.ts";
import { RecurrentLayer } from "./recurrent-layer.ts";

const B = 3;
const I = 2;
const H = 4;
const T = 6;

function build(kind: RecurrentKind, activation: ActivationName, dtype: "f32" | "f64" = "f64") {
  const layer = new RecurrentLayer({
    kind,
    stepInputDim: I,
    hidden: H,
    seqLen: T,
    activation,
    dtype,
  });
  const rng = new Rng(7);
  initRecurrent(
    layer,
    { init: "xavier-normal", biasVar: 0.1, recurrentInit: "orthogonal", recurrentGain: 0.9 },
    rng,
  );
  // torch-style nonzero recurrent biases, so their gradients are checked at a generic point
  rng.fillNormal(layer.biasHh.data, 0, 0.3);
  const x = Mat.zeros(B, T * I, dtype);
  rng.fillNormal(x.data);
  const R = Mat.zeros(B, H, dtype);
  rng.fillNormal(R.data);
  return { layer, x, R };
}

const variants: [RecurrentKind, ActivationName][] = [
  ["rnn", "tanh"],
  ["rnn", "sigmoid"],
  ["rnn", "relu"],
  ["rnn", "identity"],
  ["lstm", "tanh"],
  ["gru", "tanh"],
];

describe("RecurrentLayer: BPTT matches finite differences (f64)", () => {
  for (const [kind, activation] of variants) {
    it(`${kind}${kind === "rnn" ? ` ${activation}` : ""}`, () => {
      const { layer, x, R } = build(kind, activation);
      const y0 = layer.forward(x, "train").clone();
      // sum(R * (h_T - h_T0)): the constant offset keeps the sum's rounding small
      const loss = (): number => {
        const y = layer.forward(x, "train");
        let s = 0;
        for (let k = 0; k < R.size; k++) s += R.data[k]! * (y.data[k]! - y0.data[k]!);
        return s;
      };
      layer.forward(x, "train");
      const dx = layer.backward(R).clone();
      const grads = layer
        .params()
        .map((p) => ({ name: p.name, value: p.value, grad: p.grad.clone() }));
      for (const p of grads) {
        expect(
          maxRelativeGradError(loss, p.value, p.grad, { floor: floorOf(p.grad) }),
          p.name,
        ).toBeLessThan(1e-6);
      }
      expect(maxRelativeGradError(loss, x, dx, { floor: floorOf(dx) }), "x").toBeLessThan(1e-6);
    });
  }

  it("dL/dh_t is the total derivative through later steps (perturb h_t's input x_t)", () => {
    // For the identity RNN dL/dx_t = dL/dh_t W_ih exactly, which ties gradHiddenAt to dx.
    const { layer, x, R } = build("rnn", "identity");
    layer.forward(x, "train");
    const dx = layer.backward(R);
    for (let t = 1; t <= T; t++) {
      const dh = layer.gradHiddenAt(t);
      for (let b = 0; b < B; b++) {
        for (let i = 0; i < I; i++) {
          let s = 0;
          for (let j = 0; j < H; j++) s += dh[b * H + j]! * layer.weightIh.get(j, i);
          expect(dx.get(b, (t - 1) * I + i)).toBeCloseTo(s, 13);
        }
      }
    }
    expect(Array.from(layer.gradHiddenAt(T))).toEqual(Array.from(R.data));
  });

  it("reuses its buffers: a second pass gives the same bits and the same arrays", () => {
    for (const kind of ["rnn", "lstm", "gru"] as const) {
      const { layer, x, R } = build(kind, "tanh");
      const y1 = layer.forward(x, "train");
      layer.backward(R);
      const g1 = layer.gradWeightHh.clone();
      const h3 = layer.hiddenAt(3);
      const y2 = layer.forward(x, "train");
      layer.backward(R);
      expect(y2).toBe(y1);
      expect(layer.hiddenAt(3)).toBe(h3);
      expect(Array.from(layer.gradWeightHh.data)).toEqual(Array.from(g1.data));
    }
  });

  it("a new batch size reallocates; each row's result does not depend on the batch", () => {
    for (const kind of ["rnn", "lstm", "gru"] as const) {
      const { layer, x, R } = build(kind, "tanh");
      const full = layer.forward(x, "train").clone();
      layer.backward(R);
      const dhFirst = Array.from(layer.gradHiddenAt(1).subarray(0, H));
      const x1 = new Mat(1, x.cols, x.data.slice(0, x.cols));
      const one = layer.forward(x1, "train");
      expect(one.rows).toBe(1);
      // equal up to the kernels' summation order, which may depend on the batch
      for (let j = 0; j < H; j++) expect(one.data[j]).toBeCloseTo(full.data[j]!, 14);
      layer.backward(new Mat(1, H, R.data.slice(0, H)));
      const dh1 = layer.gradHiddenAt(1);
      for (let j = 0; j < H; j++) expect(dh1[j]).toBeCloseTo(dhFirst[j]!, 14);
    }
  });

  it("float32 agrees with float64 to float32 round-off", () => {
    for (const kind of ["rnn", "lstm", "gru"] as const) {
      const a = build(kind, "tanh", "f64");
      const b = build(kind, "tanh", "f32");
      a.layer.forward(a.x, "train");
      a.layer.backward(a.R);
      b.layer.forward(b.x, "train");
      b.layer.backward(b.R);
      for (let k = 0; k < 4; k++) {
        const pa = a.layer.params()[k]!.grad.data;
        const pb = b.layer.params()[k]!.grad.data;
        let scale = 0;
        let err = 0;
        for (let i = 0; i < pa.length; i++) {
          scale = Math.max(scale, Math.abs(pa[i]!));
          err = Math.max(err, Math.abs(pa[i]! - pb[i]!));
        }
        expect(err / scale, `${kind} ${k}`).toBeLessThan(1e-5);
      }
    }
  });

  it("rejects a wrong input width with one line", () => {
    const { layer } = build("lstm", "tanh");
    expect(() => layer.forward(Mat.zeros(2, 5), "train")).toThrow(/expected input with 12 columns/);
  });
});
