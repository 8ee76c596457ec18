import { describe, expect, it } from "vitest";
import { createLoss } from "../../core/loss.ts";
import { loadDataset } from "../datasets/index.ts";
import { Evaluator } from "./evaluate.ts";
import { Trainer } from "./trainer.ts";

describe("Evaluator", () => {
  for (const loss of ["cross-entropy", "mse"] as const) {
    it(`matches the ${loss} loss of one full-set pass, in chunks with a padded last chunk`, () => {
      const dataset = loadDataset("blobs", { seed: 2, dtype: "f64", samples: 103 });
      const trainer = new Trainer(
        { dataset: "blobs", depth: 3, width: 16, batch: 16, loss, batchNorm: true, steps: 30 },
        dataset,
      );
      while (!trainer.finished) trainer.step(); // running statistics away from their start
      const evaluator = new Evaluator(trainer.network, loss, true, 16, dataset.inputDim);
      const X = dataset.trainX; // 82 rows: five chunks of 16 and one of 2
      const got = evaluator.evaluate(X, dataset.trainY);
      const y = trainer.network.forward(X, "eval");
      const want = createLoss(loss).forward(y, dataset.trainY);
      expect(got.loss).toBeCloseTo(want, 12);
      let correct = 0;
      for (let r = 0; r < X.rows; r++) {
        let best = 0;
        for (let j = 1; j < y.cols; j++) if (y.get(r, j) > y.get(r, best)) best = j;
        if (best === dataset.labels!.train[r]) correct++;
      }
      expect(got.accuracy).toBe(correct / X.rows);
    });
  }
});
