import { describe, expect, it } from "vitest";
import { type GainEvidence, mixedNote, verdictOf } from "./verdict.ts";

const ok: GainEvidence = {
  lossGain: 0,
  baselineLoss: 1,
  accuracyGain: 0,
  baselineBroke: false,
  sane: true,
  broke: false,
};
const v = (e: Partial<GainEvidence>) => verdictOf({ ...ok, ...e });

describe("doctor verdict: accuracy AND loss against no change", () => {
  it("better needs one measure up beyond its margin and the other not down beyond its margin", () => {
    expect(v({ accuracyGain: 0.2, lossGain: 0.3 })).toBe("better");
    expect(v({ accuracyGain: 0.2, lossGain: -0.01 })).toBe("better"); // loss within 2% of 1
    expect(v({ accuracyGain: 0, lossGain: 0.1 })).toBe("better");
  });

  it("calls higher accuracy with a clearly higher test loss mixed, not a win", () => {
    // last session's batch norm: 57% vs 34% accuracy, test loss 1.24 vs 1.09
    const e = { ...ok, accuracyGain: 0.23, lossGain: -0.146, baselineLoss: 1.09 };
    expect(verdictOf(e)).toBe("mixed");
    expect(mixedNote(e)).toBe("higher accuracy but higher test loss");
    expect(v({ accuracyGain: -0.1, lossGain: 0.2 })).toBe("mixed");
    expect(mixedNote({ ...ok, accuracyGain: -0.1, lossGain: 0.2 })).toBe(
      "lower test loss but lower accuracy",
    );
    expect(mixedNote({ ...ok, accuracyGain: 0.2, lossGain: 0.2 })).toBeNull();
  });

  it("uses margins: 7 accuracy points and 2% of the baseline loss", () => {
    expect(v({ accuracyGain: 0.069 })).toBe("no gain");
    expect(v({ accuracyGain: 0.071 })).toBe("better");
    expect(v({ accuracyGain: 0, lossGain: 0.019 })).toBe("no gain");
    expect(v({ accuracyGain: 0, lossGain: -0.021 })).toBe("worse");
    // relative: 0.001 is 10% of a regression loss of 0.01
    expect(v({ accuracyGain: null, baselineLoss: 0.01, lossGain: 0.001 })).toBe("better");
    expect(v({ accuracyGain: null, baselineLoss: 0.01, lossGain: 0.0001 })).toBe("no gain");
    expect(v({ accuracyGain: null, baselineLoss: 0.01, lossGain: -0.001 })).toBe("worse");
  });

  it("rescues only from a broken baseline, and a run that blows up is worse", () => {
    expect(v({ baselineBroke: true, sane: true, accuracyGain: null })).toBe("rescued");
    expect(v({ baselineBroke: true, sane: false, accuracyGain: null })).toBe("worse");
    expect(v({ broke: true, sane: false, lossGain: Number.NEGATIVE_INFINITY })).toBe("worse");
  });
});
