import { describe, expect, it } from "vitest";
import { ACTIVATION_NAMES, getActivation } from "../core/activations.ts";
import { Rng } from "../core/rng.ts";
import {
  chi1,
  chi1AtFixedPoint,
  correlationFixedPoint,
  correlationMap,
  correlationMapSlope,
  criticalWeightVar,
  depthScale,
  fixedPoint,
  lengthMap,
  lengthMapSlope,
  meanSquareDerivative,
  phaseDiagram,
  phaseOf,
  theoryReport,
} from "./mean-field.ts";

const rel = (a: number, b: number): number => Math.abs(a / b - 1);

describe("length map and fixed point q*", () => {
  it("relu: q* = biasVar / (1 - weightVar / 2) in closed form", () => {
    const fp = fixedPoint("relu", 1.5, 0.1);
    expect(fp.converged).toBe(true);
    expect(fp.status).toBe("finite");
    expect(rel(fp.qStar, 0.1 / (1 - 0.75))).toBeLessThan(1e-13);
    expect(rel(fp.chiQ, 0.75)).toBeLessThan(1e-13);
    expect(rel(chi1("relu", 1.5, fp.qStar), 0.75)).toBeLessThan(1e-13);
  });

  it("identity: q* = biasVar / (1 - weightVar)", () => {
    const fp = fixedPoint("identity", 0.8, 0.2);
    expect(rel(fp.qStar, 1)).toBeLessThan(1e-13);
  });

  it("relu at weightVar 2, biasVar 0: every q is fixed and chi1 = 1 to 1e-10", () => {
    for (const q0 of [0.3, 1, 5]) {
      const fp = fixedPoint("relu", 2, 0, { q0 });
      expect(fp.qStar).toBe(q0);
      expect(Math.abs(chi1("relu", 2, fp.qStar) - 1)).toBeLessThan(1e-10);
    }
  });

  it("reports divergence (relu, weightVar > 2; identity, weightVar >= 1 with bias)", () => {
    const fp = fixedPoint("relu", 2.5, 0.1);
    expect(fp.converged).toBe(false);
    expect(fp.status).toBe("divergent");
    expect(fp.qStar).toBe(Number.POSITIVE_INFINITY);
    expect(fp.reason).toMatch(/grows without bound/);
    expect(fixedPoint("relu", 2, 0.1).status).toBe("divergent");
    expect(fixedPoint("identity", 1, 0.1).status).toBe("divergent");
    // chi1 then takes its q -> inf limit: weightVar / 2 for relu.
    expect(rel(chi1("relu", 2.5, fp.qStar), 1.25)).toBeLessThan(1e-13);
  });

  it("reports q* = 0 when the signal dies out (tanh, weightVar <= 1, biasVar = 0)", () => {
    for (const w of [0.5, 1]) {
      const fp = fixedPoint("tanh", w, 0);
      expect(fp.qStar).toBe(0);
      expect(fp.status).toBe("zero");
      expect(fp.converged).toBe(true);
      // q -> 0+ limit of the slope: weightVar phi'(0)^2.
      expect(rel(fp.chiQ, w)).toBeLessThan(1e-12);
    }
    // relu below criticality without bias: q* = 0 but chi1 = weightVar / 2 (scale invariance).
    const fp = fixedPoint("relu", 1.5, 0);
    expect(fp.qStar).toBe(0);
    expect(rel(chi1("relu", 1.5, 0), 0.75)).toBeLessThan(1e-13);
  });

  it("agrees with plain iteration of the length map", () => {
    const cases: [string, number, number][] = [
      ["tanh", 1.5, 0.05],
      ["sigmoid", 4, 0.1],
      ["elu", 1.2, 0.3],
      ["selu", 1, 0],
      ["swish", 2, 0.2],
    ];
    for (const [name, w, b] of cases) {
      const act = getActivation(name as "tanh");
      let q = 1;
      for (let l = 0; l < 3000; l++) q = lengthMap(act, w, b, q);
      expect(rel(fixedPoint(act, w, b).qStar, q)).toBeLessThan(1e-10);
    }
  });

  it("depends on q0 where the length map has two stable fixed points (gelu, biasVar 0)", () => {
    // gelu'(0) = 1/2: q = 0 attracts small q, while large q grows like weightVar q / 2.
    expect(fixedPoint("gelu", 2.2, 0, { q0: 0.5 }).qStar).toBe(0);
    expect(fixedPoint("gelu", 2.2, 0, { q0: 10 }).status).toBe("divergent");
  });

  it("length-map slope (Stein form) matches a central difference", () => {
    for (const name of ACTIVATION_NAMES) {
      for (const q of [0.3, 2]) {
        const h = 1e-5 * q;
        const numeric =
          (lengthMap(name, 1.7, 0.1, q + h) - lengthMap(name, 1.7, 0.1, q - h)) / (2 * h);
        expect(rel(lengthMapSlope(name, 1.7, q), numeric)).toBeLessThan(1e-8);
      }
    }
  });
});

