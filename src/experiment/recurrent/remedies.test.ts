import { describe, expect, it } from "vitest";
import { recurrentRemedies } from "./remedies.ts";
import { addingProblem } from "./tasks.ts";
import { DEFAULT_RECURRENT_TRAIN, trainRecurrent } from "./train-recurrent.ts";

const rnn = { ...DEFAULT_RECURRENT_TRAIN, arch: "rnn" as const, clip: null };

describe("recurrentRemedies", () => {
  it("vanishing vanilla RNN: LSTM, GRU, IRNN (orthogonal gain 1 is already in place)", () => {
    const ids = recurrentRemedies(rnn, "vanishing").map((r) => r.id);
    expect(ids).toEqual(["identity-relu", "use-lstm", "use-gru"]);
    const scaled = recurrentRemedies({ ...rnn, recurrentGain: 0.5 }, "vanishing").map((r) => r.id);
    expect(scaled).toContain("orthogonal-recurrent");
  });

  it("exploding: clipping first, then the recurrent matrix", () => {
    const r = recurrentRemedies({ ...rnn, recurrentGain: 2 }, "exploding");
    expect(r.map((x) => x.id)).toEqual(["clip-gradients", "orthogonal-recurrent", "use-lstm"]);
    expect(r[0]!.change).toEqual({ clip: 1 });
    expect(r[1]!.why).toMatch(/sigma_max = 2/);
  });

  it("a vanishing LSTM's forget bias goes 0 -> 1 -> 3; a healthy net gets nothing", () => {
    const pick = (forgetBias: number) =>
      recurrentRemedies({ ...DEFAULT_RECURRENT_TRAIN, forgetBias }, "vanishing").find(
        (r) => r.id === "forget-bias",
      );
    expect(pick(0)!.change).toEqual({ forgetBias: 1 });
    expect(pick(1)!.change).toEqual({ forgetBias: 3 });
    expect(pick(1)!.why).toMatch(/sigmoid\(1\) = 0.73 .* bias 3 keeps 0.95/);
    expect(pick(3)).toBeUndefined();
    expect(recurrentRemedies(DEFAULT_RECURRENT_TRAIN, "healthy")).toEqual([]);
  });

  it("clipping stops an exploding linear RNN from blowing up", () => {
    const task = addingProblem(20);
    const config = {
      ...rnn,
      activation: "identity" as const,
      recurrentGain: 1.5,
      lr: 0.1,
      optimizer: "sgd" as const,
      steps: 40,
      testSize: 32,
    };
    expect(trainRecurrent(config, task).explodedAt).not.toBeNull();
    const clip = recurrentRemedies(config, "exploded")[0]!;
    expect(clip.id).toBe("clip-gradients");
    expect(trainRecurrent({ ...config, ...clip.change }, task).explodedAt).toBeNull();
  });
});
