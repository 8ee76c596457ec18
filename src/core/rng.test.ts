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
