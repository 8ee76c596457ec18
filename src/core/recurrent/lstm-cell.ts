import { type RecurrentCell, type StepTensors, sigmoid } from "./cell.ts";

/**
 * LSTM with PyTorch's gate order i, f, g, o (torch.nn.LSTM):
 * i = sig(.), f = sig(.), g = tanh(.), o = sig(.) of gi + gh per block,
 * c_t = f c_{t-1} + i g, h_t = o tanh(c_t).
 * Arithmetic is in float64 and rounded once per stored value, so float32 differs from torch's
 * float32 kernels by round-off only.
 */
export class LstmCell implements RecurrentCell {
  readonly kind = "lstm";
  readonly gates = 4;
  readonly hasCell = true;
  readonly directPath = false;

  forward(s: StepTensors, batch: number, hidden: number): void {
    const { gi, gh, gates, cPrev, c, tanhC, h } = s;
    const H = hidden;
    const G = 4 * H;
    for (let b = 0; b < batch; b++) {
      const row = b * G;
      const st = b * H;
      for (let j = 0; j < H; j++) {
        const ki = row + j;
        const kf = ki + H;
        const kg = kf + H;
        const ko = kg + H;
        gates[ki] = sigmoid(gi[ki]! + gh[ki]!);
        gates[kf] = sigmoid(gi[kf]! + gh[kf]!);
        gates[kg] = Math.tanh(gi[kg]! + gh[kg]!);
        gates[ko] = sigmoid(gi[ko]! + gh[ko]!);
        // Read the stored (rounded) gates back, as torch's float32 would use them.
        const ct = gates[kf]! * cPrev[st + j]! + gates[ki]! * gates[kg]!;
        c[st + j] = ct;
        tanhC[st + j] = Math.tanh(c[st + j]!);
        h[st + j] = gates[ko]! * tanhC[st + j]!;
      }
    }
  }

  backward(s: StepTensors, batch: number, hidden: number): void {
    const { gates, cPrev, tanhC, dh, dc, dcPrev, dgi, dgh } = s;
    const H = hidden;
    const G = 4 * H;
    for (let b = 0; b < batch; b++) {
      const row = b * G;
      const st = b * H;
      for (let j = 0; j < H; j++) {
        const ki = row + j;
        const kf = ki + H;
        const kg = kf + H;
        const ko = kg + H;
        const i = gates[ki]!;
        const f = gates[kf]!;
        const g = gates[kg]!;
        const o = gates[ko]!;
        const tc = tanhC[st + j]!;
        const dht = dh[st + j]!;
        const dct = dc[st + j]! + dht * o * (1 - tc * tc);
        dc[st + j] = dct;
        dcPrev[st + j] = dct * f;
        dgi[ki] = dct * g * i * (1 - i);
        dgi[kf] = dct * cPrev[st + j]! * f * (1 - f);
        dgi[kg] = dct * i * (1 - g * g);
        dgi[ko] = dht * tc * o * (1 - o);
      }
    }
    // Every gate is a function of gi + gh: the two gradients are equal.
    dgh.set(dgi);
  }
}
