import { describe, expect, it } from "vitest";
import { ACTIVATION_NAMES, type Activation, getActivation } from "../activations.ts";
import { Mat } from "../mat.ts";
import { Rng } from "../rng.ts";
import { maxRelativeGradError } from "../testing/grad-check.ts";
import { ActivationLayer } from "./activation-layer.ts";

const BATCH = 7;
const DIM = 5;
const TOL = 1e-6;

/**
 * sum(R * (y - y0)), whose gradient with respect to y is R: the loss sum(R * y) less the
 * constant sum(R * y0), with y0 the output at the unperturbed point. Subtracting y0 entry by
 * entry keeps the sum small, so its rounding (~ulp of the loss, divided by 2h in the
 * central difference) does not swamp small gradient entries.
 */
function dot(R: Mat, y: Mat, y0: Mat): number {
  let s = 0;
  for (let i = 0; i < R.size; i++) s += R.data[i]! * (y.data[i]! - y0.data[i]!);
  return s;
}

/**
 * N(0, 2^2) inputs kept at least 1e-3 from 0, where relu, leaky relu and selu have a jump in
 * phi' (the central difference with h = 1e-6 must not straddle it).
 */
function inputsAwayFromZero(rng: Rng, rows: number, cols: number): Mat {
  const m = Mat.zeros(rows, cols);
  for (let i = 0; i < m.size; i++) {
    let v = 0;
    while (Math.abs(v) < 1e-3) v = 2 * rng.normal();
    m.data[i] = v;
  }
  return m;
}

const cases: [string, Activation][] = [
  ...ACTIVATION_NAMES.map((name): [string, Activation] => [name, getActivation(name)]),
  ["leaky-relu slope 0.2", getActivation("leaky-relu", { slope: 0.2 })],
];

describe("ActivationLayer", () => {
  it.each(cases)("%s: forward is phi, backward matches central differences", (_, phi) => {
    const rng = new Rng(17);
    const layer = new ActivationLayer(DIM, phi);
    const x = inputsAwayFromZero(rng, BATCH, DIM);
    const R = Mat.zeros(BATCH, DIM);
    rng.fillNormal(R.data);
    const a = layer.forward(x, "train");
    for (let i = 0; i < x.size; i++) expect(a.data[i]).toBeCloseTo(phi.value(x.data[i]!), 14);
    const y0 = a.clone();
    const dx = layer.backward(R).clone();
    const loss = (): number => dot(R, layer.forward(x, "train"), y0);
    expect(maxRelativeGradError(loss, x, dx)).toBeLessThan(TOL);
    expect(layer.params()).toEqual([]);
  });

  it("takes activation names and options", () => {
    expect(new ActivationLayer(3, "tanh").activation.name).toBe("tanh");
    const leaky = new ActivationLayer(2, getActivation("leaky-relu", { slope: 0.2 }));
    const a = leaky.forward(Mat.from([[-1, 3]]), "eval");
    expect(a.toArray()).toEqual([[-0.2, 3]]);
    expect(leaky.backward(Mat.from([[1, 1]])).toArray()).toEqual([[0.2, 1]]);
  });

  it("rejects bad shapes and backward before forward", () => {
    const layer = new ActivationLayer(3, "relu");
    expect(() => layer.backward(Mat.zeros(2, 3))).toThrow(/before forward/);
    expect(() => layer.forward(Mat.zeros(2, 4), "train")).toThrow(RangeError);
  });

  it("reuses its output and gradient buffers for the same batch size", () => {
    const rng = new Rng(5);
    const layer = new ActivationLayer(DIM, "gelu");
    const R = inputsAwayFromZero(rng, BATCH, DIM);
    const a1 = layer.forward(inputsAwayFromZero(rng, BATCH, DIM), "train");
    const d1 = layer.backward(R);
    const a2 = layer.forward(inputsAwayFromZero(rng, BATCH, DIM), "train");
    const d2 = layer.backward(R);
    expect(a2).toBe(a1);
    expect(d2).toBe(d1);
  });
});
