export {
  GATE_NAMES,
  isRecurrentKind,
  RECURRENT_KINDS,
  type RecurrentCell,
  type RecurrentKind,
  type StepTensors,
} from "./cell.ts";
export { GruCell } from "./gru-cell.ts";
export { DEFAULT_FORGET_BIAS, initRecurrent, type RecurrentInitOptions } from "./init-recurrent.ts";
export { LstmCell } from "./lstm-cell.ts";
export { RecurrentLayer, type RecurrentLayerSpec } from "./recurrent-layer.ts";
export { RnnCell } from "./rnn-cell.ts";
