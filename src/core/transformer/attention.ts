import type { DType } from "../dtype.ts";
import { Dense } from "../layers/dense.ts";
import { Buffer, type Param } from "../layers/layer.ts";
import type { Mat } from "../mat.ts";

/**
 * Multi-head self-attention over sequences, without a mask (an encoder):
 *   Q = u Wq^T + bq, K = u Wk^T + bk, V = u Wv^T + bv          (u: [batch*T, d])
 *   P_h = softmax_keys(Q_h K_h^T / sqrt(d_head))               (per example and head)
 *   C_h = P_h V_h,  out = C Wo^T + bo
 * as torch's nn.MultiheadAttention with separate projections. Rows of u are positions; rows
 * b*T .. b*T+T-1 are example b. Head h owns columns h*d_head .. (h+1)*d_head - 1.
 *
 * The four projections run on the gemm kernels (Dense). The per-head score and context
 * products are T x T x d_head loops written here: they are strided column blocks of Q, K, V
 * (no contiguous operand for gemm without copying per head), and at encoder sizes they cost
 * less than the projections.
 */
export class MultiHeadAttention {
  readonly q: Dense;
  readonly k: Dense;
  readonly v: Dense;
  readonly o: Dense;
  readonly headDim: number;
  /** Softmax weights of the last forward, [batch * heads, T * T] (row i, key j). */
  readonly weights: Buffer;
  private readonly context: Buffer;
  private readonly dQ: Buffer;
  private readonly dK: Buffer;
  private readonly dV: Buffer;
  private readonly dU: Buffer;
  private readonly rowScratch: Float64Array;
  private Q: Mat | null = null;
  private K: Mat | null = null;
  private V: Mat | null = null;

  constructor(
    readonly width: number,
    readonly heads: number,
    readonly seqLen: number,
    readonly dtype: DType = "f64",
  ) {
    if (!Number.isInteger(heads) || heads < 1 || width % heads !== 0) {
      throw new RangeError(`attention: width ${width} is not divisible by heads ${heads}`);
    }
    this.headDim = width / heads;
    this.q = new Dense(width, width, dtype);
    this.k = new Dense(width, width, dtype);
    this.v = new Dense(width, width, dtype);
    this.o = new Dense(width, width, dtype);
    this.weights = new Buffer(dtype);
    this.context = new Buffer(dtype);
    this.dQ = new Buffer(dtype);
    this.dK = new Buffer(dtype);
    this.dV = new Buffer(dtype);
    this.dU = new Buffer(dtype);
    this.rowScratch = new Float64Array(seqLen);
  }

  private batchOf(rows: number): number {
    if (rows % this.seqLen !== 0) {
      throw new RangeError(
        `attention: ${rows} rows is not a whole number of length-${this.seqLen} sequences`,
      );
    }
    return rows / this.seqLen;
  }

