export { Adam, type AdamName } from "./adam.ts";
export { type ClipResult, clipGlobalNorm } from "./clip-global-norm.ts";
export { clipLayerNorm, type LayerClipResult } from "./clip-layer-norm.ts";
export { clipValue } from "./clip-value.ts";
export { createOptimizer } from "./create-optimizer.ts";
export { gradNorm } from "./grad-norm.ts";
export {
  isOptimizerName,
  OPTIMIZER_NAMES,
  type Optimizer,
  type OptimizerName,
  type OptimizerOptions,
  type OptimizerState,
} from "./optimizer.ts";
export { learningRate, SCHEDULE_KINDS, type Schedule, type ScheduleKind } from "./schedule.ts";
export { Sgd, type SgdName } from "./sgd.ts";