describe("chi1 and criticality", () => {
  it("sigmoid with weightVar 1/3 (PyTorch's default uniform init), biasVar 0", () => {
    const fp = fixedPoint("sigmoid", 1 / 3, 0);
    // Measured: q* = 0.08503376487548..., chi1 = 0.02000782933774...; the naive
    // weightVar * phi'(0)^2 = 1/48 = 0.02083 ignores the spread of z around 0.
    expect(rel(fp.qStar, 0.08503376487548084)).toBeLessThan(1e-12);
    const c = chi1("sigmoid", 1 / 3, fp.qStar);
    expect(rel(c, 0.020007829337747838)).toBeLessThan(1e-12);
    expect(c).toBeLessThan(1 / 48);
  });

  it("critical weightVar: closed forms", () => {
    expect(Math.abs(criticalWeightVar("tanh", 0) - 1)).toBeLessThan(1e-6);
    expect(Math.abs(criticalWeightVar("relu", 0) - 2)).toBeLessThan(1e-12);
    expect(Math.abs(criticalWeightVar("relu", 0.3) - 2)).toBeLessThan(1e-12);
    expect(Math.abs(criticalWeightVar("identity", 0) - 1)).toBeLessThan(1e-12);
    expect(Math.abs(criticalWeightVar("identity", 0.5) - 1)).toBeLessThan(1e-12);
    expect(Math.abs(criticalWeightVar("softplus", 0) - 2)).toBeLessThan(1e-9);
    for (const slope of [0.01, 0.2, 0.5]) {
      const leaky = getActivation("leaky-relu", { slope });
      expect(rel(criticalWeightVar(leaky, 0.1), 2 / (1 + slope * slope))).toBeLessThan(1e-12);
    }
    // elu with biasVar 0: q* = 0 and chi1 = weightVar up to weightVar = 1.
    expect(Math.abs(criticalWeightVar("elu", 0) - 1)).toBeLessThan(1e-6);
    // selu with biasVar 0: q* = 0 and chi1 = weightVar lambda^2 (1 + alpha^2) / 2 below it.
    // chi1 - 1 ~ 1.33 (weightVar d - 1)^2 just above it, so the root is found to ~1e-8.
    const selu = getActivation("selu");
    const d = meanSquareDerivative(selu, 0);
    expect(rel(criticalWeightVar(selu, 0), 1 / d)).toBeLessThan(1e-6);
  });

  it("tanh: the critical line rises with biasVar and chi1 = 1 on it", () => {
    let prev = 0;
    for (const b of [0.01, 0.05, 0.1, 0.3]) {
      const w = criticalWeightVar("tanh", b);
      expect(w).toBeGreaterThan(prev);
      expect(Math.abs(chi1AtFixedPoint("tanh", w, b) - 1)).toBeLessThan(1e-12);
      prev = w;
    }
    expect(rel(criticalWeightVar("tanh", 0.05), 1.7609546396067)).toBeLessThan(1e-10);
  });

  it("classifies phases", () => {
    // tanh at weightVar 1.5, biasVar 0.05 is (barely) ordered, chi1 = 0.9386; in the
    // std convention of Poole et al. (sigma_w = 1.5, sigma_b = 0.05) it is chaotic.
    const a = theoryReport("tanh", 1.5, 0.05);
    expect(a.phase).toBe("ordered");
    expect(rel(a.chi1, 0.9386362681988503)).toBeLessThan(1e-12);
    const b = theoryReport("tanh", 1.5 ** 2, 0.05 ** 2);
    expect(b.phase).toBe("chaotic");
    expect(b.chi1).toBeGreaterThan(1);
    expect(theoryReport("tanh", 1.5, 0).phase).toBe("chaotic");
    expect(theoryReport("tanh", 0.5, 0).phase).toBe("ordered");
    expect(theoryReport("relu", 2, 0).phase).toBe("critical");
    expect(theoryReport("relu", 2.5, 0.1).phase).toBe("chaotic");
    expect(theoryReport("sigmoid", 1 / 3, 0).phase).toBe("ordered");
    expect(phaseOf(1.0005)).toBe("critical");
    expect(phaseOf(1.0005, 1e-4)).toBe("chaotic");
    expect(phaseOf(0.9)).toBe("ordered");
  });
});

