import { describe, expect, it } from "vitest";
import type { Param } from "../layers/layer.ts";
import { Rng } from "../rng.ts";
import { createOptimizer } from "./create-optimizer.ts";
import { OPTIMIZER_NAMES, type OptimizerName, type OptimizerState } from "./optimizer.ts";
import { randomParams, rowParam, std } from "./test-params.ts";

/** Fresh gradients for step k, the same for every copy of the parameters. */
function setGrads(params: readonly Param[], k: number): void {
  const rng = new Rng(100 + k);
  for (const p of params) rng.fillNormal(p.grad.data);
}

function snapshot(params: readonly Param[]): number[][] {
  return params.map((p) => Array.from(p.value.data));
}

/** A JSON round trip of the state, as a checkpoint file would do it. */
function throughJson(state: OptimizerState): OptimizerState {
  const plain = {
    ...state,
    buffers: Object.fromEntries(
      Object.entries(state.buffers).map(([param, slots]) => [
        param,
        Object.fromEntries(Object.entries(slots).map(([k, v]) => [k, Array.from(v)])),
      ]),
    ),
  };
  return JSON.parse(JSON.stringify(plain)) as OptimizerState;
}

describe("createOptimizer", () => {
  it("creates every named optimizer and rejects unknown names", () => {
    for (const name of OPTIMIZER_NAMES) expect(createOptimizer(name).name).toBe(name);
    expect(() => createOptimizer("rmsprop" as OptimizerName)).toThrow(/unknown optimizer/);
  });

  for (const name of OPTIMIZER_NAMES) {
    describe(name, () => {
      it("allocates its state once: the buffers are the same objects after many steps", () => {
        const params = randomParams(1);
        const opt = createOptimizer(name);
        expect(opt.slot(0, opt.slotNames[0] ?? "none")).toBeUndefined();
        setGrads(params, 0);
        opt.step(params, 0.01);
        const buffers = params.flatMap((_, i) => opt.slotNames.map((s) => opt.slot(i, s)!));
        expect(buffers.length).toBe(params.length * opt.slotNames.length);
        for (const b of buffers) expect(b).toBeInstanceOf(Float64Array);
        for (let k = 1; k < 20; k++) {
          setGrads(params, k);
          opt.step(params, 0.01);
        }
        const after = params.flatMap((_, i) => opt.slotNames.map((s) => opt.slot(i, s)!));
        after.forEach((b, i) => {
          expect(b).toBe(buffers[i]);
        });
        expect(opt.steps).toBe(20);
      });

      it("state() / load() continues bit for bit, also through JSON", () => {
        const params = randomParams(2);
        const opt = createOptimizer(name);
        for (let k = 0; k < 3; k++) {
          setGrads(params, k);
          opt.step(params, 0.05);
        }
        const saved = opt.state();
        const savedValues = snapshot(params);
        for (let k = 3; k < 6; k++) {
          setGrads(params, k);
          opt.step(params, 0.05);
        }
        const expected = snapshot(params);
        for (const state of [saved, throughJson(saved)]) {
          const copy = randomParams(2);
          copy.forEach((p, i) => {
            p.value.data.set(savedValues[i]!);
          });
          const resumed = createOptimizer(name);
          resumed.load(state);
          expect(resumed.steps).toBe(3);
          for (let k = 3; k < 6; k++) {
            setGrads(copy, k);
            resumed.step(copy, 0.05);
          }
          expect(snapshot(copy)).toEqual(expected);
        }
      });

      it("state() is a copy, and a state taken before any step loads", () => {
        const params = randomParams(3);
        const opt = createOptimizer(name);
        const empty = opt.state();
        expect(empty.step).toBe(0);
        expect(empty.buffers).toEqual({});
        setGrads(params, 0);
        opt.step(params, 0.1);
        const s = opt.state();
        for (const slots of Object.values(s.buffers)) {
          for (const buf of Object.values(slots)) (buf as Float64Array).fill(Number.NaN);
        }
        if (opt.slotNames.length > 0) expect(opt.slot(0, opt.slotNames[0]!)![0]).not.toBeNaN();
        const fresh = createOptimizer(name);
        fresh.load(empty);
        fresh.step(params, 0.1);
        expect(fresh.steps).toBe(1);
      });

      it("writes each param's update std without changing the update", () => {
        const a = randomParams(4);
        const b = randomParams(4);
        const before = snapshot(a);
        const out = new Float64Array(a.length);
        const oa = createOptimizer(name);
        const ob = createOptimizer(name);
        setGrads(a, 0);
        setGrads(b, 0);
        oa.step(a, 0.01, out);
        ob.step(b, 0.01);
        expect(snapshot(a)).toEqual(snapshot(b));
        a.forEach((p, i) => {
          const delta = Array.from(p.value.data, (x, j) => x - before[i]![j]!);
          expect(out[i]).toBeCloseTo(std(delta), 15);
          expect(out[i]).toBeGreaterThan(0);
        });
      });

      it("float32 parameters stay float32 and move", () => {
        const params = randomParams(5, 1, "f32");
        const before = snapshot(params);
        const opt = createOptimizer(name);
        setGrads(params, 0);
        opt.step(params, 0.01);
        for (const p of params) expect(p.value.data).toBeInstanceOf(Float32Array);
        expect(snapshot(params)).not.toEqual(before);
      });

      it("throws when the parameter list changes, until reset()", () => {
        const opt = createOptimizer(name);
        const p = rowParam("w", [1, 2], [0.5, -1]);
        opt.step([p], 0.1);
        const other = rowParam("w", [1, 2, 3], [0.5, -1, 1]);
        expect(() => opt.step([other], 0.1)).toThrow(/parameter list changed/);
        expect(() => opt.step([p, other], 0.1)).toThrow(/parameter list changed/);
        opt.reset();
        expect(opt.steps).toBe(0);
        opt.step([other], 0.1);
        expect(opt.steps).toBe(1);
      });
    });
  }

  it("rejects mismatched gradients, duplicate names and foreign states", () => {
    const bad = rowParam("w", [1, 2], [0.5]);
    expect(() => createOptimizer("adam").step([bad], 0.1)).toThrow(/gradient has 1/);
    const a = rowParam("w", [1], [1]);
    const b = rowParam("w", [2], [1]);
    expect(() => createOptimizer("momentum").step([a, b], 0.1)).toThrow(/unique/);
    const adam = createOptimizer("adam");
    adam.step([a], 0.1);
    expect(() => createOptimizer("adamw").load(adam.state())).toThrow(/cannot load adam/);
    const other = createOptimizer("adam");
    other.load(adam.state());
    expect(() => other.step([rowParam("v", [1], [1])], 0.1)).toThrow(/no "m" buffer/);
    other.load(adam.state());
    expect(() => other.step([rowParam("w", [1, 2], [1, 1])], 0.1)).toThrow(/has 1 entries/);
  });
});
