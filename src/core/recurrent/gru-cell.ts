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
