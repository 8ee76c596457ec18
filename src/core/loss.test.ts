import { describe, expect, it } from "vitest";
import { createLoss, LOSS_NAMES } from "./loss.ts";
import { Mat } from "./mat.ts";
import { Rng } from "./rng.ts";
import { maxRelativeGradError } from "./testing/grad-check.ts";

function targetFor(name: string, rows: number, cols: number, rng: Rng): Mat {
  const t = Mat.zeros(rows, cols);
  if (name === "cross-entropy") for (let r = 0; r < rows; r++) t.data[r * cols + rng.int(cols)] = 1;
  else rng.fillNormal(t.data);
  return t;
}

describe("losses", () => {
  for (const name of LOSS_NAMES) {
    it(`${name}: backward matches central finite differences`, () => {
      const rng = new Rng(5);
      const y = Mat.zeros(6, 4);
      rng.fillNormal(y.data, 0, 2);
      const t = targetFor(name, 6, 4, rng);
      const loss = createLoss(name);
      loss.forward(y, t);
      const g = loss.backward().clone();
      expect(maxRelativeGradError(() => loss.forward(y, t), y, g)).toBeLessThan(1e-6);
    });
  }
  it("hand-computed values", () => {
    const y = Mat.from([
      [1, 2],
      [3, -1],
    ]);
    const t = Mat.from([
      [0.5, 1],
      [2, 0],
    ]);
    expect(createLoss("random-projection").forward(y, t)).toBe(0.5 + 2 + 6);
    expect(createLoss("mse").forward(y, t)).toBeCloseTo((0.25 + 1 + 1 + 1) / 4, 15);
    // cross-entropy of logits [0, ln 3] with class 1: -log(3/4)
    const ce = createLoss("cross-entropy");
    expect(ce.forward(Mat.from([[0, Math.log(3)]]), Mat.from([[0, 1]]))).toBeCloseTo(
      -Math.log(0.75),
      15,
    );
    expect(ce.backward().toArray()[0]![0]).toBeCloseTo(0.25, 15);
  });
  it("cross-entropy stays finite for huge logits", () => {
    const ce = createLoss("cross-entropy");
    const v = ce.forward(Mat.from([[1000, -1000]]), Mat.from([[0, 1]]));
    expect(v).toBe(2000);
  });
});
