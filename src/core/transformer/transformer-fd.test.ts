/**
 * Central finite differences (float64, Richardson-extrapolated) against the analytic
 * gradients of every transformer part: attention, FFN, each block kind, the embedding,
 * positions and both heads, for every parameter and the input.
 */
import { describe, expect, it } from "vitest";
import { initDense } from "../init.ts";
import type { Param } from "../layers/layer.ts";
import { SoftmaxCrossEntropyLoss } from "../loss.ts";
import { Mat } from "../mat.ts";
import { Rng } from "../rng.ts";
import { maxRelativeGradError } from "../testing/grad-check.ts";
import { MultiHeadAttention } from "./attention.ts";
import { NORM_POSITIONS, TransformerBlock } from "./block.ts";
import { deepNormAlpha } from "./deepnorm.ts";
import { FeedForward } from "./ffn.ts";
import { initTransformer } from "./init.ts";
import { TransformerModel } from "./model.ts";
import { TokenCrossEntropy } from "./token-loss.ts";

const TOL = 1e-6;
// A larger step than the default: with Richardson extrapolation the truncation error is
// O(h^4) ~ 1e-12, while round-off (eps |L| / h) stays ~1e-13 for small gradient entries.
const FD = { h: 1e-3, maxEntries: 40 };

/**
 * The key bias has an exactly zero gradient: it adds q_i . bk to every score of row i, and
 * softmax is invariant to a shift of its row. The analytic value is round-off (~1e-17), so it
 * is checked as zero (relative to the key weights' gradient) instead of entry by entry.
 */
function isKeyBias(name: string): boolean {
  return name.endsWith("bk");
}

function expectZeroKeyBias(params: Param[]): void {
  for (const p of params) {
    if (!isKeyBias(p.name)) continue;
    const wk = params.find((w) => w.name === p.name.replace(/bk$/, "Wk"))!;
    const scale = Math.max(...Array.from(wk.grad.data, Math.abs));
    expect(Math.max(...Array.from(p.grad.data, Math.abs)), p.name).toBeLessThan(1e-12 * scale);
  }
}

function randomMat(rows: number, cols: number, rng: Rng, std = 1): Mat {
  const m = Mat.zeros(rows, cols);
  rng.fillNormal(m.data, 0, std);
  return m;
}

/** sum(R * f(x)) and its checks over `params` and the input x. */
function checkAll(
  forward: (x: Mat) => Mat,
  backward: (dy: Mat) => Mat | null,
  params: Param[],
  x: Mat,
  rng: Rng,
): Record<string, number> {
  const y0 = forward(x);
  const R = randomMat(y0.rows, y0.cols, rng);
  const loss = () => {
    const y = forward(x);
    let s = 0;
    for (let i = 0; i < y.size; i++) s += R.data[i]! * y.data[i]!;
    return s;
  };
  loss();
  const dx = backward(R)?.clone() ?? null;
  const grads = params.map((p) => p.grad.clone());
  const errors: Record<string, number> = {};
  expectZeroKeyBias(params);
  params.forEach((p, i) => {
    if (!isKeyBias(p.name)) errors[p.name] = maxRelativeGradError(loss, p.value, grads[i]!, FD);
  });
  if (dx) errors.input = maxRelativeGradError(loss, x, dx, FD);
  return errors;
}

function expectSmall(errors: Record<string, number>): void {
  for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThan(TOL);
}

function randomizeParams(params: Param[], rng: Rng): void {
  // LayerNorm gains away from 1 and shifts away from 0, so their gradients are exercised
  for (const p of params) {
    if (p.name.endsWith("gamma"))
      for (let i = 0; i < p.value.size; i++) p.value.data[i] = 1 + 0.3 * rng.normal();
    else if (p.name.endsWith("beta") || p.name.startsWith("b"))
      rng.fillNormal(p.value.data, 0, 0.2);
  }
}

