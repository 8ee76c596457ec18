import { describe, expect, it } from "vitest";
import { type GainEvidence, learnedAboveChance, verdictNote, verdictOf } from "./verdict.ts";

/** Three seeds, nothing moved, nothing blew up, above chance. */
const ok: GainEvidence = {
  seeds: 3,
  broke: 0,
  baselineBroke: 0,
  accuracyGains: [0, 0, 0],
  relativeLossGains: [0, 0, 0],
  learned: true,
};
const v = (e: Partial<GainEvidence>) => verdictOf({ ...ok, ...e });
const same = (x: number) => [x, x, x];

describe("doctor verdict: paired gains over seeds against no change", () => {
  it("better needs one measure up beyond its margin and the noise, the other not down beyond them", () => {
    expect(v({ accuracyGains: same(0.2), relativeLossGains: same(0.3) })).toBe("better");
    // loss within 2% of no change's: not worse
    expect(v({ accuracyGains: same(0.2), relativeLossGains: same(-0.01) })).toBe("better");
  });

  it("a test loss that moves at the same accuracy is calibration: no gain, named in the note", () => {
    // float32 ReLU at lr 3 on moons: no change at lr 0.1 reaches 98%, remedies 99-100%; their
    // test losses differ by large, noisy factors. Counted as wins they made the top remedy
    // depend on the kernels.
    const lower = { ...ok, accuracyGains: same(0.01), relativeLossGains: same(0.5) };
    expect(verdictOf(lower)).toBe("no gain");
    expect(verdictNote(lower)).toBe("lower test loss at the same accuracy");
    const higher = { ...ok, accuracyGains: same(0), relativeLossGains: same(-0.5) };
    expect(verdictOf(higher)).toBe("no gain");
    expect(verdictNote(higher)).toBe("higher test loss at the same accuracy");
  });

  it("calls higher accuracy with a clearly higher test loss mixed, not a win", () => {
    // an earlier session's batch norm: 57% vs 34% accuracy, test loss 1.24 vs 1.09
    const e = { ...ok, accuracyGains: same(0.23), relativeLossGains: same(-0.146 / 1.09) };
    expect(verdictOf(e)).toBe("mixed");
    expect(verdictNote(e)).toBe("higher accuracy but higher test loss");
    const f = { ...ok, accuracyGains: same(-0.1), relativeLossGains: same(0.2) };
    expect(verdictOf(f)).toBe("mixed");
    expect(verdictNote(f)).toBe("lower test loss but lower accuracy");
    expect(verdictNote({ ...ok, accuracyGains: same(0.2), relativeLossGains: same(0.2) })).toBe(
      null,
    );
  });

  it("uses margins: 7 accuracy points and 2% of the baseline loss", () => {
    expect(v({ accuracyGains: same(0.069) })).toBe("no gain");
    expect(v({ accuracyGains: same(0.071) })).toBe("better");
    // a loss within 2% next to an accuracy gain: still better; beyond: mixed
    expect(v({ accuracyGains: same(0.1), relativeLossGains: same(-0.019) })).toBe("better");
    expect(v({ accuracyGains: same(0.1), relativeLossGains: same(-0.021) })).toBe("mixed");
    // regression: the loss is the only measure, relative to no change's
    expect(v({ accuracyGains: null, relativeLossGains: same(0.1) })).toBe("better");
    expect(v({ accuracyGains: null, relativeLossGains: same(0.01) })).toBe("no gain");
    expect(v({ accuracyGains: null, relativeLossGains: same(-0.1) })).toBe("worse");
  });

  it("a mean gain beyond the margin is not enough when the seeds disagree (2 standard errors)", () => {
    // ReLU + He at lr 0.1 on the seed story, native kernels: 35%, 35%, 87% against 34%, 33%, 33%
    const relu = [0.01, 0.02, 0.54];
    // mean 0.19 > 0.07, but 2 SE = 2 * 0.30 / sqrt(3) = 0.35
    expect(v({ accuracyGains: relu, relativeLossGains: same(0) })).toBe("no gain");
    // the same mean from consistent seeds is a clear gain
    expect(v({ accuracyGains: [0.17, 0.19, 0.21], relativeLossGains: same(0) })).toBe("better");
    // one seed: no noise estimate, the margin alone decides
    expect(v({ seeds: 1, accuracyGains: [0.08], relativeLossGains: [0] })).toBe("better");
  });

  it("a remedy that blows up in any seed is never a win; rescue needs no change to blow up", () => {
    const wins = { accuracyGains: [0.5, 0.5], relativeLossGains: [0.5, 0.5] };
    expect(v({ ...wins, broke: 1 })).toBe("worse");
    expect(verdictNote({ ...ok, ...wins, broke: 1 })).toBe("blew up in 1 of 3 seeds");
    // no change blew up in every seed and so did this one in some: nothing fixed
    expect(v({ broke: 1, baselineBroke: 3, accuracyGains: [], relativeLossGains: [] })).toBe(
      "no gain",
    );
    expect(v({ baselineBroke: 3, accuracyGains: [], relativeLossGains: [] })).toBe("rescued");
    expect(v({ baselineBroke: 1 })).toBe("rescued");
  });

  it("a remedy that does not learn above chance is never better or rescued", () => {
    // gradient clipping on the exploding blobs case: completes, but at 0.5% accuracy
    const clipped = { baselineBroke: 3, accuracyGains: [], relativeLossGains: [], learned: false };
    expect(v(clipped)).toBe("no gain");
    expect(verdictNote({ ...ok, ...clipped })).toBe("did not learn above chance");
    // beating a below-chance no change while staying at chance is no fix either
    expect(v({ accuracyGains: same(0.2), learned: false })).toBe("no gain");
    expect(v({ accuracyGains: same(-0.2), relativeLossGains: same(-0.1), learned: false })).toBe(
      "worse",
    );
  });
});

describe("learned above chance", () => {
  it("needs the accuracy above chance by 7 points and the noise in every seed's test set", () => {
    expect(
      learnedAboveChance({
        accuracyOverChance: [0.3, 0.32, 0.29],
        relativeLossUnderChance: null,
        broke: 0,
      }),
    ).toBe(true);
    expect(
      learnedAboveChance({
        accuracyOverChance: [0.06, 0.05, 0.06],
        relativeLossUnderChance: null,
        broke: 0,
      }),
    ).toBe(false);
    // 0.5% accuracy against a chance of 33%
    expect(
      learnedAboveChance({
        accuracyOverChance: [-0.33, -0.3, -0.32],
        relativeLossUnderChance: null,
        broke: 0,
      }),
    ).toBe(false);
    // two seeds learn, one stays at chance: the mean clears 7 points but not the noise
    expect(
      learnedAboveChance({
        accuracyOverChance: [0.6, 0.6, 0],
        relativeLossUnderChance: null,
        broke: 0,
      }),
    ).toBe(false);
    expect(
      learnedAboveChance({
        accuracyOverChance: [0.6, 0.6, 0.6],
        relativeLossUnderChance: null,
        broke: 1,
      }),
    ).toBe(false);
  });

  it("regression: the test loss below the mean predictor's by 10% of it", () => {
    expect(
      learnedAboveChance({
        accuracyOverChance: null,
        relativeLossUnderChance: [0.5, 0.55, 0.6],
        broke: 0,
      }),
    ).toBe(true);
    expect(
      learnedAboveChance({
        accuracyOverChance: null,
        relativeLossUnderChance: [0.05, 0.06, 0.04],
        broke: 0,
      }),
    ).toBe(false);
  });
});
