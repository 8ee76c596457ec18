import { describe, expect, it } from "vitest";
import type { ArchName } from "../arch-options.ts";
import { resolveSequenceRun } from "../sequence-train/options.ts";
import type { SequenceRunConfig } from "../sequence-train/types.ts";
import { trainCommandFor } from "./command.ts";
import { archRemedies } from "./remedies.ts";

const cfg = (arch: Exclude<ArchName, "mlp">, given: Record<string, unknown> = {}) =>
  resolveSequenceRun(arch, given, "key");
const ids = (c: SequenceRunConfig, ...v: Parameters<typeof archRemedies>[1]) =>
  archRemedies(c, v).map((r) => r.id);

describe("doctor --arch remedies", () => {
  it("recurrent: the remedies of recurrent/remedies.ts that are not in place", () => {
    // a tanh RNN with orthogonal W_hh at gain 1 (the default): that one is in place
    expect(ids(cfg("rnn"), "vanishing")).toEqual(["identity-relu", "use-lstm", "use-gru"]);
    expect(ids(cfg("rnn", { recurrentGain: 0.9 }), "vanishing")).toEqual([
      "orthogonal-recurrent",
      "identity-relu",
      "use-lstm",
      "use-gru",
    ]);
    // an LSTM is not told to use an LSTM
    expect(ids(cfg("lstm"), "vanishing")).toEqual(["forget-bias"]);
    expect(ids(cfg("lstm", { forgetBias: 3 }), "vanishing")).toEqual([]);
    expect(ids(cfg("gru"), "vanishing")).toEqual([]);
    // growth: clipping first, unless it is on at 1
    expect(ids(cfg("rnn", { recurrentGain: 1.5 }), "exploding")).toEqual([
      "clip-gradients",
      "orthogonal-recurrent",
      "use-lstm",
    ]);
    expect(
      ids(cfg("rnn", { recurrentGain: 1.5, clip: "global-norm" }), "exploding").includes(
        "clip-gradients",
      ),
    ).toBe(false);
    expect(ids(cfg("rnn"), "healthy")).toEqual([]);
    // several verdicts: each remedy once, the first verdict's first
    expect(ids(cfg("rnn", { recurrentGain: 1.5 }), "exploding", "vanishing")).toEqual([
      "clip-gradients",
      "orthogonal-recurrent",
      "use-lstm",
      "identity-relu",
      "use-gru",
    ]);
  });

  it("recurrent changes are run-config changes (clipping as global-norm at 1)", () => {
    const [clip] = archRemedies(cfg("rnn", { recurrentGain: 1.5 }), ["exploding"]);
    expect(clip!.changes).toEqual({ clip: "global-norm", clipThreshold: 1 });
    const lstm = archRemedies(cfg("rnn"), ["vanishing"]).find((r) => r.id === "use-lstm")!;
    expect(lstm.changes).toEqual({ arch: "lstm", activation: "tanh" });
  });

  it("transformer: pre-LN, DeepNorm, warmup, a smaller init; what is in place is not proposed", () => {
    const post = cfg("transformer", { depth: 24, steps: 100 });
    expect(ids(post, "vanishing")).toEqual(["pre-ln", "deepnorm", "warmup", "smaller-init"]);
    const r = archRemedies(post, ["vanishing"]);
    expect(r.map((x) => x.changes)).toEqual([
      { normPosition: "pre" },
      { normPosition: "deepnorm" },
      { schedule: "warmup", warmupSteps: 30 },
      // (8 * 24)^(-1/4) = 0.2686
      { gain: 0.269 },
    ]);
    expect(ids(cfg("transformer", { normPosition: "pre" }), "vanishing")).toEqual([
      "deepnorm",
      "warmup",
      "smaller-init",
    ]);
    expect(
      ids(cfg("transformer", { normPosition: "deepnorm", schedule: "warmup" }), "vanishing"),
    ).toEqual([]);
    expect(ids(post, "exploding")).toContain("clip-gradients");
    expect(ids(post, "healthy")).toEqual([]);
  });
});

describe("the gradscope train command of a remedy", () => {
  it("resolves, flag by flag as the CLI reads them, to exactly the measured config", () => {
    const configs = [
      cfg("gru", { task: "adding", seqLen: 50, width: 16, steps: 300, clip: "global-norm" }),
      cfg("rnn", { activation: "relu", recurrentInit: "identity", lr: 0.003, seed: 4 }),
      cfg("lstm", { task: "digits", samples: 500, forgetBias: 3, steps: 40 }),
      cfg("transformer", { depth: 24, width: 32, ffnWidth: 64, schedule: "warmup", steps: 60 }),
      cfg("transformer", { normPosition: "deepnorm", gain: 0.269, warmupSteps: 7 }),
    ];
    for (const c of configs) {
      const { flags, command } = trainCommandFor(c);
      const strings = Object.fromEntries(Object.entries(flags).map(([k, v]) => [k, String(v)]));
      expect(resolveSequenceRun(c.arch, strings, "flag")).toEqual(c);
      expect(command.startsWith(`gradscope train --arch ${c.arch} --task ${c.task} `)).toBe(true);
    }
    expect(trainCommandFor(configs[0]!).command).toBe(
      "gradscope train --arch gru --task adding --seq-len 50 --width 16 --steps 300 --clip global-norm",
    );
  });
});
