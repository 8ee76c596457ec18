import { type ActivationName, getActivation } from "../activations.ts";
import { allocate, type DType, type FloatArray } from "../dtype.ts";
import { addRowBias, columnSums } from "../kernels/elementwise.ts";
import { gemmNN, gemmNT, gemmTN } from "../kernels/gemm.ts";
import { expectCols, type Layer, type Mode, type Param } from "../layers/layer.ts";
import { Mat } from "../mat.ts";
import { GATE_NAMES, type RecurrentCell, type RecurrentKind, type StepTensors } from "./cell.ts";
import { GruCell } from "./gru-cell.ts";
import { LstmCell } from "./lstm-cell.ts";
import { RnnCell } from "./rnn-cell.ts";

export interface RecurrentLayerSpec {
  kind: RecurrentKind;
  /** Features per time step (I). */
  stepInputDim: number;
  /** Hidden units (H). */
  hidden: number;
  /** Time steps (T). */
  seqLen: number;
  /** The vanilla RNN's activation (default tanh); LSTM and GRU have their fixed gates. */
  activation?: ActivationName;
  /** Negative slope of leaky ReLU (vanilla RNN). */
  slope?: number;
  dtype?: DType;
}

function makeCell(spec: RecurrentLayerSpec): RecurrentCell {
  switch (spec.kind) {
    case "rnn":
      return new RnnCell(
        getActivation(
          spec.activation ?? "tanh",
          spec.slope === undefined ? {} : { slope: spec.slope },
        ),
      );
    case "lstm":
      return new LstmCell();
    case "gru":
      return new GruCell();
  }
}

const EMPTY64 = new Float64Array(0);

/** Equal-length views of `data` cut into `count` consecutive blocks of `size`. */
function blocks(data: FloatArray, count: number, size: number): FloatArray[] {
  const out: FloatArray[] = [];
  for (let k = 0; k < count; k++) out.push(data.subarray(k * size, (k + 1) * size));
  return out;
}

/** Every buffer of one batch size, allocated together when the batch size changes. */
interface Buffers {
  batch: number;
  /** Input in time-major order [T*B, I] (row t*B + b). */
  xt: FloatArray;
  gi: FloatArray;
  gh: FloatArray;
  gates: FloatArray;
  dgi: FloatArray;
  dgh: FloatArray;
  /** h_0..h_T [(T+1)*B, H]; c_0..c_T (LSTM); tanh(c_1..c_T) (LSTM). */
  hs: FloatArray;
  cs: FloatArray;
  tanhC: FloatArray;
  /** dL/dh_0..dL/dh_T and dL/dc_0..dL/dc_T, same layout as hs and cs. */
  dhs: FloatArray;
  dcs: FloatArray;
  dxt: FloatArray;
  dx: Mat;
  hT: Mat;
  /** h_0..h_{T-1}: the right operand of dW_hh. */
  hsPrev: FloatArray;
  dhScratch: FloatArray;
  scratchA: FloatArray;
  scratchB: FloatArray;
  v: {
    gi: FloatArray[];
    gh: FloatArray[];
    gates: FloatArray[];
    dgi: FloatArray[];
    dgh: FloatArray[];
    hs: FloatArray[];
    cs: FloatArray[];
    tanhC: FloatArray[];
    dhs: FloatArray[];
    dcs: FloatArray[];
  };
}

/**
 * A recurrent layer run over a whole sequence, with backpropagation through time.
 *
 * Input x is [batch, T * I], each row the sequence x_1..x_T back to back (time-major within
 * the row); h_0 = 0 (and c_0 = 0); the output is h_T [batch, H]. Parameters are named and
 * shaped as torch's single-layer nn.RNN/LSTM/GRU (without the `_l0` suffix): weight_ih
 * [G*H, I], weight_hh [G*H, H], bias_ih and bias_hh [1, G*H], gates stacked in torch's order,
 * so a dump replays directly.
 *
 * Every per-step tensor lives in one time-major buffer ([T*B, ...], step t at rows
 * (t-1)*B..t*B-1), which lets the input products of all steps run as one large product
 * (forward: x W_ih^T; backward: dW_ih, dW_hh and dx), leaving only the two [B, H] x [H, G*H]
 * recurrent products per step. After backward, the per-step hidden states and dL/dh_t stay
 * readable (hiddenAt, gradHiddenAt) until the next forward. Steady-state steps allocate
 * nothing: buffers and their per-step views are made once per batch size.
 */
