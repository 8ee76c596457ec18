import { describe, expect, it } from "vitest";
import { getActivation } from "../core/activations.ts";
import { normalCdf } from "../core/special.ts";
import { bivariateGaussianExpectation, polarGaussianExpectation } from "./bivariate.ts";

const rel = (a: number, b: number): number => Math.abs(a / b - 1);
const relu = getActivation("relu");

/** Arc-cosine kernel (Cho & Saul 2009): E[relu(u1) relu(u2)], u ~ N(0, q), correlation c. */
const K = (q: number, c: number): number =>
  (q / (2 * Math.PI)) * (Math.sqrt(1 - c * c) + (Math.PI - Math.acos(c)) * c);
/** E[relu'(u1) relu'(u2)] = P(u1 > 0, u2 > 0). */
const K0 = (c: number): number => (Math.PI - Math.acos(c)) / (2 * Math.PI);

describe("bivariateGaussianExpectation", () => {
  const cs = [-1, -0.7, 0, 0.3, 0.9, 0.999, 1];

  it("is exact for relu x relu and relu' x relu' (arc-cosine kernels) at every correlation", () => {
    for (const q of [0.01, 1.3, 50]) {
      for (const c of cs) {
        const v = bivariateGaussianExpectation((a, b) => relu.value(a) * relu.value(b), q, q, c);
        const d = bivariateGaussianExpectation(
          (a, b) => relu.derivative(a) * relu.derivative(b),
          q,
          q,
          c,
        );
        expect(Math.abs(v - K(q, c))).toBeLessThan(1e-14 * q);
        expect(Math.abs(d - K0(c))).toBeLessThan(1e-15);
      }
    }
  });

  it("matches leaky relu = relu(x) - s relu(-x)", () => {
    const s = 0.3;
    const leaky = getActivation("leaky-relu", { slope: s });
    for (const c of cs) {
      const q = 2;
      const v = bivariateGaussianExpectation((a, b) => leaky.value(a) * leaky.value(b), q, q, c);
      const want = (1 + s * s) * K(q, c) - 2 * s * K(q, -c);
      expect(Math.abs(v - want)).toBeLessThan(1e-14);
    }
  });

  it("handles unequal variances: E[u1 u2] = c sqrt(q1 q2)", () => {
    for (const c of cs) {
      const v = bivariateGaussianExpectation((a, b) => a * b, 0.5, 3, c);
      expect(Math.abs(v - c * Math.sqrt(1.5))).toBeLessThan(1e-14);
    }
  });

  it("matches E[Phi(u1) Phi(u2)] = 1/4 + asin(q c / (1 + q)) / (2 pi)", () => {
    for (const q of [0.2, 1, 10]) {
      for (const c of cs) {
        const v = bivariateGaussianExpectation((a, b) => normalCdf(a) * normalCdf(b), q, q, c);
        expect(Math.abs(v - (0.25 + Math.asin((q * c) / (1 + q)) / (2 * Math.PI)))).toBeLessThan(
          1e-14,
        );
      }
    }
  });

  it("keeps accuracy near c = 1 when given the angle", () => {
    const theta = 1e-7; // c = cos(1e-7): 1 - c = 5e-15, below what c itself resolves well
    const d = polarGaussianExpectation(
      (a, b) => 0.5 * (relu.value(a) - relu.value(b)) ** 2,
      1,
      1,
      theta,
    );
    // E[(relu(u1) - relu(u2))^2] / 2 = K(1, 1) - K(1, cos theta)
    //   = 1/2 - (sin theta + (pi - theta) cos theta) / (2 pi) = theta^2/4 - theta^3/(6 pi) + ...
    expect(rel(d, theta ** 2 / 4 - theta ** 3 / (6 * Math.PI))).toBeLessThan(1e-9);
  });

  it("converges for smooth activations (angular/radial orders 48/96 vs 96/192)", () => {
    for (const name of ["tanh", "elu", "selu", "swish", "gelu", "sigmoid", "softplus"] as const) {
      const act = getActivation(name);
      for (const q of [0.5, 3, 20]) {
        for (const c of [-0.5, 0.4, 0.99]) {
          const f = (a: number, b: number) => act.derivative(a) * act.derivative(b);
          const lo = bivariateGaussianExpectation(f, q, q, c);
          const hi = bivariateGaussianExpectation(f, q, q, c, {
            angularOrder: 96,
            radialOrder: 192,
          });
          expect(rel(lo, hi)).toBeLessThan(1e-11);
        }
      }
    }
  });
});
