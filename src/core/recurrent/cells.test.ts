/**
 * Each cell's step equations against central finite differences (float64): the gradients
 * with respect to gi, gh, h_{t-1} and c_{t-1} for L = sum(Rh * h_t) + sum(Rc * c_t).
 */
import { describe, expect, it } from "vitest";
import { getActivation } from "../activations.ts";
import { Mat } from "../mat.ts";
import { Rng } from "../rng.ts";
import { maxRelativeGradError } from "../testing/grad-check.ts";
import type { RecurrentCell, StepTensors } from "./cell.ts";
import { floorOf } from "./grad-check-floor.ts";
import { GruCell } from "./gru-cell.ts";
import { LstmCell } from "./lstm-cell.ts";
import { RnnCell } from "./rnn-cell.ts";

const B = 3;
const H = 4;

function random(rng: Rng, n: number, std = 1): Mat {
  const m = Mat.zeros(1, n);
  rng.fillNormal(m.data, 0, std);
  return m;
}

function checkCell(cell: RecurrentCell, seed: number): Record<string, number> {
  const rng = new Rng(seed);
  const G = cell.gates * H;
  const gi = random(rng, B * G);
  const gh = random(rng, B * G);
  const hPrev = random(rng, B * H, 0.5);
  const cPrev = random(rng, B * H);
  const Rh = random(rng, B * H);
  const Rc = random(rng, B * H);
  const z = (n: number) => new Float64Array(n);
  const s: StepTensors = {
    gi: gi.data,
    gh: gh.data,
    gates: z(B * G),
    hPrev: hPrev.data,
    h: z(B * H),
    cPrev: cPrev.data,
    c: z(B * H),
    tanhC: z(B * H),
    dh: z(B * H),
    dhPrev: z(B * H),
    dc: z(B * H),
    dcPrev: z(B * H),
    dgi: z(B * G),
    dgh: z(B * G),
  };
  const loss = (): number => {
    cell.forward(s, B, H);
    let sum = 0;
    for (let k = 0; k < B * H; k++) sum += Rh.data[k]! * s.h[k]!;
    if (cell.hasCell) for (let k = 0; k < B * H; k++) sum += Rc.data[k]! * s.c[k]!;
    return sum;
  };
  loss();
  s.dh.set(Rh.data);
  s.dc.set(Rc.data);
  cell.backward(s, B, H);
  const grad = (a: Float64Array) => new Mat(1, a.length, Float64Array.from(a));
  const dgi = grad(s.dgi as Float64Array);
  const dgh = grad(s.dgh as Float64Array);
  const dhPrev = grad(s.dhPrev as Float64Array);
  const dcPrev = grad(s.dcPrev as Float64Array);
  const check = (wrt: Mat, g: Mat) => maxRelativeGradError(loss, wrt, g, { floor: floorOf(g) });
  const out: Record<string, number> = { gi: check(gi, dgi), gh: check(gh, dgh) };
  // Only the GRU reaches h_{t-1} other than through gh = h_{t-1} W_hh^T.
  if (cell.directPath) out.hPrev = check(hPrev, dhPrev);
  if (cell.hasCell) out.cPrev = check(cPrev, dcPrev);
  return out;
}

const cells: [string, () => RecurrentCell][] = [
  ["rnn tanh", () => new RnnCell(getActivation("tanh"))],
  ["rnn sigmoid", () => new RnnCell(getActivation("sigmoid"))],
  ["rnn relu", () => new RnnCell(getActivation("relu"))],
  ["rnn identity", () => new RnnCell(getActivation("identity"))],
  ["lstm", () => new LstmCell()],
  ["gru", () => new GruCell()],
];

describe("recurrent cells match finite differences", () => {
  for (const [name, make] of cells) {
    it(name, () => {
      for (const seed of [1, 2, 3]) {
        const errors = checkCell(make(), seed);
        for (const [key, err] of Object.entries(errors))
          expect(err, `${key} seed ${seed}`).toBeLessThan(1e-6);
      }
    });
  }

  it("GRU: h = (1 - z) n + z h_prev with torch's reset of gh_n (b_hn included)", () => {
    const cell = new GruCell();
    const s: StepTensors = {
      gi: Float64Array.of(0, 0, 0.3),
      gh: Float64Array.of(Math.log(3), 0, 0.5), // r = 0.75, z = 0.5
      gates: new Float64Array(3),
      hPrev: Float64Array.of(0.2),
      h: new Float64Array(1),
      cPrev: new Float64Array(0),
      c: new Float64Array(0),
      tanhC: new Float64Array(0),
      dh: new Float64Array(1),
      dhPrev: new Float64Array(1),
      dc: new Float64Array(0),
      dcPrev: new Float64Array(0),
      dgi: new Float64Array(3),
      dgh: new Float64Array(3),
    };
    cell.forward(s, 1, 1);
    const n = Math.tanh(0.3 + 0.75 * 0.5);
    expect(s.h[0]).toBeCloseTo(0.5 * n + 0.5 * 0.2, 15);
  });
});
