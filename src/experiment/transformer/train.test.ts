import { describe, expect, it } from "vitest";
import { transformerConfig } from "./config.ts";
import { makeTask } from "./tasks.ts";
import { trainTransformer } from "./train.ts";

const small = { depth: 2, width: 32, heads: 4, ffnWidth: 64, seqLen: 8, vocab: 4, batch: 32 };

describe("synthetic tasks", () => {
  it("are deterministic from the seed and label as documented", () => {
    const a = makeTask("token", { n: 20, seqLen: 6, vocab: 3, seed: 7 });
    const b = makeTask("token", { n: 20, seqLen: 6, vocab: 3, seed: 7 });
    expect(Array.from(a.x.data)).toEqual(Array.from(b.x.data));
    for (let s = 0; s < 20; s++) {
      for (let t = 0; t < 6; t++) {
        const same = a.tokens[s * 6 + t] === a.tokens[s * 6];
        expect(a.y.data[(s * 6 + t) * 2 + 1]).toBe(same ? 1 : 0);
      }
    }
    const m = makeTask("sequence", { n: 50, seqLen: 7, vocab: 4, seed: 1 });
    for (let s = 0; s < 50; s++) {
      const seq = Array.from(m.tokens.subarray(s * 7, s * 7 + 7));
      const c0 = seq.filter((v) => v === 0).length;
      const c1 = seq.filter((v) => v === 1).length;
      expect(c0).not.toBe(c1);
      expect(m.y.data[s * 2 + 1]).toBe(c0 > c1 ? 1 : 0);
    }
  });
});

describe("training a 2-block pre-LN transformer", () => {
  it("learns the sequence task well above chance", () => {
    const r = trainTransformer(
      transformerConfig({ ...small, normPosition: "pre", loss: "cross-entropy", task: "sequence" }),
      { steps: 200, lr: 3e-3, warmupSteps: 20, clip: 1 },
    );
    expect(r.diverged).toBe(false);
    expect(r.chance).toBeLessThan(0.6);
    expect(r.testAccuracy).toBeGreaterThan(0.9);
    expect(r.history.at(-1)!.loss).toBeLessThan(r.history[0]!.loss / 4);
  });

  it("learns the token task (attention to position 0) above chance", () => {
    const r = trainTransformer(
      transformerConfig({ ...small, normPosition: "pre", loss: "cross-entropy", task: "token" }),
      { steps: 200, lr: 3e-3, warmupSteps: 20 },
    );
    expect(r.testAccuracy).toBeGreaterThan(r.chance + 0.2);
  });
});
