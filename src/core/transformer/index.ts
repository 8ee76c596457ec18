export { MultiHeadAttention } from "./attention.ts";
export {
  NORM_POSITIONS,
  type NormPosition,
  TransformerBlock,
  type TransformerBlockSpec,
} from "./block.ts";
export { deepNormAlpha, deepNormBeta } from "./deepnorm.ts";
export { InputEmbedding } from "./embedding.ts";
export { FeedForward, FFN_ACTIVATIONS, type FfnActivation } from "./ffn.ts";
export { type Head, SequenceHead, TASK_KINDS, type TaskKind, TokenHead } from "./heads.ts";
export { initTransformer, type TransformerInitOptions } from "./init.ts";
export { TransformerModel, type TransformerModelSpec } from "./model.ts";
export { POSITION_KINDS, type PositionKind, Positions, sinusoidalTable } from "./positions.ts";
export { TokenCrossEntropy } from "./token-loss.ts";
export { frobenius, meanSquare, View } from "./view.ts";
