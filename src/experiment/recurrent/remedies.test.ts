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

  it("LSTM with forget bias 0 gets bias 1; a healthy net gets nothing", () => {
    const lstm = { ...DEFAULT_RECURRENT_TRAIN, forgetBias: 0 };
    expect(recurrentRemedies(lstm, "vanishing").map((r) => r.id)).toContain("forget-bias");
    expect(recurrentRemedies(lstm, "healthy")).toEqual([]);
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
