import { sigmoidForward32, tanhForward32 } from "../fast-math.ts";
import { type RecurrentCell, type StepTensors, sigmoid } from "./cell.ts";

/**
 * GRU with PyTorch's gate order r, z, n (torch.nn.GRU):
 * r = sig(gi_r + gh_r), z = sig(gi_z + gh_z), n = tanh(gi_n + r * gh_n),
 * h_t = (1 - z) n + z h_{t-1}.
 * The reset gate multiplies gh_n (which includes b_hn), so gi and gh have different gradients
 * in the n block; gh keeps gh_n for backward.
 */
export class GruCell implements RecurrentCell {
  readonly kind = "gru";
  readonly gates = 3;
  readonly hasCell = false;
  readonly directPath = true;

  forward(s: StepTensors, batch: number, hidden: number): void {
    if (s.gates instanceof Float32Array) this.forward32(s, s.gates, batch, hidden);
    else this.forward64(s, batch, hidden);
  }

  /**
   * Float32: the gates go through fast-math's array kernels (at most 1 ulp each), about 3x
   * faster than a transcendental call per entry. One sigmoid pass covers r and z (the n slots
   * are overwritten next); n's pre-activation is staged in h, contiguous for the tanh pass.
   */
  private forward32(s: StepTensors, gates: Float32Array, batch: number, hidden: number): void {
    const { gi, gh, hPrev } = s;
    const h = s.h as Float32Array;
    const H = hidden;
    const G = 3 * H;
    const n = batch * G;
    for (let k = 0; k < n; k++) gates[k] = gi[k]! + gh[k]!;
    sigmoidForward32(gates, gates, n);
    for (let b = 0; b < batch; b++) {
      const row = b * G;
      const st = b * H;
      for (let j = 0; j < H; j++)
        h[st + j] = gi[row + 2 * H + j]! + gates[row + j]! * gh[row + 2 * H + j]!;
    }
    tanhForward32(h, h, batch * H);
    for (let b = 0; b < batch; b++) {
      const row = b * G;
      const st = b * H;
      for (let j = 0; j < H; j++) {
        const nt = h[st + j]!;
        const z = gates[row + H + j]!;
        gates[row + 2 * H + j] = nt;
        h[st + j] = (1 - z) * nt + z * hPrev[st + j]!;
      }
    }
  }

  /** Float64: Math.tanh and the exact sigmoid, entry by entry (what the replay checks). */
  private forward64(s: StepTensors, batch: number, hidden: number): void {
    const { gi, gh, gates, hPrev, h } = s;
    const H = hidden;
    const G = 3 * H;
    for (let b = 0; b < batch; b++) {
      const row = b * G;
      const st = b * H;
      for (let j = 0; j < H; j++) {
        const kr = row + j;
        const kz = kr + H;
        const kn = kz + H;
        gates[kr] = sigmoid(gi[kr]! + gh[kr]!);
        gates[kz] = sigmoid(gi[kz]! + gh[kz]!);
        gates[kn] = Math.tanh(gi[kn]! + gates[kr]! * gh[kn]!);
        const z = gates[kz]!;
        h[st + j] = (1 - z) * gates[kn]! + z * hPrev[st + j]!;
      }
    }
  }

  backward(s: StepTensors, batch: number, hidden: number): void {
    const { gh, gates, hPrev, dh, dhPrev, dgi, dgh } = s;
    const H = hidden;
    const G = 3 * H;
    for (let b = 0; b < batch; b++) {
      const row = b * G;
      const st = b * H;
      for (let j = 0; j < H; j++) {
        const kr = row + j;
        const kz = kr + H;
        const kn = kz + H;
        const r = gates[kr]!;
        const z = gates[kz]!;
        const n = gates[kn]!;
        const dht = dh[st + j]!;
        dhPrev[st + j] = dht * z;
        const dnPre = dht * (1 - z) * (1 - n * n);
        const dzPre = dht * (hPrev[st + j]! - n) * z * (1 - z);
        const drPre = dnPre * gh[kn]! * r * (1 - r);
        dgi[kr] = drPre;
        dgh[kr] = drPre;
        dgi[kz] = dzPre;
        dgh[kz] = dzPre;
        dgi[kn] = dnPre;
        dgh[kn] = dnPre * r;
      }
    }
  }
}
