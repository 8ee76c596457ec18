import { describe, expect, it } from "vitest";
import { Mat } from "../../core/mat.ts";
import { Rng } from "../../core/rng.ts";
import { MinibatchSampler } from "./batches.ts";

/** 10 examples whose single feature is their index; targets are index * 10. */
function indexed(n: number): { X: Mat; Y: Mat } {
  const X = Mat.zeros(n, 1);
  const Y = Mat.zeros(n, 1);
  for (let i = 0; i < n; i++) {
    X.data[i] = i;
    Y.data[i] = 10 * i;
  }
  return { X, Y };
}

describe("MinibatchSampler", () => {
  it("draws each example at most once per epoch, drops the remainder, reshuffles each epoch", () => {
    const { X, Y } = indexed(10);
    const s = new MinibatchSampler(X, Y, 3, new Rng(7));
    const epochs: number[][] = [];
    for (let e = 0; e < 4; e++) {
      const seen: number[] = [];
      for (let b = 0; b < 3; b++) {
        s.next();
        for (let r = 0; r < 3; r++) {
          seen.push(s.x.data[r]!);
          expect(s.y.data[r]).toBe(10 * s.x.data[r]!); // rows stay paired
        }
      }
      expect(s.epoch).toBe(e + 1);
      expect(new Set(seen).size).toBe(9);
      epochs.push(seen);
    }
    expect(epochs[1]).not.toEqual(epochs[0]);
    // the same seed gives the same batches
    const t = new MinibatchSampler(X, Y, 3, new Rng(7));
    t.next();
    expect(Array.from(t.x.data)).toEqual(epochs[0]!.slice(0, 3));
  });

  it("fills the same Mats every time", () => {
    const { X, Y } = indexed(5);
    const s = new MinibatchSampler(X, Y, 5, new Rng(1));
    const x = s.x;
    for (let i = 0; i < 4; i++) s.next();
    expect(s.x).toBe(x);
    expect([...s.x.data].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("rejects a batch larger than the set", () => {
    const { X, Y } = indexed(4);
    expect(() => new MinibatchSampler(X, Y, 5, new Rng(1))).toThrow(/batch must be/);
  });
});
