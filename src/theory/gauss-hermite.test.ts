import { describe, expect, it } from "vitest";
import { getActivation, SELU_ALPHA, SELU_SCALE } from "../core/activations.ts";
import { normalCdf } from "../core/special.ts";
import { gaussHermite, gaussianExpectation, standardNormalRule } from "./gauss-hermite.ts";
import { halfLineRule } from "./half-line.ts";
import { gaussLegendre } from "./legendre.ts";

const rel = (a: number, b: number): number => Math.abs(a / b - 1);

/** Gamma(k/2) for a positive integer k. */
function gammaHalf(k: number): number {
  let v = k % 2 === 0 ? 1 : Math.sqrt(Math.PI);
  for (let x = k % 2 === 0 ? 1 : 0.5; x < k / 2; x += 1) v *= x;
  return v;
}

function moment(rule: { nodes: Float64Array; weights: Float64Array }, k: number): number {
  let s = 0;
  for (let i = 0; i < rule.nodes.length; i++) s += rule.weights[i]! * rule.nodes[i]! ** k;
  return s;
}

describe("Gauss-Hermite rules", () => {
  it("reproduce the closed-form small rules", () => {
    const r2 = standardNormalRule(2);
    expect([...r2.nodes]).toEqual([-1, 1]);
    expect(Math.abs(r2.weights[0]! - 0.5)).toBeLessThan(1e-16);
    const r3 = standardNormalRule(3);
    expect(r3.nodes[1]).toBe(0);
    expect(rel(r3.nodes[2]!, Math.sqrt(3))).toBeLessThan(1e-15);
    expect(rel(r3.weights[1]!, 2 / 3)).toBeLessThan(1e-15);
    expect(rel(r3.weights[2]!, 1 / 6)).toBeLessThan(1e-15);
    // n = 5: He_5 = x^5 - 10 x^3 + 15 x, w_i = n! / (n He_4(x_i))^2.
    const r5 = standardNormalRule(5);
    const want = [Math.sqrt(5 - Math.sqrt(10)), Math.sqrt(5 + Math.sqrt(10))];
    expect(rel(r5.nodes[3]!, want[0]!)).toBeLessThan(5e-16);
    expect(rel(r5.nodes[4]!, want[1]!)).toBeLessThan(5e-16);
    for (const i of [2, 3, 4]) {
      const x = r5.nodes[i]!;
      const he4 = x ** 4 - 6 * x * x + 3;
      expect(rel(r5.weights[i]!, 120 / (25 * he4 * he4))).toBeLessThan(1e-14);
    }
  });

  it("match the tabulated physicists' rule (Abramowitz & Stegun 25.10)", () => {
    const r10 = gaussHermite(10, "physicists");
    const nodes = [
      0.342901327223705, 1.036610829789514, 1.756683649299882, 2.53273167423279, 3.436159118837738,
    ];
    const weights = [
      0.6108626337353258, 0.2401386110823147, 0.03387439445548106, 0.001343645746781233,
      7.640432855232621e-6,
    ];
    for (let i = 0; i < 5; i++) {
      expect(rel(r10.nodes[5 + i]!, nodes[i]!)).toBeLessThan(1e-14);
      expect(rel(r10.weights[5 + i]!, weights[i]!)).toBeLessThan(1e-13);
    }
    expect(rel(moment(r10, 0), Math.sqrt(Math.PI))).toBeLessThan(1e-15);
    const r20 = gaussHermite(20, "physicists");
    expect(rel(r20.nodes[19]!, 5.387480890011233)).toBeLessThan(1e-15);
    const p = gaussHermite(7);
    expect(rel(moment(p, 0), Math.sqrt(2 * Math.PI))).toBeLessThan(1e-15);
  });

  it("are accurate to ~1e-15 up to order 200 (moments, symmetry, Newton residual)", () => {
    for (const n of [50, 100, 200]) {
      const r = standardNormalRule(n);
      expect(rel(moment(r, 0), 1)).toBeLessThan(1e-14);
      // E[Z^{2k}] = (2k - 1)!!
      let dbl = 1;
      for (let k = 1; k <= 30; k++) {
        dbl *= 2 * k - 1;
        expect(rel(moment(r, 2 * k), dbl)).toBeLessThan(5e-14);
      }
      for (let i = 0; i < n; i++) {
        expect(r.nodes[i]).toBe(-r.nodes[n - 1 - i]!);
        if (i > 0) expect(r.nodes[i]!).toBeGreaterThan(r.nodes[i - 1]!);
        // Newton step of the orthonormal recurrence at the node, relative to the node spacing.
        const x = r.nodes[i]!;
        let p0 = 0;
        let p1 = 1;
        let d0 = 0;
        let d1 = 0;
        for (let k = 0; k < n; k++) {
          const p2 = (x * p1 - Math.sqrt(k) * p0) / Math.sqrt(k + 1);
          const d2 = (p1 + x * d1 - Math.sqrt(k) * d0) / Math.sqrt(k + 1);
          p0 = p1;
          p1 = p2;
          d0 = d1;
          d1 = d2;
        }
        expect(Math.abs(p1 / d1)).toBeLessThan(1e-14 * Math.max(1, Math.abs(x)));
      }
      // The outermost weight keeps full relative accuracy: w = 1 / sum_k p_k(x)^2.
      expect(r.weights[n - 1]!).toBeGreaterThan(0);
    }
  });

  it("Gauss-Legendre integrates polynomials of degree 2n - 1 exactly", () => {
    const r = gaussLegendre(20);
    for (let k = 0; k < 40; k += 2) expect(rel(moment(r, k), 2 / (k + 1))).toBeLessThan(1e-14);
  });
});