  // u: [batch*T, d] -> out: [batch*T, d]
  forward(u: Mat): Mat {
    const batch = this.batchOf(u.rows);
    const { seqLen: T, heads: H, headDim: dh, width: d } = this;
    const Q = this.q.forward(u);
    const K = this.k.forward(u);
    const V = this.v.forward(u);
    this.Q = Q;
    this.K = K;
    this.V = V;
    const P = this.weights.get(batch * H, T * T).data;
    const C = this.context.get(u.rows, d);
    const Cd = C.data;
    const qd = Q.data;
    const kd = K.data;
    const vd = V.data;
    const scale = 1 / Math.sqrt(dh);
    const row = this.rowScratch;
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < H; h++) {
        const pBase = (b * H + h) * T * T;
        const col = h * dh;
        for (let i = 0; i < T; i++) {
          const qi = (b * T + i) * d + col;
          let max = Number.NEGATIVE_INFINITY;
          for (let j = 0; j < T; j++) {
            const kj = (b * T + j) * d + col;
            let s = 0;
            for (let c = 0; c < dh; c++) s += qd[qi + c]! * kd[kj + c]!;
            s *= scale;
            row[j] = s;
            if (s > max) max = s;
          }
          let sum = 0;
          for (let j = 0; j < T; j++) {
            const e = Math.exp(row[j]! - max);
            row[j] = e;
            sum += e;
          }
          for (let j = 0; j < T; j++) P[pBase + i * T + j] = row[j]! / sum;
          // context row i of head h: sum_j P[i, j] V[j], accumulated in float64
          for (let c = 0; c < dh; c++) {
            let acc = 0;
            for (let j = 0; j < T; j++)
              acc += P[pBase + i * T + j]! * vd[(b * T + j) * d + col + c]!;
            Cd[qi + c] = acc;
          }
        }
      }
    }
    return this.o.forward(C);
  }

  // dOut: [batch*T, d] -> dU: [batch*T, d]; sets the gradients of all four projections
  backward(dOut: Mat): Mat {
    const { Q, K, V } = this;
    if (!Q || !K || !V) throw new Error("attention: backward before forward");
    const rows = Q.rows;
    const batch = rows / this.seqLen;
    const { seqLen: T, heads: H, headDim: dh, width: d } = this;
    const dC = this.o.backward(dOut);
    const P = this.weights.get(batch * H, T * T).data;
    const dQ = this.dQ.get(rows, d);
    const dK = this.dK.get(rows, d);
    const dV = this.dV.get(rows, d);
    dK.fill(0);
    dV.fill(0);
    const qd = Q.data;
    const kd = K.data;
    const vd = V.data;
    const dcd = dC.data;
    const dqd = dQ.data;
    const dkd = dK.data;
    const dvd = dV.data;
    const scale = 1 / Math.sqrt(dh);
    const dS = this.rowScratch;
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < H; h++) {
        const pBase = (b * H + h) * T * T;
        const col = h * dh;
        for (let i = 0; i < T; i++) {
          const ri = (b * T + i) * d + col;
          // dP[i, j] = dC_i . V_j; softmax backward dS = P (dP - sum_j P dP)
          let dot = 0;
          for (let j = 0; j < T; j++) {
            const vj = (b * T + j) * d + col;
            let s = 0;
            for (let c = 0; c < dh; c++) s += dcd[ri + c]! * vd[vj + c]!;
            dS[j] = s;
            dot += P[pBase + i * T + j]! * s;
          }
          for (let j = 0; j < T; j++) dS[j] = P[pBase + i * T + j]! * (dS[j]! - dot) * scale;
          // dQ_i = sum_j dS_ij K_j (written: each row i once); dK_j += dS_ij Q_i; dV_j += P_ij dC_i
          for (let c = 0; c < dh; c++) {
            let acc = 0;
            for (let j = 0; j < T; j++) acc += dS[j]! * kd[(b * T + j) * d + col + c]!;
            dqd[ri + c] = acc;
          }
          for (let j = 0; j < T; j++) {
            const rj = (b * T + j) * d + col;
            const s = dS[j]!;
            const p = P[pBase + i * T + j]!;
            for (let c = 0; c < dh; c++) {
              dkd[rj + c] = dkd[rj + c]! + s * qd[ri + c]!;
              dvd[rj + c] = dvd[rj + c]! + p * dcd[ri + c]!;
            }
          }
        }
      }
    }
    const dU = this.dU.get(rows, d);
    const dud = dU.data;
    const fromQ = this.q.backward(dQ).data;
    for (let i = 0; i < rows * d; i++) dud[i] = fromQ[i]!;
    const fromK = this.k.backward(dK).data;
    for (let i = 0; i < rows * d; i++) dud[i] = dud[i]! + fromK[i]!;
    const fromV = this.v.backward(dV).data;
    for (let i = 0; i < rows * d; i++) dud[i] = dud[i]! + fromV[i]!;
    return dU;
  }

  /** The projections' parameters: Wq, bq, Wk, bk, Wv, bv, Wo, bo. */
  params(): Param[] {
    const out: Param[] = [];
    for (const [name, layer] of [
      ["q", this.q],
      ["k", this.k],
      ["v", this.v],
      ["o", this.o],
    ] as const) {
      for (const p of layer.params()) out.push({ ...p, name: `${p.name}${name}` });
    }
    return out;
  }
}
