import type { Activation } from "../activations.ts";
import type { RecurrentCell, StepTensors } from "./cell.ts";

/**
 * Vanilla (Elman) RNN, torch.nn.RNN's equation with any activation phi:
 * h_t = phi(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh).
 * The activation's array kernels do the work, so float32 gets the same fast paths as an MLP.
 */
export class RnnCell implements RecurrentCell {
  readonly kind = "rnn";
  readonly gates = 1;
  readonly hasCell = false;
  readonly directPath = false;

  constructor(readonly activation: Activation) {}

  forward(s: StepTensors, batch: number, hidden: number): void {
    const n = batch * hidden;
    const { gi, gh, gates: u } = s;
    for (let k = 0; k < n; k++) u[k] = gi[k]! + gh[k]!;
    this.activation.forward(u, s.h, n);
  }

  // du = phi'(u) * dh, and u = gi + gh, so dgi = dgh = du.
  backward(s: StepTensors, batch: number, hidden: number): void {
    const n = batch * hidden;
    this.activation.backward(s.gates, s.h, s.dh, s.dgi, n);
    s.dgh.set(s.dgi);
  }
}