describe("half-line rules", () => {
  it("reproduce the half-normal and Rayleigh moments to a few ulps, up to order 200", () => {
    for (const n of [8, 64, 128, 200]) {
      const h = halfLineRule("half-normal", n);
      const r = halfLineRule("rayleigh", n);
      for (let k = 0; k < Math.min(2 * n, 80); k++) {
        // int_0^inf z^k phi(z) dz = 2^{k/2} Gamma((k+1)/2) / (2 sqrt(pi))
        const hk = (2 ** (k / 2) * gammaHalf(k + 1)) / (2 * Math.sqrt(Math.PI));
        // int_0^inf r^{k+1} exp(-r^2/2) dr = 2^{k/2} Gamma(k/2 + 1)
        const rk = 2 ** (k / 2) * gammaHalf(k + 2);
        expect(rel(moment(h, k), hk)).toBeLessThan(2e-14);
        expect(rel(moment(r, k), rk)).toBeLessThan(5e-14);
      }
      expect(h.nodes[0]!).toBeGreaterThan(0);
    }
  });
});

describe("gaussianExpectation", () => {
  const relu = getActivation("relu");
  const leaky = getActivation("leaky-relu", { slope: 0.2 });
  const elu = getActivation("elu");
  const selu = getActivation("selu");
  const gelu = getActivation("gelu");
  const sq = (f: (x: number) => number) => (x: number) => f(x) ** 2;
  // E[exp(t u); u < 0] for u ~ N(0, q) is exp(t^2 q / 2) Phi(-t sqrt(q)).
  const expNeg = (t: number, q: number): number =>
    Math.exp((t * t * q) / 2) * normalCdf(-t * Math.sqrt(q));

  it("is exact for relu and leaky relu (split at the kink), even at order 2", () => {
    for (const q of [1e-6, 0.3, 1, 7, 1e4]) {
      for (const order of [2, 16, 128]) {
        expect(rel(gaussianExpectation(sq(relu.value), q, order), q / 2)).toBeLessThan(1e-14);
        expect(rel(gaussianExpectation(sq(relu.derivative), q, order), 0.5)).toBeLessThan(1e-14);
        expect(
          rel(gaussianExpectation(sq(leaky.value), q, order), ((1 + 0.04) * q) / 2),
        ).toBeLessThan(1e-14);
      }
    }
  });

  it("while the unsplit Hermite rule converges only algebraically across the kink", () => {
    // E[relu(u)] = sqrt(q / (2 pi)); E[elu'(u)^2] = 1/2 + e^{2q} Phi(-2 sqrt(q)).
    const want = Math.sqrt(1 / (2 * Math.PI));
    const hermite = { order: 64, method: "hermite" } as const;
    expect(rel(gaussianExpectation(relu.value, 1, hermite), want)).toBeGreaterThan(1e-6);
    expect(rel(gaussianExpectation(relu.value, 1, 64), want)).toBeLessThan(1e-15);
    const eluWant = 0.5 + Math.exp(2) * normalCdf(-2);
    expect(rel(gaussianExpectation(sq(elu.derivative), 1, hermite), eluWant)).toBeGreaterThan(1e-4);
    expect(rel(gaussianExpectation(sq(elu.derivative), 1, 64), eluWant)).toBeLessThan(1e-14);
  });

  it("matches the closed forms for elu and selu (kink at 0) to 1e-13", () => {
    for (const q of [0.05, 0.5, 1, 3, 20, 100]) {
      const negPart = expNeg(2, q) - 2 * expNeg(1, q) + 0.5; // E[(e^u - 1)^2; u < 0]
      expect(rel(gaussianExpectation(sq(elu.value), q), q / 2 + negPart)).toBeLessThan(1e-13);
      expect(rel(gaussianExpectation(sq(elu.derivative), q), 0.5 + expNeg(2, q))).toBeLessThan(
        1e-13,
      );
      const l2 = SELU_SCALE * SELU_SCALE;
      const a2 = SELU_ALPHA * SELU_ALPHA;
      expect(rel(gaussianExpectation(sq(selu.value), q), l2 * (q / 2 + a2 * negPart))).toBeLessThan(
        1e-13,
      );
      expect(
        rel(gaussianExpectation(sq(selu.derivative), q), l2 * (0.5 + a2 * expNeg(2, q))),
      ).toBeLessThan(1e-13);
    }
  });

  it("matches closed forms for Phi and gelu", () => {
    for (const q of [0.1, 1, 4, 30]) {
      const a = Math.asin(q / (1 + q)) / (2 * Math.PI);
      expect(Math.abs(gaussianExpectation(normalCdf, q) - 0.5)).toBeLessThan(1e-15);
      expect(rel(gaussianExpectation(sq(normalCdf), q), 0.25 + a)).toBeLessThan(1e-14);
      // E[gelu(u)^2] = q/4 + q asin(q/(1+q)) / (2 pi) + q^2 / (pi (1+q) sqrt(1+2q)) (Stein).
      const want = q / 4 + q * a + (q * q) / (Math.PI * (1 + q) * Math.sqrt(1 + 2 * q));
      expect(rel(gaussianExpectation(sq(gelu.value), q), want)).toBeLessThan(1e-13);
    }
  });

  it("converges for tanh: orders n and 2n agree to 1e-10", () => {
    const tanh = getActivation("tanh");
    for (const q of [0.1, 1, 5, 30]) {
      for (const f of [sq(tanh.value), sq(tanh.derivative)]) {
        expect(rel(gaussianExpectation(f, q, 100), gaussianExpectation(f, q, 200))).toBeLessThan(
          1e-10,
        );
      }
    }
  });

  it("handles variance 0 and rejects negative variances", () => {
    expect(gaussianExpectation(Math.cos, 0)).toBe(1);
    expect(() => gaussianExpectation(Math.cos, -1)).toThrow(RangeError);
  });
});
