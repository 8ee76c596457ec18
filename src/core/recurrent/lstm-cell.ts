import { sigmoidForward32, tanhForward32 } from "../fast-math.ts";
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
    if (s.gates instanceof Float32Array) this.forward32(s, s.gates, batch, hidden);
    else this.forward64(s, batch, hidden);
  }

  /**
   * Float32: the gates go through fast-math's array kernels (at most 1 ulp each) instead of a
   * transcendental call per entry, about 3x faster. g = tanh(x) is taken as 2 sigmoid(2x) - 1,
   * so one sigmoid pass covers all four blocks (absolute error ~1e-7, float32's own).
   */
  private forward32(s: StepTensors, gates: Float32Array, batch: number, hidden: number): void {
    const { gi, gh, cPrev, c, tanhC, h } = s;
    const H = hidden;
    const G = 4 * H;
    const n = batch * G;
    for (let k = 0; k < n; k++) gates[k] = gi[k]! + gh[k]!;
    for (let b = 0; b < batch; b++) {
      const kg = b * G + 2 * H;
      for (let j = 0; j < H; j++) gates[kg + j] = 2 * gates[kg + j]!;
    }
    sigmoidForward32(gates, gates, n);
    for (let b = 0; b < batch; b++) {
      const row = b * G;
      const st = b * H;
      for (let j = 0; j < H; j++) {
        const kg = row + 2 * H + j;
        gates[kg] = 2 * gates[kg]! - 1;
        c[st + j] = gates[row + H + j]! * cPrev[st + j]! + gates[row + j]! * gates[kg]!;
      }
    }
    tanhForward32(c, tanhC as Float32Array, batch * H);
    for (let b = 0; b < batch; b++) {
      const ko = b * G + 3 * H;
      const st = b * H;
      for (let j = 0; j < H; j++) h[st + j] = gates[ko + j]! * tanhC[st + j]!;
    }
  }

  /** Float64: Math.tanh and the exact sigmoid, entry by entry (what the replay checks). */
  private forward64(s: StepTensors, batch: number, hidden: number): void {
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
