import { describe, expect, it } from "vitest";
import type { BatchNorm } from "../../core/layers/batch-norm.ts";
import { Mat } from "../../core/mat.ts";
import { Network } from "../../core/network.ts";
import { Rng } from "../../core/rng.ts";
import { recalibrateBatchNorm } from "./recalibrate-bn.ts";

function net(depth: number, normalization: "batch-norm" | "none"): Network {
  const n = new Network({
    inputDim: 3,
    depth,
    width: 5,
    activation: "tanh",
    normalization,
    outputs: 2,
  });
  n.initialize("xavier-normal", {}, new Rng(1));
  return n;
}

function data(rows: number): Mat {
  const X = Mat.zeros(rows, 3, "f64");
  const rng = new Rng(7);
  for (let i = 0; i < X.data.length; i++) X.data[i] = 2 * rng.normal() + (i % 3);
  return X;
}

describe("recalibrateBatchNorm (precise BN)", () => {
  it("sets a first layer's running statistics to the exact mean and unbiased variance of its inputs", () => {
    // Layer 1's input z = x W^T + b is the same in every mode, so its population statistics
    // over the 4 chunks x 8 rows used can be computed directly.
    const network = net(2, "batch-norm");
    const X = data(35); // 4 full chunks of 8, the last 3 rows dropped
    const bn = network.blocks[0]!.norm as BatchNorm;
    bn.runningMean.data.fill(123); // stale values must be replaced, not averaged in
    expect(recalibrateBatchNorm(network, X, 8)).toBe(2);
    const W = network.blocks[0]!.dense.W;
    const b = network.blocks[0]!.dense.b;
    for (let j = 0; j < 5; j++) {
      const z: number[] = [];
      for (let r = 0; r < 32; r++) {
        let s = b.data[j]!;
        for (let k = 0; k < 3; k++) s += X.data[r * 3 + k]! * W.data[j * 3 + k]!;
        z.push(s);
      }
      const mean = z.reduce((a, c) => a + c, 0) / 32;
      const variance = z.reduce((a, c) => a + (c - mean) ** 2, 0) / 31;
      expect(bn.runningMean.data[j]).toBeCloseTo(mean, 12);
      expect(bn.runningVar.data[j]).toBeCloseTo(variance, 12);
    }
  });

  it("makes eval mode agree with train mode on a whole-set batch, where stale averages do not", () => {
    const network = net(4, "batch-norm");
    const X = data(64);
    const train = Array.from(network.forward(X, "train").data);
    const gap = (): number => {
      const y = network.forward(X, "eval").data;
      return Math.max(...train.map((t, i) => Math.abs(t - y[i]!)));
    };
    const stale = gap(); // running averages after one step: 0.9 * initial + 0.1 * batch
    expect(recalibrateBatchNorm(network, X, 64)).toBe(4);
    const after = gap();
    expect(stale).toBeGreaterThan(0.05);
    // only the unbiased n/(n-1) variance factor separates the two modes now
    expect(after).toBeLessThan(0.05 * stale);
  });

  it("leaves a network without batch norm untouched", () => {
    const network = net(2, "none");
    expect(recalibrateBatchNorm(network, data(16), 8)).toBe(0);
    expect(network.hooks).toHaveLength(0);
  });
});
