/**
 * The measurements through the run-writing loop and compare: on the adding problem at
 * T = 100 an LSTM beats a vanilla tanh RNN at a small budget (float32), and at depth 24 a
 * post-LN transformer without warmup does not learn where pre-LN and DeepNorm do
 * (docs/THEORY.md, "Transformers: where LayerNorm sits", "Training at depth 24").
 * GRADSCOPE_TRAIN_REPORT=1 prints the numbers.
 */
import { describe, expect, it } from "vitest";
import { variantsFromVary } from "../compare.ts";
import { compareSequenceRuns, sequenceVariantConfigs } from "./compare.ts";

const report = (label: string, value: unknown): void => {
  if (process.env.GRADSCOPE_TRAIN_REPORT) console.log(label, JSON.stringify(value, null, 1));
};

describe("compare --vary arch=rnn,lstm on the adding problem at T = 100", () => {
  it("the LSTM solves it (test MSE far below 1/6), the tanh RNN stays at the baseline with a vanished gradient", async () => {
    const variants = variantsFromVary(["arch=rnn,lstm"]);
    const base = {
      task: "adding",
      seqLen: 100,
      width: 16,
      steps: 800,
      clip: "global-norm",
      recordEvery: 100,
      evalEvery: 0,
      testSize: 256,
    };
    const configs = sequenceVariantConfigs("rnn", base, variants);
    const lastRecords: Record<string, number> = {};
    const c = await compareSequenceRuns(variants, configs, {
      onRecords: (i, records) => {
        const ts = records.at(-1)!.timeSteps!;
        lastRecords[variants[i]!.label] = ts[0]!.gradHiddenNorm / ts[ts.length - 1]!.gradHiddenNorm;
      },
    });
    const [rnn, lstm] = c.outcomes;
    report("adding T=100", { outcomes: c.outcomes, firstOverLast: lastRecords });
    expect(c.ranking[0]).toBe("arch=lstm");
    expect(lstm!.testLoss!).toBeLessThan(1 / 6 / 10);
    expect(rnn!.testLoss!).toBeGreaterThan((1 / 6) * 0.8);
    expect(rnn!.verdict).toBe("vanishing");
    expect(lastRecords["arch=rnn"]!).toBeLessThan(1e-6);
  }, 120_000);
});

describe("compare --vary normPosition=post,pre,deepnorm --vary schedule=constant,warmup at depth 24", () => {
  it("post-LN without warmup does not learn and its lower blocks lose the gradient; pre-LN and DeepNorm learn", async () => {
    const variants = variantsFromVary([
      "normPosition=post,pre,deepnorm",
      "schedule=constant,warmup",
    ]);
    const base = {
      depth: 24,
      width: 32,
      heads: 4,
      ffnWidth: 64,
      seqLen: 8,
      vocab: 4,
      batch: 16,
      steps: 100,
      lr: 0.003,
      warmupSteps: 30,
      recordEvery: 20,
      evalEvery: 0,
      testSize: 256,
    };
    const configs = sequenceVariantConfigs("transformer", base, variants);
    const c = await compareSequenceRuns(variants, configs);
    const by = Object.fromEntries(c.outcomes.map((o) => [o.label, o]));
    report(
      "depth 24",
      c.outcomes.map((o) => [
        o.label,
        o.testLoss,
        o.testAcc,
        o.verdict,
        o.verdictMessage,
        o.elapsedMs,
      ]),
    );
    const chance = c.task!.chanceAccuracy!;
    const post = by["normPosition=post, schedule=constant"]!;
    const postWarm = by["normPosition=post, schedule=warmup"]!;
    expect(post.status).toBe("completed"); // no NaN: it fails quietly
    expect(post.testAcc!).toBeLessThan(chance + 0.05);
    expect(post.verdict).toBe("vanishing");
    expect(postWarm.testLoss!).toBeLessThan(post.testLoss!);
    for (const label of [
      "normPosition=pre, schedule=constant",
      "normPosition=deepnorm, schedule=constant",
    ]) {
      expect(by[label]!.testAcc!).toBeGreaterThan(0.9);
      expect(by[label]!.verdict).toBe("healthy");
    }
  }, 150_000);
});
