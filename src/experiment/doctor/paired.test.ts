import { describe, expect, it } from "vitest";
import {
  type AnySeedOutcome,
  judge,
  judgeSeeds,
  keptRateIndex,
  orderTreatments,
  rateTried,
  treatmentJudgment,
} from "./paired.ts";

/** A completed sequence run's seed: test loss only (regression), no full training-set pass. */
const seed = (s: number, testLoss: number, trainLoss = testLoss): AnySeedOutcome => ({
  seed: s,
  status: "completed",
  trainLoss,
  trainAcc: null,
  testLoss,
  testAcc: null,
  finalLoss: trainLoss,
  initialLoss: 0.5,
});
const chances = new Map([0, 1, 2].map((s) => [s, { accuracy: null, loss: 1 / 6 }]));

describe("paired judging of runs of any family", () => {
  it("regression: the adding problem's no change at 1/6 and a GRU that learned", () => {
    // doctor --arch rnn, adding T = 50, 300 steps: test MSE per seed 0, 1, 2
    const base = { seeds: [seed(0, 0.158), seed(1, 0.164), seed(2, 0.178)] };
    const gru = { seeds: [seed(0, 0.00414), seed(1, 0.00616), seed(2, 0.00443)] };
    const irnn = { seeds: [seed(0, 0.00754), seed(1, 0.187), seed(2, 0.0479)] };
    const b = { ...base, ...judgeSeeds(base.seeds, chances, false) };
    const g = { ...gru, ...judgeSeeds(gru.seeds, chances, false) };
    const i = { ...irnn, ...judgeSeeds(irnn.seeds, chances, false) };
    expect([b.learned, g.learned, i.learned]).toEqual([false, true, false]);
    const gj = treatmentJudgment(judge(b, g, false));
    expect(gj.verdict).toBe("better");
    expect(gj.accuracyGain).toBeNull();
    // one seed of three did not learn: a large mean gain, but within the noise
    expect(treatmentJudgment(judge(b, i, false)).verdict).toBe("no gain");
    const ordered = orderTreatments(
      [
        {
          ...i,
          ...treatmentJudgment(judge(b, i, false)),
          remedyIds: ["identity-relu"],
          rank: null,
        },
        { ...g, ...gj, remedyIds: ["use-gru"], rank: null },
      ],
      chances,
      false,
    );
    expect(ordered.map((t) => [t.remedyIds[0], t.rank])).toEqual([
      ["use-gru", 1],
      ["identity-relu", null],
    ]);
  });

  it("keeps the configuration's own rate unless another is clearly lower in training loss", () => {
    const own = rateTried(0.01, [seed(0, 0.1), seed(1, 0.1), seed(2, 0.1)]);
    const close = rateTried(0.003, [seed(0, 0.099), seed(1, 0.099), seed(2, 0.099)]);
    const lower = rateTried(0.001, [seed(0, 0.05), seed(1, 0.06), seed(2, 0.055)]);
    expect(keptRateIndex([own, close])).toBe(0);
    expect(keptRateIndex([own, close, lower])).toBe(2);
    // a rate that blew up in a seed (exploded) loses to one that did not
    const broke = rateTried(0.03, [{ ...seed(0, 0.01), status: "exploded" }, seed(1, 0.01)]);
    expect(keptRateIndex([broke, own])).toBe(1);
  });
});
