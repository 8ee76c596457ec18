import type { FloatArray } from "../../core/dtype.ts";
import type { TransformerBlock } from "../../core/transformer/block.ts";
import { frobenius, meanSquare } from "../../core/transformer/view.ts";

/** Attention measurements of one block. */
export interface AttentionMetrics {
  gradWqNorm: number;
  gradWkNorm: number;
  gradWvNorm: number;
  gradWoNorm: number;
  /** Mean over examples, heads and queries of the entropy (nats) of the attention weights; log(T) is uniform. */
  entropy: number;
  /** Mean over examples, heads and queries of the largest attention weight (1/T uniform, 1 one-hot). */
  maxWeight: number;
}

/** FFN measurements of one block. */
export interface FfnMetrics {
  gradW1Norm: number;
  gradW2Norm: number;
  /** Fraction of hidden units whose ReLU is off at every position of every example (0 for GELU). */
  dead: number;
}

/** One transformer block as a measure point (`layers` entry of `probe --json`). */
export interface TransformerBlockMetrics {
  /** 1-based block index from the input side. */
  layer: number;
  /** |dL/dW2|_F of the block's FFN output weight (Xiong et al.'s W^{2,l}). */
  gradWeightNorm: number;
  /** Mean square of dL/d(block input). */
  gradInputMeanSq: number;
  /** Mean square of the block's output. */
  q: number;
  /** Mean square of the block's input. */
  inputMeanSq: number;
  /** |W2|_F, the FFN output weight. */
  weightNorm: number;
  /** Frobenius norm of the gradient of every block parameter, by name (attn.Wq, ffn.W2, ln1.gamma, ...). */
  gradNorms: Record<string, number>;
  attention: AttentionMetrics;
  ffn: FfnMetrics;
  /** NaN/Inf count among the block's output, input gradient and parameter gradients. */
  nonfinite: number;
  /** The input gradient is exactly zero while the output gradient is not (rounded away by the dtype). */
  underflow: boolean;
}

function countNonFinite(x: FloatArray, n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) if (!Number.isFinite(x[i]!)) c++;
  return c;
}

function attentionStats(block: TransformerBlock): { entropy: number; maxWeight: number } {
  const T = block.seqLen;
  const w = block.attention.weights;
  const rows = block.input.rows * block.attention.heads;
  const P = w.get(rows, T * T).data;
  let entropy = 0;
  let maxSum = 0;
  const queries = rows * T;
  for (let r = 0; r < queries; r++) {
    let h = 0;
    let max = 0;
    for (let j = 0; j < T; j++) {
      const p = P[r * T + j]!;
      if (p > 0) h -= p * Math.log(p);
      if (p > max) max = p;
    }
    entropy += h;
    maxSum += max;
  }
  return { entropy: entropy / queries, maxWeight: maxSum / queries };
}

function deadFraction(block: TransformerBlock): number {
  if (block.ffn.activation.name !== "relu") return 0;
  const pre = block.ffn.preActivations;
  let dead = 0;
  for (let j = 0; j < pre.cols; j++) {
    let alive = false;
    for (let r = 0; r < pre.rows && !alive; r++) alive = pre.data[r * pre.cols + j]! > 0;
    if (!alive) dead++;
  }
  return dead / pre.cols;
}

/**
 * The metrics of block `index` (1-based) after a forward and backward pass; `outputGrad` is the
 * mean square of dL/d(block output), used to tell an underflow from a true zero.
 */
export function measureTransformerBlock(
  block: TransformerBlock,
  index: number,
  outputGradMeanSq: number,
): TransformerBlockMetrics {
  const gradNorms: Record<string, number> = {};
  let nonfinite = 0;
  for (const p of block.params()) {
    gradNorms[p.name] = frobenius(p.grad);
    nonfinite += countNonFinite(p.grad.data, p.grad.size);
  }
  const dx = block.inputGrad;
  const y = block.output;
  nonfinite += countNonFinite(dx.data, dx.size) + countNonFinite(y.data, y.size);
  const gradInputMeanSq = meanSquare(dx.data, dx.size);
  const { q, k, v, o } = block.attention;
  return {
    layer: index,
    gradWeightNorm: frobenius(block.ffn.fc2.dW),
    gradInputMeanSq,
    q: meanSquare(y.data, y.size),
    inputMeanSq: meanSquare(block.input.data, block.input.size),
    weightNorm: frobenius(block.ffn.fc2.W),
    gradNorms,
    attention: {
      gradWqNorm: frobenius(q.dW),
      gradWkNorm: frobenius(k.dW),
      gradWvNorm: frobenius(v.dW),
      gradWoNorm: frobenius(o.dW),
      ...attentionStats(block),
    },
    ffn: {
      gradW1Norm: frobenius(block.ffn.fc1.dW),
      gradW2Norm: frobenius(block.ffn.fc2.dW),
      dead: deadFraction(block),
    },
    nonfinite,
    underflow: gradInputMeanSq === 0 && outputGradMeanSq > 0,
  };
}