export class RecurrentLayer implements Layer {
  readonly kind: RecurrentKind;
  readonly inputDim: number;
  readonly outputDim: number;
  readonly stepInputDim: number;
  readonly hidden: number;
  readonly seqLen: number;
  readonly gates: number;
  readonly dtype: DType;
  readonly cell: RecurrentCell;
  readonly weightIh: Mat;
  readonly weightHh: Mat;
  readonly biasIh: Mat;
  readonly biasHh: Mat;
  readonly gradWeightIh: Mat;
  readonly gradWeightHh: Mat;
  readonly gradBiasIh: Mat;
  readonly gradBiasHh: Mat;
  /** When false, backward skips dL/dx (nothing upstream of the input needs it). */
  computeInputGrad = true;

  private buf: Buffers | null = null;
  private readonly step: StepTensors;
  private readonly scratchWhhT: FloatArray;
  private readonly scratchWihT: FloatArray;
  private forwardDone = false;

  constructor(spec: RecurrentLayerSpec) {
    for (const [key, v] of [
      ["stepInputDim", spec.stepInputDim],
      ["hidden", spec.hidden],
      ["seqLen", spec.seqLen],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new RangeError(`recurrent: ${key} must be a positive integer, got ${v}`);
    }
    this.kind = spec.kind;
    this.cell = makeCell(spec);
    this.gates = this.cell.gates;
    this.stepInputDim = spec.stepInputDim;
    this.hidden = spec.hidden;
    this.seqLen = spec.seqLen;
    this.inputDim = spec.seqLen * spec.stepInputDim;
    this.outputDim = spec.hidden;
    const dtype = spec.dtype ?? "f64";
    this.dtype = dtype;
    const GH = this.gates * this.hidden;
    this.weightIh = Mat.zeros(GH, this.stepInputDim, dtype);
    this.weightHh = Mat.zeros(GH, this.hidden, dtype);
    this.biasIh = Mat.zeros(1, GH, dtype);
    this.biasHh = Mat.zeros(1, GH, dtype);
    this.gradWeightIh = Mat.zeros(GH, this.stepInputDim, dtype);
    this.gradWeightHh = Mat.zeros(GH, this.hidden, dtype);
    this.gradBiasIh = Mat.zeros(1, GH, dtype);
    this.gradBiasHh = Mat.zeros(1, GH, dtype);
    this.scratchWhhT = allocate(dtype, GH * this.hidden);
    this.scratchWihT = allocate(dtype, GH * this.stepInputDim);
    this.step = {
      gi: EMPTY64,
      gh: EMPTY64,
      gates: EMPTY64,
      hPrev: EMPTY64,
      h: EMPTY64,
      cPrev: EMPTY64,
      c: EMPTY64,
      tanhC: EMPTY64,
      dh: EMPTY64,
      dhPrev: EMPTY64,
      dc: EMPTY64,
      dcPrev: EMPTY64,
      dgi: EMPTY64,
      dgh: EMPTY64,
    };
  }

  /** Names of the gate blocks, in torch's order (rnn: h; lstm: i f g o; gru: r z n). */
  get gateNames(): readonly string[] {
    return GATE_NAMES[this.kind];
  }

  private buffers(batch: number): Buffers {
    const have = this.buf;
    if (have && have.batch === batch) return have;
    const T = this.seqLen;
    const H = this.hidden;
    const I = this.stepInputDim;
    const GH = this.gates * H;
    const TB = T * batch;
    const d = this.dtype;
    const lstm = this.cell.hasCell;
    const gi = allocate(d, TB * GH);
    const gh = allocate(d, TB * GH);
    const gates = allocate(d, TB * GH);
    const dgi = allocate(d, TB * GH);
    const dgh = allocate(d, TB * GH);
    const hs = allocate(d, (T + 1) * batch * H);
    const cs = allocate(d, lstm ? (T + 1) * batch * H : 0);
    const tanhC = allocate(d, lstm ? TB * H : 0);
    const dhs = allocate(d, (T + 1) * batch * H);
    const dcs = allocate(d, lstm ? (T + 1) * batch * H : 0);
    const empty = (n: number): FloatArray[] => Array.from({ length: n }, () => allocate(d, 0));
    const b: Buffers = {
      batch,
      xt: allocate(d, TB * I),
      gi,
      gh,
      gates,
      dgi,
      dgh,
      hs,
      cs,
      tanhC,
      dhs,
      dcs,
      dxt: allocate(d, TB * I),
      dx: Mat.zeros(batch, T * I, d),
      hT: new Mat(batch, H, hs.subarray(T * batch * H)),
      hsPrev: hs.subarray(0, TB * H),
      dhScratch: allocate(d, batch * H),
      scratchA: allocate(d, TB * GH),
      scratchB: allocate(d, TB * Math.max(I, H)),
      v: {
        gi: blocks(gi, T, batch * GH),
        gh: blocks(gh, T, batch * GH),
        gates: blocks(gates, T, batch * GH),
        dgi: blocks(dgi, T, batch * GH),
        dgh: blocks(dgh, T, batch * GH),
        hs: blocks(hs, T + 1, batch * H),
        cs: lstm ? blocks(cs, T + 1, batch * H) : empty(T + 1),
        tanhC: lstm ? blocks(tanhC, T, batch * H) : empty(T),
        dhs: blocks(dhs, T + 1, batch * H),
        dcs: lstm ? blocks(dcs, T + 1, batch * H) : empty(T + 1),
      },
    };
    this.buf = b;
    return b;
  }

  /** Points the step tensors at step t (1..T). */
  private at(b: Buffers, t: number): StepTensors {
    const s = this.step;
    const v = b.v;
    s.gi = v.gi[t - 1]!;
    s.gh = v.gh[t - 1]!;
    s.gates = v.gates[t - 1]!;
    s.hPrev = v.hs[t - 1]!;
    s.h = v.hs[t]!;
    s.cPrev = v.cs[t - 1]!;
    s.c = v.cs[t]!;
    s.tanhC = v.tanhC[t - 1]!;
    s.dh = v.dhs[t]!;
    s.dhPrev = v.dhs[t - 1]!;
    s.dc = v.dcs[t]!;
    s.dcPrev = v.dcs[t - 1]!;
    s.dgi = v.dgi[t - 1]!;
    s.dgh = v.dgh[t - 1]!;
    return s;
  }

  // x: [batch, T*I] -> h_T: [batch, H]
  forward(x: Mat, _mode: Mode = "train"): Mat {
    expectCols(this.kind, x, this.inputDim);
    const batch = x.rows;
    const b = this.buffers(batch);
    const T = this.seqLen;
    const I = this.stepInputDim;
    const H = this.hidden;
    const GH = this.gates * H;
    const xd = x.data;
    const xt = b.xt;
    for (let r = 0; r < batch; r++) {
      for (let t = 0; t < T; t++) {
        const src = r * T * I + t * I;
        const dst = (t * batch + r) * I;
        for (let i = 0; i < I; i++) xt[dst + i] = xd[src + i]!;
      }
    }
    // All input projections at once: [T*B, I] x [I, G*H].
    gemmNT(T * batch, GH, I, xt, this.weightIh.data, b.gi);
    addRowBias(b.gi, this.biasIh.data, T * batch, GH);
    b.v.hs[0]!.fill(0);
    if (this.cell.hasCell) b.v.cs[0]!.fill(0);
    for (let t = 1; t <= T; t++) {
      const s = this.at(b, t);
      gemmNT(batch, GH, H, s.hPrev, this.weightHh.data, s.gh);
      addRowBias(s.gh, this.biasHh.data, batch, GH);
      this.cell.forward(s, batch, H);
    }
    this.forwardDone = true;
    return b.hT;
  }

  // dy = dL/dh_T: [batch, H] -> dL/dx: [batch, T*I]; sets every parameter gradient.
  backward(dy: Mat): Mat {
    const b = this.buf;
    if (!b || !this.forwardDone) throw new Error(`${this.kind}: backward before forward`);
    if (dy.rows !== b.batch || dy.cols !== this.hidden) {
      throw new RangeError(
        `${this.kind}: dy must be ${b.batch}x${this.hidden}, got ${dy.rows}x${dy.cols}`,
      );
    }
    const batch = b.batch;
    const T = this.seqLen;
    const I = this.stepInputDim;
    const H = this.hidden;
    const GH = this.gates * H;
    const TB = T * batch;
    const n = batch * H;
    const dhT = b.v.dhs[T]!;
    for (let k = 0; k < n; k++) dhT[k] = dy.data[k]!;
    if (this.cell.hasCell) b.v.dcs[T]!.fill(0);
    const whh = this.weightHh.data;
    for (let t = T; t >= 1; t--) {
      const s = this.at(b, t);
      this.cell.backward(s, batch, H);
      // dL/dh_{t-1} = dgh W_hh (+ the cell's direct term); no later step adds to it, since
      // the loss sees h_T only.
      if (this.cell.directPath) {
        gemmNN(batch, H, GH, s.dgh, whh, b.dhScratch, this.scratchWhhT);
        const dp = s.dhPrev;
        for (let k = 0; k < n; k++) dp[k] = dp[k]! + b.dhScratch[k]!;
      } else {
        gemmNN(batch, H, GH, s.dgh, whh, s.dhPrev, this.scratchWhhT);
      }
    }
    // Parameter gradients summed over time, each as one product over all T*B rows.
    gemmTN(GH, I, TB, b.dgi, b.xt, this.gradWeightIh.data, b.scratchA, b.scratchB);
    columnSums(b.dgi, TB, GH, this.gradBiasIh.data);
    gemmTN(GH, H, TB, b.dgh, b.hsPrev, this.gradWeightHh.data, b.scratchA, b.scratchB);
    columnSums(b.dgh, TB, GH, this.gradBiasHh.data);
    const dx = b.dx;
    if (this.computeInputGrad) {
      gemmNN(TB, I, GH, b.dgi, this.weightIh.data, b.dxt, this.scratchWihT);
      const dxd = dx.data;
      for (let r = 0; r < batch; r++) {
        for (let t = 0; t < T; t++) {
          const dst = r * T * I + t * I;
          const src = (t * batch + r) * I;
          for (let i = 0; i < I; i++) dxd[dst + i] = b.dxt[src + i]!;
        }
      }
    }
    return dx;
  }

  params(): Param[] {
    return [
      { name: "weight_ih", value: this.weightIh, grad: this.gradWeightIh },
      { name: "weight_hh", value: this.weightHh, grad: this.gradWeightHh },
      { name: "bias_ih", value: this.biasIh, grad: this.gradBiasIh },
      { name: "bias_hh", value: this.biasHh, grad: this.gradBiasHh },
    ];
  }

  /** The batch size of the last forward (0 before any). */
  get batch(): number {
    return this.buf?.batch ?? 0;
  }

  /** The view of buffer `key` at step t (from `from`, 0 for states, 1 for per-step tensors). */
  private view(key: keyof Buffers["v"], t: number, from: 0 | 1): FloatArray {
    if (!Number.isInteger(t) || t < from || t > this.seqLen) {
      throw new RangeError(`${this.kind}: step ${t} outside ${from}..${this.seqLen}`);
    }
    if (!this.buf) throw new Error(`${this.kind}: ${key} read before forward`);
    return this.buf.v[key][t - from]!;
  }

  /** h_t [batch * H] for t = 0..T (h_0 = 0), a view valid until the next forward. */
  hiddenAt(t: number): FloatArray {
    return this.view("hs", t, 0);
  }

  /** dL/dh_t [batch * H] (the total derivative through all later steps), after backward. */
  gradHiddenAt(t: number): FloatArray {
    return this.view("dhs", t, 0);
  }

  /** LSTM cell state c_t [batch * H], t = 0..T (empty for rnn and gru). */
  cellAt(t: number): FloatArray {
    return this.view("cs", t, 0);
  }

  /** LSTM dL/dc_t [batch * H], after backward (empty for rnn and gru). */
  gradCellAt(t: number): FloatArray {
    return this.view("dcs", t, 0);
  }

  /**
   * What the cell kept at step t = 1..T, [batch, G*H]: rnn the pre-activation u_t; lstm the
   * gate values i, f, g, o; gru r, z, n.
   */
  gatesAt(t: number): FloatArray {
    return this.view("gates", t, 1);
  }

  /** LSTM tanh(c_t) [batch * H], t = 1..T. */
  tanhCellAt(t: number): FloatArray {
    return this.view("tanhC", t, 1);
  }

  /** Steps 1..T of a state buffer as one time-major matrix [T*batch, H] (a view). */
  private stacked(key: "hs" | "dhs" | "cs" | "dcs"): Mat {
    const b = this.buf;
    if (!b) throw new Error(`${this.kind}: ${key} read before forward`);
    return new Mat(this.seqLen * b.batch, this.hidden, b[key].subarray(b.batch * this.hidden));
  }

  /** h_1..h_T as one time-major matrix [T*batch, H] (row (t-1)*batch + b), a view. */
  hiddenStates(): Mat {
    return this.stacked("hs");
  }

  /** dL/dh_1..dL/dh_T [T*batch, H], a view. */
  gradHiddenStates(): Mat {
    return this.stacked("dhs");
  }

  /** LSTM c_1..c_T [T*batch, H], a view. */
  cellStates(): Mat {
    return this.stacked("cs");
  }

  /** LSTM dL/dc_1..dL/dc_T [T*batch, H], a view. */
  gradCellStates(): Mat {
    return this.stacked("dcs");
  }
}
