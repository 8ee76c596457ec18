import { describe, expect, it } from "vitest";
import { Mat } from "../core/mat.ts";
import { loadSyntheticDataset } from "./datasets/browser.ts";
import {
  cellCentre,
  evaluateDecisionGrid,
  GridEvaluation,
  gridBounds,
  gridClassAt,
  gridSideFor,
} from "./decision-grid.ts";
import { Trainer } from "./train/trainer.ts";

function trainedOn(name: "blobs" | "spirals", steps: number) {
  const dataset = loadSyntheticDataset(name, { seed: 4, dtype: "f64", samples: 300 });
  const trainer = new Trainer(
    {
      dataset: name,
      depth: 2,
      width: 16,
      batch: 32,
      steps: steps + 5,
      lr: 0.1,
      optimizer: "adam",
      activation: "tanh",
      recordEvery: 1000,
      evalEvery: 0,
      seed: 1,
    },
    dataset,
  );
  for (let i = 0; i < steps; i++) trainer.step();
  return { dataset, trainer };
}

describe("gridBounds", () => {
  it("boxes the points with a margin of their span", () => {
    const x = Mat.zeros(3, 2, "f64");
    x.data.set([0, -1, 2, 3, 1, 1]);
    expect(gridBounds(x, 0.1)).toEqual({ xMin: -0.2, xMax: 2.2, yMin: -1.4, yMax: 3.4 });
  });

  it("rejects inputs that are not 2-D in one line", () => {
    expect(() => gridBounds(Mat.zeros(2, 3, "f64"))).toThrow(
      "decision grid needs 2-D inputs (got 3 columns)",
    );
  });

  it("gives a visible box for a single point", () => {
    const x = Mat.zeros(1, 2, "f64");
    x.data.set([2, 5]);
    const b = gridBounds(x, 0.5);
    expect(b.xMax - b.xMin).toBeGreaterThan(0);
    expect(b.yMax - b.yMin).toBeGreaterThan(0);
  });
});

describe("evaluateDecisionGrid", () => {
  it("has nx * ny cells, bottom row first, each the network's argmax at its centre", () => {
    const { dataset, trainer } = trainedOn("blobs", 60);
    const bounds = gridBounds(dataset.trainX);
    const grid = evaluateDecisionGrid(trainer.network, bounds, { nx: 7, ny: 5, batch: 32 });
    expect(grid.classes).toHaveLength(35);
    expect(grid.classCount).toBe(3);
    // Reference: each centre on its own (padded to the batch), cell (i, j) at j * nx + i.
    const one = Mat.zeros(32, 2, "f64");
    for (let j = 0; j < 5; j++) {
      for (let i = 0; i < 7; i++) {
        one.data[0] = cellCentre(bounds.xMin, bounds.xMax, 7, i);
        one.data[1] = cellCentre(bounds.yMin, bounds.yMax, 5, j);
        const y = trainer.network.forward(one, "eval").data;
        const best = [0, 1, 2].reduce((a, c) => (y[c]! > y[a]! ? c : a), 0);
        expect(grid.classes[j * 7 + i]).toBe(best);
      }
    }
  });

  it("a network trained on blobs gets its grid mostly right", () => {
    const { dataset, trainer } = trainedOn("blobs", 300);
    const grid = evaluateDecisionGrid(trainer.network, gridBounds(dataset.trainX), {
      nx: 60,
      batch: 32,
    });
    expect(grid.nx).toBe(60);
    expect(grid.ny).toBe(60);
    const labels = dataset.labels!.train;
    // The class of the cell under each training point against the point's label.
    let right = 0;
    for (let r = 0; r < dataset.trainX.rows; r++) {
      const c = gridClassAt(grid, dataset.trainX.data[2 * r]!, dataset.trainX.data[2 * r + 1]!);
      if (c === labels[r]) right++;
    }
    const accuracy = right / dataset.trainX.rows;
    console.log(`blobs grid: ${accuracy} of training points in their class's region`);
    expect(accuracy).toBeGreaterThan(0.95);
    // Against the nearest class centre (the Bayes regions of equal round clusters).
    const centres = [0, 1, 2].map((k) => {
      let sx = 0;
      let sy = 0;
      let n = 0;
      for (let r = 0; r < labels.length; r++) {
        if (labels[r] !== k) continue;
        sx += dataset.trainX.data[2 * r]!;
        sy += dataset.trainX.data[2 * r + 1]!;
        n++;
      }
      return [sx / n, sy / n] as const;
    });
    let agree = 0;
    for (let j = 0; j < grid.ny; j++) {
      for (let i = 0; i < grid.nx; i++) {
        const x = cellCentre(grid.xMin, grid.xMax, grid.nx, i);
        const y = cellCentre(grid.yMin, grid.yMax, grid.ny, j);
        const d = centres.map(([cx, cy]) => (x - cx) ** 2 + (y - cy) ** 2);
        const nearest = d.indexOf(Math.min(...d));
        if (grid.classes[j * grid.nx + i] === nearest) agree++;
      }
    }
    console.log(
      `blobs grid: ${agree / (grid.nx * grid.ny)} of cells agree with the nearest centre`,
    );
    expect(agree / (grid.nx * grid.ny)).toBeGreaterThan(0.85);
    // Every class appears, and only 0..2.
    expect(new Set(grid.classes)).toEqual(new Set([0, 1, 2]));
  });

  it("leaves the next training step unchanged", () => {
    const a = trainedOn("spirals", 20);
    const b = trainedOn("spirals", 20);
    evaluateDecisionGrid(a.trainer.network, gridBounds(a.dataset.trainX), { nx: 40, batch: 32 });
    a.trainer.step();
    b.trainer.step();
    expect(a.trainer.lastLoss).toBe(b.trainer.lastLoss);
  });

  it("rejects bad sizes in one line", () => {
    const { trainer } = trainedOn("blobs", 1);
    const bounds = { xMin: 0, xMax: 1, yMin: 0, yMax: 1 };
    expect(() => evaluateDecisionGrid(trainer.network, bounds, { nx: 0, batch: 32 })).toThrow(
      "nx must be an integer between 1 and 200 (got 0)",
    );
    expect(() =>
      evaluateDecisionGrid(trainer.network, { ...bounds, xMax: 0 }, { nx: 4, batch: 32 }),
    ).toThrow("grid bounds must have xMax > xMin and yMax > yMin");
  });
});

describe("GridEvaluation", () => {
  it("in pieces gives the same grid as in one go", () => {
    const { dataset, trainer } = trainedOn("spirals", 30);
    const bounds = gridBounds(dataset.trainX);
    const whole = evaluateDecisionGrid(trainer.network, bounds, { nx: 30, batch: 32 });
    const job = new GridEvaluation(trainer.network, bounds, { nx: 30, batch: 32 });
    let pieces = 0;
    while (!job.advance(0)) pieces++;
    // A zero budget still evaluates one chunk of 32 rows per call: 900 cells = 29 calls.
    expect(pieces).toBe(28);
    expect(job.result().classes).toEqual(whole.classes);
    expect(() => new GridEvaluation(trainer.network, bounds, { batch: 32 }).result()).toThrow(
      "the grid evaluation is not finished",
    );
  });

  it("picks a coarser grid for bigger networks", () => {
    expect(gridSideFor(3, 32)).toBe(60);
    expect(gridSideFor(20, 128)).toBe(55);
    expect(gridSideFor(100, 512)).toBe(16);
  });
});
