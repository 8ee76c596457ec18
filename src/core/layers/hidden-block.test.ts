import { describe, expect, it } from "vitest";
import { ACTIVATION_NAMES, getActivation } from "../activations.ts";
import { Mat } from "../mat.ts";
import { Rng } from "../rng.ts";
import { maxRelativeGradError } from "../testing/grad-check.ts";
import { HiddenBlock, NORMALIZATIONS } from "./hidden-block.ts";

/** Inputs whose pre-activations stay clear of the kinks of piecewise-linear activations. */
function setup(block: HiddenBlock, batch: number, rng: Rng): { x: Mat; R: Mat } {
  rng.fillNormal(block.dense.W.data, 0, 1 / Math.sqrt(block.inputDim));
  rng.fillNormal(block.dense.b.data, 0, 0.3);
  for (const p of block.norm?.params() ?? [])
    rng.fillNormal(p.value.data, p.name === "gamma" ? 1 : 0, 0.3);
  const x = Mat.zeros(batch, block.inputDim);
  for (let attempt = 0; attempt < 1000; attempt++) {
    rng.fillNormal(x.data);
    block.forward(x, "train");
    const u = block.u;
    let minAbs = Number.POSITIVE_INFINITY;
    for (let i = 0; i < u.size; i++) minAbs = Math.min(minAbs, Math.abs(u.data[i]!));
    if (minAbs > 1e-2) break;
  }
  const R = Mat.zeros(batch, block.outputDim);
  rng.fillNormal(R.data);
  return { x, R };
}

function lossOf(block: HiddenBlock, x: Mat, R: Mat): number {
  const a = block.forward(x, "train");
  let s = 0;
  for (let i = 0; i < a.size; i++) s += R.data[i]! * a.data[i]!;
  return s;
}

describe("hidden block backward = central finite differences (float64)", () => {
  for (const name of ACTIVATION_NAMES) {
    for (const normalization of NORMALIZATIONS) {
      for (const residual of [false, true]) {
        it(`${name}, ${normalization}, residual ${residual}`, () => {
          const rng = new Rng(11);
          const activation = getActivation(name, { slope: 0.2 });
          const block = new HiddenBlock({
            inputDim: 5,
            width: 5,
            activation,
            normalization,
            residual,
            branchScale: 0.7,
          });
          const { x, R } = setup(block, 4, rng);
          lossOf(block, x, R);
          const dx = block.backward(R).clone();
          const grads = block.params().map((p) => ({ p, g: p.grad.clone() }));
          const loss = (): number => lossOf(block, x, R);
          expect(maxRelativeGradError(loss, x, dx)).toBeLessThan(1e-6);
          for (const { p, g } of grads) {
            if (normalization === "batch-norm" && p.name === "b") {
              // Batch norm subtracts the batch mean, so the bias before it has exactly zero
              // gradient; a finite difference would only measure round-off.
              for (const v of g.data) expect(Math.abs(v)).toBeLessThan(1e-12);
              continue;
            }
            expect(maxRelativeGradError(loss, p.value, g), p.name).toBeLessThan(1e-6);
          }
        });
      }
    }
  }
  it("applies the skip only when shapes match", () => {
    const tanh = getActivation("tanh");
    expect(
      new HiddenBlock({ inputDim: 3, width: 5, activation: tanh, residual: true }).residual,
    ).toBe(false);
    expect(
      new HiddenBlock({ inputDim: 5, width: 5, activation: tanh, residual: true }).residual,
    ).toBe(true);
  });
  it("residual output is a_prev + s * phi(u)", () => {
    const block = new HiddenBlock({
      inputDim: 2,
      width: 2,
      activation: getActivation("relu"),
      residual: true,
      branchScale: 0.5,
    });
    block.dense.W.data.set([1, 0, 0, 1]);
    const a = block.forward(Mat.from([[2, -3]]), "train");
    expect(a.toArray()).toEqual([[2 + 0.5 * 2, -3]]);
  });
});
