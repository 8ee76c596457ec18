import { describe, expect, it } from "vitest";
import { Rng } from "./rng.ts";

describe("Rng", () => {
  it("is deterministic per seed and differs across seeds", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(xs);
  });
  it("draws uniform [0,1) and N(0,1) with the right moments", () => {
    const rng = new Rng(1);
    const n = 200_000;
    let s = 0;
    let ss = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      s += u;
      ss += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    // mean 1/2 (SE 0.00065), E[u^2] = 1/3
    expect(Math.abs(s / n - 0.5)).toBeLessThan(0.003);
    expect(Math.abs(ss / n - 1 / 3)).toBeLessThan(0.003);
    let m1 = 0;
    let m2 = 0;
    let m4 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      m1 += z;
      m2 += z * z;
      m4 += z ** 4;
    }
    // SE of the mean 0.0022, of E[z^2] 0.0032, of E[z^4] ~0.022
    expect(Math.abs(m1 / n)).toBeLessThan(0.01);
    expect(Math.abs(m2 / n - 1)).toBeLessThan(0.013);
    expect(Math.abs(m4 / n - 3)).toBeLessThan(0.09);
  });
  it("int(n) covers 0..n-1 evenly", () => {
    const rng = new Rng(3);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[rng.int(4)]!++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });
});

describe("Rng.normal tails", () => {
  it("matches the normal distribution function at several points, tails included", () => {
    const rng = new Rng(12345);
    const n = 1_000_000;
    const points = [-3.5, -2, -1, -0.3, 0, 0.5, 1.5, 3, 3.6, 4];
    // Phi at the points (standard normal CDF)
    const cdf = [
      2.32629079035525e-4, 0.02275013194817921, 0.15865525393145707, 0.3820885778110474, 0.5,
      0.6914624612740131, 0.9331927987311419, 0.9986501019683699, 0.9998408876630558,
      0.9999683287581669,
    ];
    const counts = new Array(points.length).fill(0);
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      for (let k = 0; k < points.length; k++) if (z <= points[k]!) counts[k]++;
    }
    for (let k = 0; k < points.length; k++) {
      const p = cdf[k]!;
      const se = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(counts[k] / n - p), `at ${points[k]}`).toBeLessThan(5 * se);
    }
  });
});

describe("Rng stream (pinned: weights, datasets and checkpoints depend on these exact bits)", () => {
  it("gives the same words, uniforms and normals as every earlier version", () => {
    const r = new Rng(42);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([
      2837322924, 544945897, 479756282,
    ]);
    expect(r.uniform()).toBe(0.814939410083783);
    expect([r.normal(), r.normal()]).toEqual([-1.7549336186018016, -0.9760059509404188]);
    // 100,000 normals (rejections and tail draws included) and the state after them
    const q = new Rng(7);
    let s = 0;
    for (let i = 0; i < 100_000; i++) s += q.normal();
    expect(s).toBe(-537.5866113596171);
    expect(q.state()).toEqual([782374477, 2572769180, 3140091032, 3261186223]);
  });
});
