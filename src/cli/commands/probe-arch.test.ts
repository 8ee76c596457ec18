import { describe, expect, it } from "vitest";
import { main } from "../main.ts";
import { captureOutput } from "../test-output.ts";

async function run(...argv: string[]) {
  const output = captureOutput();
  const code = await main(argv, output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

describe("gradscope probe --arch: recurrent nets and transformers", () => {
  it("a linear RNN with an orthogonal recurrent matrix times rho: |dL/dh_t| = rho^(T-t) |dL/dh_T| to 1e-9", async () => {
    for (const rho of [0.9, 1, 1.1]) {
      const r = await run(
        ...["probe", "--arch", "rnn", "--activation", "identity", "--seq-len", "40"],
        ...["--width", "16", "--recurrent-init", "orthogonal", "--recurrent-gain", String(rho)],
        "--json",
      );
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.arch).toBe("rnn");
      const steps = out.timeSteps as { t: number; gradHiddenNorm: number; predicted: number }[];
      expect(steps.length).toBe(40);
      const last = steps[39]!.gradHiddenNorm;
      for (const s of steps) {
        const want = rho ** (40 - s.t) * last;
        expect(Math.abs(s.gradHiddenNorm - want) / want, `rho ${rho} t ${s.t}`).toBeLessThan(1e-9);
        expect(Math.abs(s.predicted - want) / want).toBeLessThan(1e-9);
      }
      // the verdict speaks of time steps and follows the law: 0.9^2 per step over 38 steps
      const verdict = rho < 1 ? "vanishing" : rho > 1 ? "exploding" : "healthy";
      expect(out.summary.verdict).toBe(verdict);
      expect(out.summary.message).toMatch(/time step/);
      expect(out.theory.pascanu.sigmaMax).toBeCloseTo(rho, 12);
      expect(out.theory.pascanu.vanishingGuaranteed).toBe(rho < 1);
    }
  });

  it("the text report shows steps back in time, the singular values and Pascanu's condition", async () => {
    const r = await run(
      "probe",
      "--arch",
      "rnn",
      "--activation",
      "sigmoid",
      "--seq-len",
      "30",
      "--width",
      "16",
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^gradscope probe: rnn, 30 steps, hidden 16/);
    expect(r.stdout).toContain("steps back");
    expect(r.stdout).toMatch(/Pascanu et al\. 2013: gamma = sup\|phi'\| = 0\.250, sigma_max = /);
    expect(r.stdout).toMatch(/\nverdict: vanishing: /);
    const lstm = await run("probe", "--arch", "lstm", "--seq-len", "30", "--width", "16");
    expect(lstm.code).toBe(0);
    expect(lstm.stdout).toMatch(/forget gate/);
  });

  it("a transformer: one layers entry per block, judged over blocks; post-LN piles gradient near the output", async () => {
    const post = JSON.parse(
      (
        await run(
          "probe",
          "--arch",
          "transformer",
          "--depth",
          "16",
          "--norm-position",
          "post",
          "--json",
        )
      ).stdout,
    );
    const pre = JSON.parse(
      (
        await run(
          "probe",
          "--arch",
          "transformer",
          "--depth",
          "16",
          "--norm-position",
          "pre",
          "--json",
        )
      ).stdout,
    );
    expect(post.layers.length).toBe(16);
    expect(post.layers[0]).toHaveProperty("attention.entropy");
    expect(post.layers[0]).toHaveProperty("ffn.gradW2Norm");
    expect(post.layers[0].gradWeightNorm).toBe(post.layers[0].ffn.gradW2Norm);
    // Xiong et al. 2020: post-LN's FFN weight gradient grows toward the output, pre-LN's falls
    const ratio = (o: { layers: { gradWeightNorm: number }[] }) =>
      o.layers[15]!.gradWeightNorm / o.layers[0]!.gradWeightNorm;
    expect(ratio(post)).toBeGreaterThan(1);
    expect(ratio(pre)).toBeLessThan(1);
    expect(post.summary.message).toMatch(/block/);
  });

  it("options that do not apply to the family are refused with one line", async () => {
    const cases: [string[], RegExp][] = [
      [["--arch", "lstm", "--depth", "4"], /^gradscope: --depth does not apply to a recurrent net/],
      [
        ["--arch", "rnn", "--batch-norm"],
        /^gradscope: --batch-norm does not apply to a recurrent net/,
      ],
      [
        ["--arch", "transformer", "--recurrent-gain", "2"],
        /^gradscope: --recurrent-gain does not apply to a transformer/,
      ],
      [["--heads", "4"], /^gradscope: --heads does not apply to --arch mlp \(the default\)/],
      [
        ["--arch", "gru", "--plot", "x.png"],
        /^gradscope: --plot is not available for --arch gru yet/,
      ],
      [
        ["--arch", "transformer", "--width", "10", "--heads", "4"],
        /width 10 is not divisible by heads 4/,
      ],
      [["--arch", "lstm", "--activation", "relu"], /--activation applies to --arch rnn only/],
      [["--arch", "cnn"], /--arch.*(mlp, rnn, lstm, gru, transformer)/],
    ];
    for (const [argv, line] of cases) {
      const r = await run("probe", ...argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr, argv.join(" ")).toMatch(/^gradscope: [^\n]+\n$/);
      expect(r.stderr, argv.join(" ")).toMatch(line);
    }
  });
});