describe("quadrature convergence of the theory (orders 100 vs 200)", () => {
  const settings: [number, number][] = [
    [1.5, 0.05],
    [0.8, 0.2],
    [2.5, 0.5],
  ];
  for (const name of ACTIVATION_NAMES) {
    it(`${name}: q* and chi1 agree to 1e-9 relative`, () => {
      for (const [w, b] of settings) {
        const lo = fixedPoint(name, w, b, { order: 100 });
        const hi = fixedPoint(name, w, b, { order: 200 });
        expect(lo.status).toBe(hi.status);
        if (Number.isFinite(hi.qStar) && hi.qStar > 0) {
          expect(rel(lo.qStar, hi.qStar)).toBeLessThan(1e-9);
        } else {
          expect(lo.qStar).toBe(hi.qStar);
        }
        const c100 = chi1(name, w, lo.qStar, { order: 100 });
        const c200 = chi1(name, w, hi.qStar, { order: 200 });
        expect(rel(c100, c200)).toBeLessThan(1e-9);
      }
    });
  }

  it("c* and chi_c agree between the default 2-D rule and one of twice the order", () => {
    // Chaotic with a finite q* (so c* < 1). gelu, swish and softplus have no such regime:
    // past their critical line q diverges and the normalized correlation map keeps c* = 1.
    const cases: [string, number][] = [
      ["tanh", 2.5],
      ["selu", 1.3],
      ["elu", 1.75],
      ["sigmoid", 130],
    ];
    for (const [name, w] of cases) {
      const q = fixedPoint(name as "tanh", w, 0.1).qStar;
      expect(Number.isFinite(q)).toBe(true);
      const lo = correlationFixedPoint(name as "tanh", w, 0.1, q);
      const hi = correlationFixedPoint(name as "tanh", w, 0.1, q, {
        angularOrder: 96,
        radialOrder: 192,
      });
      expect(lo.cStar).toBeLessThan(1);
      expect(Math.abs(lo.cStar - hi.cStar)).toBeLessThan(1e-10);
      expect(rel(lo.chiC, hi.chiC)).toBeLessThan(1e-9);
    }
  });
});

describe("Monte Carlo cross-check", () => {
  it("E[phi'(sqrt(q) Z)^2] is within 4 standard errors of a 200000-sample average", () => {
    const n = 200_000;
    const rng = new Rng(20240601);
    const z = new Float64Array(n);
    rng.fillNormal(z);
    for (const name of ACTIVATION_NAMES) {
      const act = getActivation(name);
      for (const q of [0.4, 1.3, 6]) {
        const s = Math.sqrt(q);
        let sum = 0;
        let sumSq = 0;
        for (let i = 0; i < n; i++) {
          const d = act.derivative(s * z[i]!) ** 2;
          sum += d;
          sumSq += d * d;
        }
        const mean = sum / n;
        const se = Math.sqrt(Math.max(sumSq / n - mean * mean, 0) / n);
        const exact = meanSquareDerivative(act, q);
        expect(Math.abs(mean - exact)).toBeLessThanOrEqual(4 * se + 1e-15);
      }
    }
  });
});

