import { describe, expect, it } from "vitest";
import { ACTIVATION_NAMES } from "./activations.ts";
import { createLoss, LOSS_NAMES } from "./loss.ts";
import { Mat } from "./mat.ts";
import { Network } from "./network.ts";
import { Rng } from "./rng.ts";
import { maxRelativeGradError } from "./testing/grad-check.ts";

describe("network backward = central finite differences (float64)", () => {
  for (const loss of LOSS_NAMES) {
    for (const normalization of ["none", "batch-norm"] as const) {
      it(`depth 3 tanh, ${normalization}, residual, loss ${loss}`, () => {
        const rng = new Rng(3);
        const outputs = loss === "random-projection" ? 0 : 3;
        const net = new Network({
          inputDim: 4,
          depth: 3,
          width: 4,
          activation: "tanh",
          normalization,
          residual: true,
          branchScale: 0.8,
          outputs,
        });
        net.initialize("normal", { weightVar: 1.5, biasVar: 0.1 }, rng);
        const x = Mat.zeros(5, 4);
        rng.fillNormal(x.data);
        const t = Mat.zeros(5, outputs || 4);
        if (loss === "cross-entropy") for (let r = 0; r < 5; r++) t.data[r * 3 + rng.int(3)] = 1;
        else rng.fillNormal(t.data);
        const L = createLoss(loss);
        const f = (): number => L.forward(net.forward(x, "train"), t);
        f();
        net.backward(L.backward());
        const grads = net.params().map((p) => ({ p, g: p.grad.clone() }));
        for (const { p, g } of grads) {
          if (
            normalization === "batch-norm" &&
            p.name.endsWith(".b") &&
            !p.name.startsWith("readout")
          ) {
            // The batch mean removes any bias before batch norm: its gradient is exactly 0.
            for (const v of g.data) expect(Math.abs(v)).toBeLessThan(1e-12);
            continue;
          }
          expect(maxRelativeGradError(f, p.value, g), p.name).toBeLessThan(1e-6);
        }
      });
    }
  }
  it("calls hooks once per block per pass, and none cost anything when absent", () => {
    const net = new Network({ inputDim: 3, depth: 4, width: 3, activation: "relu" });
    net.initialize("he-normal", {}, new Rng(1));
    const seen: string[] = [];
    net.hooks.push({
      afterBlockForward: (l) => seen.push(`f${l}`),
      afterBlockBackward: (l) => seen.push(`b${l}`),
    });
    const x = Mat.zeros(2, 3).fill(1);
    const y = net.forward(x);
    net.backward(y);
    expect(seen).toEqual(["f0", "f1", "f2", "f3", "b3", "b2", "b1", "b0"]);
  });
  it("rejects depth 0", () => {
    expect(() => new Network({ inputDim: 2, depth: 0, width: 2, activation: "relu" })).toThrow(
      /depth/,
    );
  });
  it("every activation builds and runs in float32", () => {
    for (const activation of ACTIVATION_NAMES) {
      const net = new Network({ inputDim: 3, depth: 2, width: 3, activation, dtype: "f32" });
      net.initialize("xavier-normal", {}, new Rng(2));
      const y = net.forward(Mat.zeros(2, 3, "f32").fill(0.5));
      expect(y.data).toBeInstanceOf(Float32Array);
      expect(Number.isFinite(y.data[0]!)).toBe(true);
    }
  });
});
