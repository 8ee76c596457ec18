import { describe, expect, it } from "vitest";
import { ACTIVATION_NAMES, getActivation } from "../../core/activations.ts";
import { activationTable } from "./activation-table.ts";

describe("activationTable", () => {
  it("sigmoid: max derivative 1/4, healthy for |x| < 2 atanh(sqrt(0.99)) = 5.98645 (1% of max)", () => {
    const t = activationTable("sigmoid");
    expect(t.maxDerivative).toBe(0.25);
    expect(t.threshold).toBe(0.0025);
    // sigma(x)(1 - sigma(x)) = c  <=>  tanh(x/2)^2 = 1 - 4c.
    const edge = 2 * Math.atanh(Math.sqrt(1 - 4 * 0.0025));
    expect(edge).toBeCloseTo(5.986445692, 9);
    expect(Math.abs(t.healthyRegion.hi! - edge)).toBeLessThan(1e-10);
    expect(Math.abs(t.healthyRegion.lo! + edge)).toBeLessThan(1e-10);
    // At |x| = 6, just outside: sigmoid'(6) = e^-6 / (1 + e^-6)^2 = 0.0024665...
    const at6 = t.points.find((p) => p.x === 6)!;
    expect(at6.derivative).toBeCloseTo(Math.exp(-6) / (1 + Math.exp(-6)) ** 2, 15);
    expect(at6.derivative).toBeCloseTo(0.002466509291, 12);
    expect(at6.value).toBeCloseTo(1 / (1 + Math.exp(-6)), 15);
  });

  it("tanh is healthy for |x| < atanh(sqrt(0.99)) and elu / softplus on one side only", () => {
    const tanh = activationTable("tanh").healthyRegion;
    expect(Math.abs(tanh.hi! - Math.atanh(Math.sqrt(0.99)))).toBeLessThan(1e-10);
    expect(Math.abs(tanh.lo! + Math.atanh(Math.sqrt(0.99)))).toBeLessThan(1e-10);
    // elu' = e^x for x < 0: healthy down to ln(0.01); selu's left side has the same shape.
    for (const name of ["elu", "selu"] as const) {
      const r = activationTable(name).healthyRegion;
      expect(Math.abs(r.lo! - Math.log(0.01))).toBeLessThan(1e-10);
      expect(r.hi).toBeNull();
    }
    // softplus' = sigmoid >= 0.01 <=> x >= logit(0.01).
    const sp = activationTable("softplus").healthyRegion;
    expect(Math.abs(sp.lo! - Math.log(0.01 / 0.99))).toBeLessThan(1e-10);
    expect(sp.hi).toBeNull();
  });

  it("piecewise-linear activations: relu x > 0, identity and leaky-relu(0.01) everywhere", () => {
    expect(activationTable("relu").healthyRegion).toEqual({ lo: 0, hi: null });
    expect(activationTable("identity").healthyRegion).toEqual({ lo: null, hi: null });
    expect(activationTable("leaky-relu").healthyRegion).toEqual({ lo: null, hi: null });
    // A slope below 1% of the maximum derivative saturates the left side.
    expect(activationTable("leaky-relu", { slope: 0.001 }).healthyRegion).toEqual({
      lo: 0,
      hi: null,
    });
  });

  it("gelu and swish: the healthy side starts where phi' climbs through 1% of its peak", () => {
    for (const name of ["gelu", "swish"] as const) {
      const t = activationTable(name);
      expect(t.maxDerivative).toBeGreaterThan(1);
      expect(t.healthyRegion.hi).toBeNull();
      const lo = t.healthyRegion.lo!;
      expect(lo).toBeLessThan(0);
      expect(lo).toBeGreaterThan(-2);
      const phi = getActivation(name);
      expect(phi.derivative(lo - 1e-9)).toBeLessThan(t.threshold);
      expect(phi.derivative(lo + 1e-9)).toBeGreaterThanOrEqual(t.threshold);
      // Further left phi' dips negative and never comes back above the threshold.
      for (let x = lo - 0.01; x > -50; x -= 0.01) {
        expect(phi.derivative(x)).toBeLessThan(t.threshold);
      }
    }
  });

  it("tabulates every activation on the requested grid", () => {
    for (const name of ACTIVATION_NAMES) {
      const t = activationTable(name, { from: -2, to: 2, step: 0.1 });
      expect(t.points).toHaveLength(41);
      expect(t.points[0]!.x).toBe(-2);
      expect(t.points[3]!.x).toBe(-1.7);
      expect(t.points[40]!.x).toBe(2);
      for (const p of t.points) {
        expect(Number.isFinite(p.value)).toBe(true);
        expect(p.derivative).toBeLessThanOrEqual(t.maxDerivative + 1e-12);
      }
    }
  });

  it("rejects a bad range", () => {
    expect(() => activationTable("tanh", { from: 2, to: 1 })).toThrow(/from <= to/);
    expect(() => activationTable("tanh", { step: 0 })).toThrow(/step/);
    expect(() => activationTable("tanh", { step: 1e-9 })).toThrow(/too many/);
    expect(() => activationTable("tanh", { fraction: 2 })).toThrow(/fraction/);
  });
  it("gives the output saturation band of the bounded activations", () => {
    const sig = activationTable("sigmoid");
    expect(sig.unsaturatedOutput?.hi).toBeCloseTo(4.59511985013459, 12);
    expect(getActivation("sigmoid").value(sig.unsaturatedOutput!.hi!)).toBeCloseTo(0.99, 14);
    const tanh = activationTable("tanh");
    expect(Math.tanh(tanh.unsaturatedOutput!.hi!)).toBeCloseTo(0.98, 14);
    expect(activationTable("relu").unsaturatedOutput).toBeNull();
  });
});
