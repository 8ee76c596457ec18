/**
 * DeepNorm constants for an encoder-only stack of N blocks (Wang et al. 2022, "DeepNet:
 * Scaling Transformers to 1,000 Layers", Table 1 / Figure 2): each sub-layer computes
 * x = LN(alpha x + G(x)) with alpha = (2N)^(1/4), and the FFN weights and the value and output
 * projections are Xavier-initialized with gain beta = (8N)^(-1/4) (the query and key
 * projections keep gain 1).
 */
export function deepNormAlpha(blocks: number): number {
  return (2 * blocks) ** 0.25;
}

export function deepNormBeta(blocks: number): number {
  return (8 * blocks) ** -0.25;
}
