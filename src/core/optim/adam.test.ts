import { describe, expect, it } from "vitest";
import { Adam } from "./adam.ts";
import { rowParam } from "./test-params.ts";

const lr = 0.1;

describe("Adam", () => {
  it("first step moves every coordinate by lr * sign(g) (up to eps)", () => {
    const p = rowParam("w", [1, 2, -3, 0], [0.5, -1, 1e-3, -250]);
    new Adam("adam").step([p], lr);
    const moved = [0.9, 2.1, -3.1, 0.1];
    const g = [0.5, -1, 1e-3, 250];
    for (let j = 0; j < 4; j++) {
      // exact first step: lr * g / (|g| + eps)
      const tol = (lr * 1e-8) / Math.abs(g[j]!) + 1e-15;
      expect(Math.abs(p.value.data[j]! - moved[j]!)).toBeLessThan(2 * tol);
    }
  });

  it("second step with a new gradient matches the textbook formula", () => {
    const p = rowParam("w", [1, 2], [0.5, -1]);
    const opt = new Adam("adam");
    opt.step([p], lr);
    p.grad.data.set([-1, 0.25]);
    opt.step([p], lr);
    // By hand: m = 0.9 * 0.1 g1 + 0.1 g2, v = 0.999 * 0.001 g1^2 + 0.001 g2^2,
    // p -= lr * (m / 0.19) / (sqrt(v / 0.001999) + eps); also worked in plain float64 Python:
    // [0.9366103542405654, 2.1469468154765416].
    const g1 = [0.5, -1];
    const g2 = [-1, 0.25];
    const expected = [0.9366103542405654, 2.1469468154765416];
    for (let j = 0; j < 2; j++) {
      const m = 0.9 * 0.1 * g1[j]! + 0.1 * g2[j]!;
      const v = 0.999 * 0.001 * g1[j]! ** 2 + 0.001 * g2[j]! ** 2;
      const step1 = (lr * g1[j]!) / (Math.abs(g1[j]!) + 1e-8);
      const textbook = [1, 2][j]! - step1 - (lr * (m / 0.19)) / (Math.sqrt(v / 0.001999) + 1e-8);
      expect(p.value.data[j]).toBeCloseTo(textbook, 14);
      expect(p.value.data[j]).toBeCloseTo(expected[j]!, 14);
    }
    expect(opt.steps).toBe(2);
    expect(opt.slot(0, "m")![0]).toBeCloseTo(-0.055, 16);
    expect(opt.slot(0, "v")![1]).toBeCloseTo(0.0010615, 16);
  });

  it("AdamW decays the weights before the update: p (1 - lr wd) - lr sign(g)", () => {
    const p = rowParam("w", [1, 2], [0.5, -1]);
    new Adam("adamw").step([p], lr); // default weight decay 0.01
    expect(p.value.data[0]).toBeCloseTo(0.999 - 0.1, 8);
    expect(p.value.data[1]).toBeCloseTo(1.998 + 0.1, 8);
  });

  it("Adam's weight decay is L2 inside the gradient, unlike AdamW", () => {
    // g' = g + 0.5 p = [1, 0]: the second coordinate has zero gradient and does not move.
    const p = rowParam("w", [1, 2], [0.5, -1]);
    new Adam("adam", { weightDecay: 0.5 }).step([p], lr);
    expect(p.value.data[0]).toBeCloseTo(0.9, 8);
    expect(p.value.data[1]).toBe(2);
    const q = rowParam("w", [1, 2], [0.5, -1]);
    new Adam("adamw", { weightDecay: 0.5 }).step([q], lr);
    expect(q.value.data[1]).toBeCloseTo(2 * 0.95 + 0.1, 8);
  });

  it("float32 parameters with tiny gradients still move by lr (float64 state)", () => {
    // With eps below the gradient scale, Adam's step is lr whatever |g| is. g^2 = 1e-60 would
    // underflow to 0 in a float32 v (giving 1e-30 / 1e-40 instead); float64 state keeps it.
    const p = rowParam("w", [1, -1], [1e-30, -1e-30], "f32");
    new Adam("adam", { eps: 1e-40 }).step([p], 0.01);
    expect(p.value.data[0]).toBe(Math.fround(0.99));
    expect(p.value.data[1]).toBe(Math.fround(-0.99));
  });

  it("float32 steps equal float64 steps rounded to float32 after each step", () => {
    const a = rowParam("w", [0.3, -1.7, 2.5], [0.1, 0.2, -0.3], "f32");
    const b = rowParam("w", Array.from(a.value.data), Array.from(a.grad.data), "f64");
    const oa = new Adam("adamw");
    const ob = new Adam("adamw");
    for (let k = 0; k < 5; k++) {
      const g = [Math.fround(0.1 * k - 0.2), Math.fround(-0.05 * k), Math.fround(0.3)];
      a.grad.data.set(g);
      b.grad.data.set(g);
      oa.step([a], 0.05);
      ob.step([b], 0.05);
      for (let j = 0; j < 3; j++) b.value.data[j] = Math.fround(b.value.data[j]!);
      expect(Array.from(a.value.data)).toEqual(Array.from(b.value.data));
    }
  });

  it("rejects bad hyperparameters", () => {
    expect(() => new Adam("adam", { beta1: 1 })).toThrow(/beta1/);
    expect(() => new Adam("adam", { beta2: -0.1 })).toThrow(/beta2/);
    expect(() => new Adam("adam", { eps: Number.NaN })).toThrow(/eps/);
    expect(() => new Adam("adamw", { weightDecay: -1 })).toThrow(/weightDecay/);
  });
});
