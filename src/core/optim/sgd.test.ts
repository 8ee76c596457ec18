import { describe, expect, it } from "vitest";
import { Sgd } from "./sgd.ts";
import { randomParams, rowParam, std } from "./test-params.ts";

// One parameter [1, 2] with gradient [0.5, -1] and lr 0.1 throughout (the gradient is held
// fixed across steps). Expected values are worked by hand from the PyTorch SGD update.
const p0 = () => rowParam("w", [1, 2], [0.5, -1]);

function values(p: ReturnType<typeof p0>): number[] {
  return Array.from(p.value.data);
}

describe("Sgd", () => {
  it("plain SGD: p - lr g", () => {
    const p = p0();
    new Sgd("sgd").step([p], 0.1);
    const [a, b] = values(p);
    expect(a).toBeCloseTo(0.95, 15);
    expect(b).toBeCloseTo(2.1, 15);
  });

  it("weight decay adds wd p to the gradient", () => {
    const p = p0();
    new Sgd("sgd", { weightDecay: 0.02 }).step([p], 0.1);
    // g' = [0.5 + 0.02, -1 + 0.04] = [0.52, -0.96]
    expect(values(p)[0]).toBeCloseTo(1 - 0.052, 15);
    expect(values(p)[1]).toBeCloseTo(2 + 0.096, 15);
  });

  it("momentum, two steps: b1 = g, b2 = 0.9 g + g", () => {
    const p = p0();
    const opt = new Sgd("momentum");
    opt.step([p], 0.1); // [0.95, 2.1]
    opt.step([p], 0.1); // b = 1.9 g = [0.95, -1.9]: [0.855, 2.29]
    expect(values(p)[0]).toBeCloseTo(0.855, 15);
    expect(values(p)[1]).toBeCloseTo(2.29, 15);
    expect(Array.from(opt.slot(0, "momentum")!)).toEqual([0.95, -1.9].map((x) => x));
  });

  it("nesterov, two steps: d = g + mu b", () => {
    const p = p0();
    const opt = new Sgd("nesterov");
    opt.step([p], 0.1); // b = g, d = 1.9 g: [0.905, 2.19]
    expect(values(p)[0]).toBeCloseTo(0.905, 15);
    expect(values(p)[1]).toBeCloseTo(2.19, 15);
    opt.step([p], 0.1); // b = 1.9 g, d = g + 0.9 * 1.9 g = 2.71 g: [0.7695, 2.461]
    expect(values(p)[0]).toBeCloseTo(0.7695, 15);
    expect(values(p)[1]).toBeCloseTo(2.461, 15);
  });

  it("'sgd' with a momentum option is torch SGD(momentum=...)", () => {
    const a = p0();
    const b = p0();
    const sgd = new Sgd("sgd", { momentum: 0.5 });
    const mom = new Sgd("momentum", { momentum: 0.5 });
    for (let k = 0; k < 3; k++) {
      sgd.step([a], 0.1);
      mom.step([b], 0.1);
    }
    expect(values(a)).toEqual(values(b));
  });

  it("reports the std of the stored update", () => {
    const p = p0();
    const out = new Float64Array(1);
    new Sgd("sgd").step([p], 0.1, out);
    // deltas [-0.05, 0.1]: std = 0.075
    expect(out[0]).toBeCloseTo(0.075, 15);
  });

  it("float32 parameters: float64 update rounded once into the float32 array", () => {
    const p = rowParam("w", [1, 2], [0.5, -1], "f32");
    new Sgd("nesterov").step([p], 0.1);
    expect(p.value.data).toBeInstanceOf(Float32Array);
    expect(Array.from(p.value.data)).toEqual([Math.fround(1 - 0.1 * 0.95), Math.fround(2.19)]);
  });

  it("rejects bad hyperparameters and learning rates", () => {
    expect(() => new Sgd("nesterov", { momentum: 0 })).toThrow(/momentum/);
    expect(() => new Sgd("momentum", { momentum: -0.1 })).toThrow(RangeError);
    const opt = new Sgd("sgd");
    expect(() => opt.step([p0()], -1)).toThrow(/learning rate/);
    expect(() => opt.step([p0()], Number.NaN)).toThrow(/learning rate/);
    expect(() => opt.step([p0()], 0.1, new Float64Array(0))).toThrow(/updateStd/);
  });

  it("plain SGD with and without the update std: p - lr g exactly, std of the stored deltas", () => {
    for (const dtype of ["f32", "f64"] as const) {
      const a = randomParams(5, 2, dtype);
      const b = randomParams(5, 2, dtype);
      const before = a.map((p) => Float64Array.from(p.value.data));
      const out = new Float64Array(a.length);
      new Sgd("sgd").step(a, 0.03); // the axpy path
      new Sgd("sgd").step(b, 0.03, out); // the path that also measures the update
      a.forEach((p, i) => {
        const g = p.grad.data;
        const want = before[i]!.map((v, j) =>
          dtype === "f32" ? Math.fround(v - 0.03 * g[j]!) : v - 0.03 * g[j]!,
        );
        expect(Array.from(p.value.data)).toEqual(Array.from(want));
        expect(Array.from(b[i]!.value.data)).toEqual(Array.from(want));
        const deltas = want.map((v, j) => v - before[i]![j]!);
        expect(out[i]! / std(deltas)).toBeCloseTo(1, 12);
      });
    }
  });
});