describe("finite differences: transformer parts", () => {
  it("multi-head attention: Wq..Wo, biases and the input", () => {
    const rng = new Rng(1);
    const attn = new MultiHeadAttention(8, 2, 5);
    for (const l of [attn.q, attn.k, attn.v, attn.o])
      initDense(l.W, l.b, "xavier-normal", { gain: 1.5, biasVar: 0.1 }, rng);
    const x = randomMat(3 * 5, 8, rng);
    const errors = checkAll(
      (u) => attn.forward(u),
      (dy) => attn.backward(dy),
      attn.params(),
      x,
      rng,
    );
    expect(Object.keys(errors)).toHaveLength(8);
    expectSmall(errors);
  });

  for (const activation of ["relu", "gelu"] as const) {
    it(`FFN (${activation}): W1, b1, W2, b2 and the input`, () => {
      const rng = new Rng(2);
      const ffn = new FeedForward(6, 12, activation);
      for (const l of [ffn.fc1, ffn.fc2]) initDense(l.W, l.b, "he-normal", { biasVar: 0.1 }, rng);
      const x = randomMat(7, 6, rng);
      expectSmall(
        checkAll(
          (u) => ffn.forward(u),
          (dy) => ffn.backward(dy),
          ffn.params(),
          x,
          rng,
        ),
      );
    });
  }

  for (const normPosition of NORM_POSITIONS) {
    it(`${normPosition} block: every parameter and the input`, () => {
      const rng = new Rng(3);
      const block = new TransformerBlock({
        width: 8,
        heads: 2,
        ffnWidth: 16,
        seqLen: 4,
        normPosition,
        alpha: normPosition === "deepnorm" ? deepNormAlpha(6) : 1,
        activation: "gelu",
      });
      const { q, k, v, o } = block.attention;
      for (const l of [q, k, v, o, block.ffn.fc1, block.ffn.fc2])
        initDense(l.W, l.b, "xavier-normal", { biasVar: 0.05 }, rng);
      randomizeParams(
        block.params().filter((p) => p.name.startsWith("ln")),
        rng,
      );
      const x = randomMat(3, 4 * 8, rng);
      const errors = checkAll(
        (u) => block.forward(u),
        (dy) => block.backward(dy),
        block.params(),
        x,
        rng,
      );
      expect(Object.keys(errors)).toHaveLength(16);
      expectSmall(errors);
    });
  }

  for (const normPosition of NORM_POSITIONS) {
    it(`model (${normPosition}, learned positions, continuous input): embedding, positions, final LN, input`, () => {
      const rng = new Rng(4);
      const model = new TransformerModel({
        inputDim: 3,
        seqLen: 4,
        width: 8,
        heads: 2,
        ffnWidth: 12,
        depth: 2,
        normPosition,
        positions: "learned",
      });
      initTransformer(
        model,
        "xavier-uniform",
        { embeddingStd: 0.5, positionStd: 0.3, biasVar: 0.05 },
        rng,
      );
      randomizeParams(
        model.params().filter((p) => p.name.includes("gamma") || p.name.includes("beta")),
        rng,
      );
      const x = randomMat(2, 4 * 3, rng);
      const errors = checkAll(
        (u) => model.forward(u),
        (dy) => {
          model.backward(dy);
          return null;
        },
        model.params(),
        x,
        rng,
      );
      expect(errors["embed.E"]).toBeDefined();
      expect(errors["pos.P"]).toBeDefined();
      if (normPosition === "pre") expect(errors["final.gamma"]).toBeDefined();
      expectSmall(errors);
    });
  }

  it("sequence head with cross-entropy, sinusoidal positions", () => {
    const rng = new Rng(5);
    const model = new TransformerModel({
      inputDim: 5,
      seqLen: 3,
      width: 8,
      heads: 4,
      ffnWidth: 8,
      depth: 1,
      normPosition: "pre",
      positions: "sinusoidal",
      head: { kind: "sequence", classes: 3 },
    });
    initTransformer(model, "xavier-normal", { embeddingStd: 1, biasVar: 0.05 }, rng);
    const x = Mat.zeros(4, 3 * 5);
    for (let b = 0; b < 4; b++) for (let t = 0; t < 3; t++) x.data[b * 15 + t * 5 + rng.int(5)] = 1;
    const target = Mat.zeros(4, 3);
    for (let b = 0; b < 4; b++) target.data[b * 3 + rng.int(3)] = 1;
    const lossFn = new SoftmaxCrossEntropyLoss();
    const loss = () => lossFn.forward(model.forward(x), target);
    loss();
    model.backward(lossFn.backward());
    const params = model.params();
    expect(params.some((p) => p.name === "pos.P")).toBe(false);
    const grads = params.map((p) => p.grad.clone());
    expectZeroKeyBias(params);
    params.forEach((p, i) => {
      if (isKeyBias(p.name)) return;
      expect(maxRelativeGradError(loss, p.value, grads[i]!, FD), p.name).toBeLessThan(TOL);
    });
  });

  it("token head with per-position cross-entropy", () => {
    const rng = new Rng(6);
    const model = new TransformerModel({
      inputDim: 4,
      seqLen: 3,
      width: 8,
      heads: 2,
      ffnWidth: 8,
      depth: 1,
      normPosition: "post",
      positions: "learned",
      head: { kind: "token", classes: 2 },
    });
    initTransformer(model, "xavier-normal", { embeddingStd: 1, biasVar: 0.05 }, rng);
    const x = randomMat(3, 3 * 4, rng);
    const target = Mat.zeros(3, 3 * 2);
    for (let i = 0; i < 9; i++) target.data[i * 2 + rng.int(2)] = 1;
    const lossFn = new TokenCrossEntropy(2);
    const loss = () => lossFn.forward(model.forward(x), target);
    loss();
    model.backward(lossFn.backward());
    const params = model.params();
    const grads = params.map((p) => p.grad.clone());
    expectZeroKeyBias(params);
    params.forEach((p, i) => {
      if (isKeyBias(p.name)) return;
      expect(maxRelativeGradError(loss, p.value, grads[i]!, FD), p.name).toBeLessThan(TOL);
    });
  });
});

describe("buffers", () => {
  it("steady-state passes reuse the same output and gradient matrices", () => {
    const rng = new Rng(9);
    const model = new TransformerModel({
      inputDim: 3,
      seqLen: 4,
      width: 8,
      heads: 2,
      ffnWidth: 8,
      depth: 2,
      normPosition: "pre",
      positions: "learned",
    });
    initTransformer(model, "xavier-uniform", { embeddingStd: 1 }, rng);
    const x = randomMat(2, 12, rng);
    const pass = () => {
      const y = model.forward(x);
      model.backward(y);
      return [y, model.blocks[0]!.inputGrad, model.blocks[1]!.output];
    };
    pass();
    const first = pass();
    const second = pass();
    for (let i = 0; i < second.length; i++) expect(second[i]).toBe(first[i]);
  });
});
