import { field } from "../dump.ts";
import { toJson } from "../json-numbers.ts";
import { recurrentShape } from "./config.ts";
import type { RecurrentProbeSetup } from "./probe-setup.ts";

/**
 * The dump of one recurrent probe pass, for scripts/replay_recurrent.py, as JSON text chunks.
 * Call after `recurrentForwardBackward(setup)`; `loss` is its value. Layout:
 * - `arch` (rnn | lstm | gru), `config`, `dtype`, `loss`, `lossName`, `seqLen`, `inputDim`
 *   (per step), `hidden`, `batch`, `activation`, `slope`;
 * - `input` [batch, T*I] (each row x_1..x_T), `target`;
 * - `params` and `grads`: weight_ih [G*H, I], weight_hh [G*H, H], bias_ih, bias_hh [1, G*H]
 *   (torch's names and gate order, without the `_l0` suffix);
 * - `h`, `dh` (and for the LSTM `c`, `dc`): [T*batch, H], time-major (row (t-1)*batch + b is
 *   step t of example b); dh is the total dL/dh_t;
 * - `readout` {W, b, dW, db} for mse / cross-entropy.
 */
export function* recurrentDumpChunks(setup: RecurrentProbeSetup, loss: number): Generator<string> {
  const { config, layer } = setup;
  const head = {
    arch: config.arch,
    config,
    dtype: config.dtype,
    loss,
    lossName: config.loss,
    seqLen: config.seqLen,
    inputDim: recurrentShape(config).inputDim,
    hidden: config.width,
    batch: config.batch,
    activation: config.activation,
    slope: config.slope,
  };
  yield `${toJson(head).slice(0, -1)},\n`;
  yield `${field("input", setup.input)},\n${field("target", setup.target)},\n`;
  const params = layer.params();
  yield `"params":{${params.map((p) => field(p.name, p.value)).join(",")}},\n`;
  yield `"grads":{${params.map((p) => field(p.name, p.grad)).join(",")}},\n`;
  yield `${field("h", layer.hiddenStates())},\n${field("dh", layer.gradHiddenStates())}`;
  if (layer.cell.hasCell) {
    yield `,\n${field("c", layer.cellStates())},\n${field("dc", layer.gradCellStates())}`;
  }
  const r = setup.readout;
  if (r) {
    yield `,\n"readout":{${[field("W", r.W), field("b", r.b), field("dW", r.dW), field("db", r.db)].join(",")}}`;
  }
  yield "}\n";
}