describe("correlation map", () => {
  it("relu: matches the normalized arc-cosine kernel", () => {
    const q = 0.7;
    for (const c of [-0.9, 0, 0.5, 0.95]) {
      const th = Math.acos(c);
      const k = (Math.sqrt(1 - c * c) + (Math.PI - th) * c) / Math.PI; // E[relu relu] / (q/2)
      // biasVar 0: c' = k exactly, independent of weightVar and q.
      expect(Math.abs(correlationMap("relu", 1.7, 0, q, c) - k)).toBeLessThan(1e-14);
      const slope = (Math.PI - th) / Math.PI;
      expect(Math.abs(correlationMapSlope("relu", 1.7, 0, q, c) - slope)).toBeLessThan(1e-14);
    }
  });

  it("maps c = 1 to 1 at q*, with slope chi1 there; the slope matches a central difference", () => {
    for (const name of ACTIVATION_NAMES) {
      const w = 1.4;
      const b = 0.2;
      const fp = fixedPoint(name, w, b);
      if (!fp.converged) continue;
      expect(Math.abs(correlationMap(name, w, b, fp.qStar, 1) - 1)).toBeLessThan(1e-13);
      expect(
        rel(correlationMapSlope(name, w, b, fp.qStar, 1), chi1(name, w, fp.qStar)),
      ).toBeLessThan(1e-12);
      const c = 0.3;
      const h = 1e-5;
      const numeric =
        (correlationMap(name, w, b, fp.qStar, c + h) -
          correlationMap(name, w, b, fp.qStar, c - h)) /
        (2 * h);
      expect(Math.abs(correlationMapSlope(name, w, b, fp.qStar, c) - numeric)).toBeLessThan(1e-8);
    }
  });

  it("ordered phase: c* = 1 and chi_c = chi1", () => {
    const r = theoryReport("tanh", 1.5, 0.05);
    expect(r.cStar).toBe(1);
    expect(r.chiC).toBeCloseTo(r.chi1, 14);
    expect(r.depthScales.xiC).toBeCloseTo(r.depthScales.xiGrad, 8);
  });

  it("chaotic phase: a stable c* < 1 (0 for odd phi without bias)", () => {
    const odd = theoryReport("tanh", 2, 0);
    expect(Math.abs(odd.cStar)).toBeLessThan(1e-12);
    expect(odd.chiC).toBeLessThan(1);
    const r = theoryReport("tanh", 2.5, 0.1);
    expect(r.cStar).toBeGreaterThan(0);
    expect(r.cStar).toBeLessThan(1);
    expect(r.chiC).toBeLessThan(1);
    expect(Math.abs(correlationMap("tanh", 2.5, 0.1, r.qStar, r.cStar) - r.cStar)).toBeLessThan(
      1e-12,
    );
  });
});

describe("depth scales and the report", () => {
  it("xi = -1/ln(chi): signed, Infinity at chi = 1", () => {
    expect(depthScale(1)).toBe(Number.POSITIVE_INFINITY);
    expect(depthScale(1 - 1e-15)).toBe(Number.POSITIVE_INFINITY);
    expect(depthScale(Math.exp(-0.1))).toBeCloseTo(10, 12);
    expect(depthScale(Math.exp(0.1))).toBeCloseTo(-10, 12);
    expect(depthScale(0)).toBe(0);
  });

  it("relu at criticality has infinite gradient and correlation depth scales", () => {
    const r = theoryReport("relu", 2, 0);
    expect(r.depthScales.xiGrad).toBe(Number.POSITIVE_INFINITY);
    expect(r.depthScales.xiC).toBe(Number.POSITIVE_INFINITY);
    expect(r.depthScales.xiQ).toBe(Number.POSITIVE_INFINITY);
  });

  it("theoryReport is JSON-friendly and self-consistent", () => {
    const r = theoryReport("sigmoid", 1 / 3, 0);
    const json = JSON.parse(JSON.stringify(r));
    expect(Object.keys(json)).toEqual(
      expect.arrayContaining([
        "activation",
        "weightVar",
        "biasVar",
        "qStar",
        "chi1",
        "chiC",
        "cStar",
        "phase",
        "depthScales",
        "converged",
      ]),
    );
    expect(r.depthScales.xiGrad).toBeCloseTo(-1 / Math.log(r.chi1), 12);
    expect(r.depthScales.xiQ).toBeCloseTo(-1 / Math.log(r.chiQ), 12);
    expect(r.converged).toBe(true);
    const d = theoryReport("relu", 3, 0.1);
    expect(d.converged).toBe(false);
    expect(d.qStar).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(d.depthScales.xiQ)).toBe(true);
    expect(d.depthScales.xiGrad).toBeLessThan(0); // exploding
  });
});

describe("phaseDiagram", () => {
  it("grid phases agree with the critical line", () => {
    const ws = [0.5, 1, 1.5, 2, 2.5, 3];
    const bs = [0, 0.05, 0.2];
    const pd = phaseDiagram("tanh", ws, bs);
    expect(pd.points).toHaveLength(ws.length * bs.length);
    expect(pd.criticalLine).toHaveLength(bs.length);
    for (const p of pd.points) {
      const line = pd.criticalLine.find((l) => l.biasVar === p.biasVar)!;
      if (p.phase === "ordered") expect(p.weightVar).toBeLessThan(line.weightVar);
      if (p.phase === "chaotic") expect(p.weightVar).toBeGreaterThan(line.weightVar);
    }
    expect(pd.points[0]!).toMatchObject({ weightVar: 0.5, biasVar: 0, qStar: 0, phase: "ordered" });
  });
});
