/**
 * The independent labelling rule of the diagnosis benchmark. Nothing here calls src/verdict or
 * src/diagnose: the labels come from theory (src/theory's quadrature and its batch-norm closed
 * form, the activation definitions of src/core) and, for training cases, from the stored
 * outcome of long runs (training-labels.json, made by label-training.ts).
 *
 * Initialization cases. The probe feeds x ~ N(0, I) (inputDim = width), so layer 1 sees
 *   q_1 = sigma_w^2 E[x^2] + sigma_b^2 = sigma_w^2 + sigma_b^2,
 * and its loss L = sum(R * a_L), R ~ N(0, 1), starts the backward pass with E[(dL/da_L)^2] = 1.
 * Rules (the first that applies; each case records which one labelled it):
 * - "mean-field": plain blocks. q_{l+1} = sigma_w^2 E[phi(sqrt(q_l) Z)^2] + sigma_b^2 and
 *   G_l = E[(dL/dz_l)^2] = E[phi'(z_l)^2] sigma_w^2 G_{l+1}, G_L = E[phi'(z_L)^2]; so
 *   G_2 / G_L = prod_{l=2}^{L-1} chi(q_l), chi(q) = sigma_w^2 E[phi'(sqrt(q) Z)^2]. Kept in
 *   logarithms (depth 200 of a factor 1/6 is 1e-156; sigma_w^2 = 1e6 overflows doubles).
 * - "layer-norm mean field": at infinite width layer norm maps z to u = z / sqrt(q + eps)
 *   (the mean and the projection out of u are O(1/width)), so u ~ N(0, q / (q + eps)) and
 *   dL/dz = phi'(u) dL/da / sqrt(q + eps); residual blocks add the skip (below).
 * - "residual mean field": a_l = a_{l-1} + s phi(z_l): E[a_l^2] = E[a_{l-1}^2] + s^2 E[phi^2]
 *   + 2 s E[a_{l-1}] E[phi] and E[(dL/da_{l-1})^2] = E[(dL/da_l)^2] (1 + s^2 sigma_w^2
 *   E[phi'^2]) (the sum of the skip's and the branch's contributions; cross terms vanish under
 *   gradient independence), dL/dz_l = s phi'(z_l) dL/da_l.
 * - "batch-norm closed form": identity and ReLU plain blocks, the finite-batch mean-field
 *   profile of src/theory/batch-norm-profile.ts (interior factor (B-2)/(B-3) for identity and
 *   ~pi/(pi-1) for ReLU, Yang et al. 2019).
 * - "batch-norm Monte Carlo": every other batch-norm case. The infinite-width, finite-batch
 *   mean-field recursion sampled directly: one unit's batch of pre-activations is
 *   z ~ N(0, sigma_w^2 K) with K the B x B Gram of the layer below, batch-normalized here (own
 *   code, float64), its Gram estimated from `samples` independent units; the backward pass
 *   draws dL/da ~ N(0, Gamma) independent of the forward pass (gradient independence) and
 *   applies batch norm's backward formula. Not gradscope's network: no Dense, no BatchNorm
 *   layer, no width.
 *
 * The prediction is then judged with the verdict's documented cuts (docs/METRICS.md,
 * src/verdict/thresholds.ts), restated here as numbers: mean-square gradient change G_2/G_L
 * below 1e-2 vanishing, above 1e2 exploding; q_L/q_2 below 1e-4 signal-collapse, above 1e4
 * signal-blowup (layer 1 instead of 2 below depth 3); an entry beyond the dtype's largest
 * value non-finite; a mean square within 1e4 of it exploding; an RMS gradient below 1e4
 * smallest normals underflow; priority non-finite, exploding, vanishing, underflow,
 * signal-blowup, signal-collapse.
 */
import { readFileSync } from "node:fs";
import { type Activation, getActivation } from "../../src/core/activations.ts";
import type { DType } from "../../src/core/dtype.ts";
import { predictBatchNormProfile } from "../../src/theory/batch-norm-profile.ts";
import { gaussianExpectation } from "../../src/theory/gauss-hermite.ts";
import type { InitCase, InitNet, TrainCase } from "./cases.ts";

/** The verdict words, as documented (a copy: the labels must not import the verdict). */
export type Label =
  | "healthy"
  | "vanishing"
  | "exploding"
  | "exploded"
  | "signal-collapse"
  | "signal-blowup"
  | "non-finite"
  | "underflow";

export const LABELS: readonly Label[] = [
  "healthy",
  "vanishing",
  "exploding",
  "exploded",
  "signal-collapse",
  "signal-blowup",
  "non-finite",
  "underflow",
];

/**
 * The primary finding each verdict names (docs/METRICS.md; PRIMARY_OF in
 * src/diagnose/reconcile.ts, copied here as data; the test checks the copy is current).
 */
export const EXPECTED_PRIMARY: Readonly<Record<Label, string | null>> = {
  healthy: null,
  "non-finite": "non-finite",
  exploded: "exploding",
  exploding: "exploding",
  vanishing: "vanishing",
  underflow: "underflow",
  "signal-collapse": "forward-signal",
  "signal-blowup": "forward-signal",
};

/** The documented cuts (src/verdict/thresholds.ts, docs/METRICS.md), restated. */
export const CUTS = {
  vanishingSpan: 1e-2,
  explodingSpan: 1e2,
  signalCollapse: 1e-4,
  signalBlowup: 1e4,
  overflowMargin: 1e-4,
  underflowMargin: 1e4,
  growthExploding: 1e3,
} as const;

const MAX: Record<DType, number> = { f32: 3.4028234663852886e38, f64: Number.MAX_VALUE };
const MIN_NORMAL: Record<DType, number> = {
  f32: 1.1754943508222875e-38,
  f64: 2.2250738585072014e-308,
};

export type LabelRule =
  | "mean-field"
  | "layer-norm mean field"
  | "residual mean field"
  | "batch-norm closed form"
  | "batch-norm Monte Carlo";

/** A predicted per-layer profile, in natural logarithms (-Infinity: exactly zero). */
export interface Profile {
  rule: LabelRule;
  /** ln q_l, l = 1..L. */
  logQ: number[];
  /** ln E[(dL/dz_l)^2], l = 1..L. */
  logG: number[];
}

export interface InitLabel {
  label: Label;
  primary: string | null;
  rule: LabelRule;
  /** Every condition the prediction meets, in priority order. */
  conditions: Label[];
  /** Predicted G_from / G_L (from = 2, or 1 below depth 3). */
  span: number;
  /** The same with the verdict's end windows applied to the predicted profile. */
  windowedSpan: number;
  /** Predicted q_L / q_from. */
  signalRatio: number;
  /** Predicted mean per-layer factor span^(1 / (L - from)). */
  factor: number;
}

// ---------------------------------------------------------------------------------------
// Gaussian moments of an activation
// ---------------------------------------------------------------------------------------

const ORDER = 128;
const Q_BIG = 1e200;

interface Moments {
  /** ln E[phi^2], ln E[phi'^2], E[phi] (u ~ N(0, q)). */
  logPhi2: number;
  logDphi2: number;
  mean: number;
}

const homogeneous = (a: Activation): boolean =>
  a.name === "identity" || a.name === "relu" || a.name === "leaky-relu";

function expect(f: (x: number) => number, q: number): number {
  return gaussianExpectation(f, q, { order: ORDER, method: "split" });
}

/** Moments at ln q; exact scaling for the positively homogeneous activations. */
function moments(act: Activation, logQ: number): Moments {
  if (logQ === Number.NEGATIVE_INFINITY) {
    const v = act.value(0);
    const d = act.derivative(0);
    return { logPhi2: Math.log(v * v), logDphi2: Math.log(d * d), mean: v };
  }
  if (homogeneous(act)) {
    const c2 = expect((x) => act.value(x) ** 2, 1);
    const cd = expect((x) => act.derivative(x) ** 2, 1);
    const c1 = expect((x) => act.value(x), 1);
    return { logPhi2: logQ + Math.log(c2), logDphi2: Math.log(cd), mean: c1 * Math.exp(logQ / 2) };
  }
  const big = logQ > Math.log(Q_BIG);
  const q = big ? Q_BIG : Math.exp(logQ);
  const phi2 = expect((x) => act.value(x) ** 2, q);
  const dphi2 = expect((x) => act.derivative(x) ** 2, q);
  const mean = expect((x) => act.value(x), q);
  if (!big) return { logPhi2: Math.log(phi2), logDphi2: Math.log(dphi2), mean };
  // beyond 1e200: bounded activations saturate (E[phi^2] constant, E[phi'^2] ~ q^-1/2);
  // the others grow like a ReLU (E[phi^2] ~ q, E[phi'^2] constant)
  const extra = logQ - Math.log(Q_BIG);
  return act.bounded
    ? { logPhi2: Math.log(phi2), logDphi2: Math.log(dphi2) - extra / 2, mean }
    : { logPhi2: Math.log(phi2) + extra, logDphi2: Math.log(dphi2), mean };
}

const logAdd = (a: number, b: number): number => {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
};

// ---------------------------------------------------------------------------------------
// The effective sigma_w^2 of an init on a square layer (fan_in = fan_out = width)
// ---------------------------------------------------------------------------------------

/** sigma_w^2 = fan_in Var(W_ij) of the init on a square layer, times gain^2. */
export function effectiveWeightVar(net: InitNet): number {
  const w = net.weightVar ?? 1;
  const slope = net.activation === "leaky-relu" ? (net.slope ?? 0.01) : 0;
  const gain2 = (net.gain ?? 1) ** 2;
  const base: Record<string, number> = {
    zeros: 0,
    normal: w,
    uniform: w,
    "standard-uniform": 1 / 3,
    "xavier-uniform": 1,
    "xavier-normal": 1,
    "he-uniform": 2 / (1 + slope * slope),
    "he-normal": 2 / (1 + slope * slope),
    "lecun-uniform": 1,
    "lecun-normal": 1,
    orthogonal: w,
  };
  const v = base[net.init];
  if (v === undefined)
    throw new Error(`labels: no mean-field weight variance for init ${net.init}`);
  return v * gain2;
}

// ---------------------------------------------------------------------------------------
// Profiles
// ---------------------------------------------------------------------------------------

/** Plain blocks, no normalization: the mean-field q map and chi, in logarithms. */
export function plainProfile(act: Activation, s2w: number, s2b: number, depth: number): Profile {
  const lw = Math.log(s2w);
  const lb = Math.log(s2b);
  const logQ: number[] = [];
  const logD: number[] = [];
  let lq = logAdd(lw + 0, lb); // E[x^2] = 1
  for (let l = 1; l <= depth; l++) {
    logQ.push(lq);
    const m = moments(act, lq);
    logD.push(m.logDphi2);
    lq = logAdd(lw + m.logPhi2, lb);
  }
  const logG = new Array<number>(depth);
  let lg = 0; // ln E[(dL/da_L)^2] = ln E[R^2] = 0
  for (let l = depth; l >= 1; l--) {
    logG[l - 1] = logD[l - 1]! + lg;
    lg = lw + logG[l - 1]!;
  }
  return { rule: "mean-field", logQ, logG };
}

/** Layer norm and/or residual blocks (linear domain: these profiles stay within doubles). */
export function normResidualProfile(
  act: Activation,
  s2w: number,
  s2b: number,
  depth: number,
  layerNorm: boolean,
  residual: boolean,
  s: number,
  eps = 1e-5,
): Profile {
  const q: number[] = [];
  const D: number[] = [];
  let p = 1; // E[a_0^2] = E[x^2]
  let m = 0; // E[a_0]
  for (let l = 1; l <= depth; l++) {
    const ql = s2w * p + s2b;
    q.push(ql);
    // the variance phi sees: q itself, or layer norm's q / (q + eps)
    const v = layerNorm ? ql / (ql + eps) : ql;
    const phi2 = expect((x) => act.value(x) ** 2, v);
    const mu = expect((x) => act.value(x), v);
    const d2 = expect((x) => act.derivative(x) ** 2, v);
    D.push(layerNorm ? d2 / (ql + eps) : d2);
    if (residual) {
      p = p + s * s * phi2 + 2 * s * m * mu;
      m = m + s * mu;
    } else {
      p = phi2;
      m = mu;
    }
  }
  const G = new Array<number>(depth);
  let H = 1;
  const branch = residual ? s * s : 1;
  for (let l = depth; l >= 1; l--) {
    G[l - 1] = branch * D[l - 1]! * H;
    H = residual ? H + s2w * G[l - 1]! : s2w * G[l - 1]!;
  }
  const rule: LabelRule = layerNorm ? "layer-norm mean field" : "residual mean field";
  return { rule, logQ: q.map(Math.log), logG: G.map(Math.log) };
}

/** Batch norm with identity or ReLU plain blocks: src/theory's finite-batch closed form. */
export function batchNormClosedForm(
  activation: "identity" | "relu",
  s2w: number,
  s2b: number,
  depth: number,
  batch: number,
): Profile {
  const rows = predictBatchNormProfile({ activation, weightVar: s2w, biasVar: s2b, depth, batch });
  return {
    rule: "batch-norm closed form",
    logQ: rows.map((r) => Math.log(r.q)),
    logG: rows.map((r) => Math.log(r.gradPreactMeanSq)),
  };
}

/** mulberry32 + Box-Muller: the Monte Carlo's own generator. */
class Normal {
  private state: number;
  private spare: number | null = null;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  private uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  }
  next(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const th = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(th);
    return r * Math.cos(th);
  }
}

/** Lower Cholesky factor of a symmetric PSD B x B matrix (row-major), with a small jitter. */
function cholesky(a: Float64Array, n: number): Float64Array {
  let trace = 0;
  for (let i = 0; i < n; i++) trace += a[i * n + i]!;
  const jitter = 1e-12 * (trace / n) + 1e-300;
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j]! + (i === j ? jitter : 0);
      for (let k = 0; k < j; k++) sum -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) L[i * n + i] = Math.sqrt(Math.max(sum, 0));
      else L[i * n + j] = L[j * n + j]! > 0 ? sum / L[j * n + j]! : 0;
    }
  }
  return L;
}

function sampleInto(out: Float64Array, L: Float64Array, n: number, rng: Normal, e: Float64Array) {
  for (let i = 0; i < n; i++) e[i] = rng.next();
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let k = 0; k <= i; k++) v += L[i * n + k]! * e[k]!;
    out[i] = v;
  }
}

export interface MonteCarloOptions {
  samples?: number;
  seed?: number;
  eps?: number;
}

/**
 * Batch norm (plain or residual blocks) at infinite width and finite batch B, by Monte Carlo
 * over independent units (see the module comment).
 */
export function batchNormMonteCarlo(
  act: Activation,
  s2w: number,
  s2b: number,
  depth: number,
  B: number,
  residual: boolean,
  s: number,
  options: MonteCarloOptions = {},
): Profile {
  const M = options.samples ?? 2000;
  const eps = options.eps ?? 1e-5;
  const rng = new Normal(options.seed ?? 12345);
  let K = new Float64Array(B * B);
  for (let i = 0; i < B; i++) K[i * B + i] = 1; // inputs i.i.d. N(0, 1)
  let mvec = new Float64Array(B);
  const q: number[] = [];
  const U: Float64Array[] = [];
  const Dp: Float64Array[] = [];
  const invStd: Float64Array[] = [];
  const z = new Float64Array(B);
  const e = new Float64Array(B);
  const C = new Float64Array(B * B);
  for (let l = 1; l <= depth; l++) {
    let tr = 0;
    for (let i = 0; i < B; i++) tr += K[i * B + i]!;
    q.push((s2w * tr) / B + s2b); // the bias is removed by the batch mean: it enters q only
    for (let i = 0; i < B * B; i++) C[i] = s2w * K[i]!;
    const Lc = cholesky(C, B);
    const u = new Float64Array(M * B);
    const dp = new Float64Array(M * B);
    const inv = new Float64Array(M);
    const Phi = new Float64Array(B * B);
    const mu = new Float64Array(B);
    const phi = new Float64Array(B);
    for (let r = 0; r < M; r++) {
      sampleInto(z, Lc, B, rng, e);
      let mean = 0;
      for (let b = 0; b < B; b++) mean += z[b]!;
      mean /= B;
      let v = 0;
      for (let b = 0; b < B; b++) v += (z[b]! - mean) ** 2;
      v /= B;
      const is = 1 / Math.sqrt(v + eps);
      inv[r] = is;
      for (let b = 0; b < B; b++) {
        const ub = (z[b]! - mean) * is;
        u[r * B + b] = ub;
        dp[r * B + b] = act.derivative(ub);
        phi[b] = act.value(ub);
        mu[b]! += phi[b]!;
      }
      for (let i = 0; i < B; i++) {
        const pi = phi[i]!;
        for (let j = 0; j <= i; j++) Phi[i * B + j]! += pi * phi[j]!;
      }
    }
    for (let i = 0; i < B; i++) {
      mu[i]! /= M;
      for (let j = 0; j <= i; j++) {
        Phi[i * B + j]! /= M;
        Phi[j * B + i] = Phi[i * B + j]!;
      }
    }
    U.push(u);
    Dp.push(dp);
    invStd.push(inv);
    if (residual) {
      const next = new Float64Array(B * B);
      for (let i = 0; i < B; i++)
        for (let j = 0; j < B; j++)
          next[i * B + j] =
            K[i * B + j]! + s * s * Phi[i * B + j]! + s * (mvec[i]! * mu[j]! + mu[i]! * mvec[j]!);
      K = next;
      const m2 = new Float64Array(B);
      for (let i = 0; i < B; i++) m2[i] = mvec[i]! + s * mu[i]!;
      mvec = m2;
    } else {
      K = Phi;
      mvec = mu;
    }
  }
  // backward: Gamma = covariance over the batch of one unit's dL/da
  let Gam = new Float64Array(B * B);
  for (let i = 0; i < B; i++) Gam[i * B + i] = 1; // dL/da_L = R, i.i.d. N(0, 1)
  const G = new Array<number>(depth);
  const da = new Float64Array(B);
  const du = new Float64Array(B);
  const dz = new Float64Array(B);
  const branch = residual ? s : 1;
  for (let l = depth; l >= 1; l--) {
    const u = U[l - 1]!;
    const dp = Dp[l - 1]!;
    const inv = invStd[l - 1]!;
    const Lg = cholesky(Gam, B);
    const Gz = new Float64Array(B * B);
    for (let r = 0; r < M; r++) {
      sampleInto(da, Lg, B, rng, e);
      let mdu = 0;
      let mduu = 0;
      for (let b = 0; b < B; b++) {
        du[b] = branch * dp[r * B + b]! * da[b]!;
        mdu += du[b]!;
        mduu += du[b]! * u[r * B + b]!;
      }
      mdu /= B;
      mduu /= B;
      for (let b = 0; b < B; b++) dz[b] = inv[r]! * (du[b]! - mdu - u[r * B + b]! * mduu);
      for (let i = 0; i < B; i++) {
        const di = dz[i]!;
        for (let j = 0; j <= i; j++) Gz[i * B + j]! += di * dz[j]!;
      }
    }
    let tr = 0;
    for (let i = 0; i < B; i++) {
      for (let j = 0; j <= i; j++) {
        Gz[i * B + j]! /= M;
        Gz[j * B + i] = Gz[i * B + j]!;
      }
      tr += Gz[i * B + i]!;
    }
    G[l - 1] = tr / B;
    const next = new Float64Array(B * B);
    for (let i = 0; i < B * B; i++) next[i] = (residual ? Gam[i]! : 0) + s2w * Gz[i]!;
    Gam = next;
  }
  return { rule: "batch-norm Monte Carlo", logQ: q.map(Math.log), logG: G.map(Math.log) };
}

/** The profile the case's rule predicts. */
export function predictInit(net: InitNet, mc: MonteCarloOptions = {}): Profile {
  const act = getActivation(net.activation, { slope: net.slope ?? 0.01 });
  const s2w = effectiveWeightVar(net);
  const s2b = net.biasVar ?? 0;
  const s = net.branchScale ?? 1;
  const residual = net.residual ?? false;
  if (net.batchNorm) {
    const B = net.batch ?? 64;
    if (!residual && (net.activation === "relu" || net.activation === "identity")) {
      return batchNormClosedForm(net.activation, s2w, s2b, net.depth, B);
    }
    return batchNormMonteCarlo(act, s2w, s2b, net.depth, B, residual, s, mc);
  }
  if (net.layerNorm || residual) {
    return normResidualProfile(act, s2w, s2b, net.depth, net.layerNorm ?? false, residual, s);
  }
  return plainProfile(act, s2w, s2b, net.depth);
}

// ---------------------------------------------------------------------------------------
// Judging a predicted profile with the documented cuts
// ---------------------------------------------------------------------------------------

/** The verdict's end-window estimate (FlowMeasures.span), applied to a predicted profile. */
function windowed(points: { index: number; log: number }[]): number {
  const ps = points.filter((p) => Number.isFinite(p.log));
  const n = ps.length;
  if (n < 2) return Number.NaN;
  const w = Math.max(1, Math.min(3, Math.floor(n / 4)));
  const end = (from: number) => {
    let idx = 0;
    let log = 0;
    for (let i = from; i < from + w; i++) {
      idx += ps[i]!.index;
      log += ps[i]!.log;
    }
    return { idx: idx / w, log: log / w };
  };
  const low = end(0);
  const high = end(n - w);
  const distance = ps[n - 1]!.index - ps[0]!.index;
  return Math.exp(((low.log - high.log) * distance) / (high.idx - low.idx));
}

export function judgeProfile(p: Profile, dtype: DType, width: number, batch: number): InitLabel {
  const L = p.logG.length;
  const from = L >= 3 ? 2 : 1;
  const lmax = Math.log(MAX[dtype]);
  // the largest of width * batch Gaussian entries is about sqrt(2 ln(width * batch)) RMS
  const tail = 0.5 * Math.log(2 * Math.log(Math.max(2, width * batch)));
  const lg = p.logG;
  const lq = p.logQ;
  const nonFinite = [...lq, ...lg].some((v) => v / 2 + tail > lmax || Number.isNaN(v));
  const nearLimit = [...lq, ...lg].some((v) => v > lmax + Math.log(CUTS.overflowMargin));
  const logSpan = L >= 2 ? lg[from - 1]! - lg[L - 1]! : Number.NaN;
  const span = Math.exp(logSpan);
  const logSignal = L >= 2 ? lq[L - 1]! - lq[from - 1]! : Number.NaN;
  const signalRatio = Number.isFinite(lq[from - 1]!) ? Math.exp(logSignal) : Number.NaN;
  const tiny = Math.log(MIN_NORMAL[dtype] * CUTS.underflowMargin);
  const underflow = lg.some((v) => v > Number.NEGATIVE_INFINITY && v / 2 < tiny);
  const found = new Set<Label>();
  if (nonFinite) found.add("non-finite");
  if (nearLimit || span > CUTS.explodingSpan) found.add("exploding");
  // a gradient that is exactly zero everywhere, or zero below a layer that has one (zero
  // weights, or phi'(0) = 0 at z = 0), is vanishing: nothing below learns
  const zero = (v: number) => v === Number.NEGATIVE_INFINITY;
  const blocked =
    lg.every(zero) || lg.some((v, i) => zero(v) && lg.slice(i + 1).some((w) => !zero(w)));
  if (span < CUTS.vanishingSpan || blocked) found.add("vanishing");
  if (underflow) found.add("underflow");
  if (signalRatio > CUTS.signalBlowup) found.add("signal-blowup");
  if (signalRatio < CUTS.signalCollapse) found.add("signal-collapse");
  const order: Label[] = [
    "non-finite",
    "exploding",
    "vanishing",
    "underflow",
    "signal-blowup",
    "signal-collapse",
  ];
  const conditions = order.filter((c) => found.has(c));
  const label = conditions[0] ?? "healthy";
  const fitted = lg.map((log, i) => ({ index: i + 1, log })).filter((x) => x.index >= from);
  return {
    label,
    primary: EXPECTED_PRIMARY[label],
    rule: p.rule,
    conditions,
    span,
    windowedSpan: windowed(fitted),
    signalRatio,
    factor: L - from > 0 ? Math.exp(logSpan / (L - from)) : Number.NaN,
  };
}

/** The label of an initialization case. */
export function labelInit(c: InitCase, mc: MonteCarloOptions = {}): InitLabel {
  const p = predictInit(c.net, mc);
  return judgeProfile(p, c.net.dtype ?? "f64", c.net.width, c.net.batch ?? 64);
}

// ---------------------------------------------------------------------------------------
// Training cases: the stored outcome of long runs
// ---------------------------------------------------------------------------------------

/** The outcome of one long run, as label-training.ts stores it. */
export interface RunOutcome {
  seed: number;
  steps: number;
  status: string;
  /** NaN/Inf anywhere (loss, gradient norm, status exploded). */
  nonFinite: boolean;
  /** Largest later global gradient norm over the first recorded one. */
  growth: number;
  /** E[(dL/dz)^2] of layer 2 (1 below depth 3) over layer L at the first recorded step. */
  initSpan: number;
  testAcc: number | null;
  testLoss: number | null;
  /** Best test accuracy over the evaluations (classification). */
  bestTestAcc: number | null;
  /** Chance: the majority class share of the test set, or the mean predictor's test mse. */
  chance: number;
  learned: boolean;
  label: Label;
  elapsedMs: number;
}

export interface TrainingLabel {
  id: string;
  label: Label;
  /** The long runs at seeds s and s+1 (the label is the first's). */
  runs: RunOutcome[];
  /** The runs at the two seeds disagree. */
  seedDependent: boolean;
  /** The known fix's long run (cases with a fix). */
  fix?: RunOutcome;
  /** A fix exists: the known fix learned in its long run. */
  fixable: boolean;
}

export interface TrainingLabelsFile {
  how: string;
  made: string;
  stepsFactor: number;
  labels: TrainingLabel[];
}

/** Accuracy above chance by this much counts as learning (the doctor's accuracy margin is 7). */
export const LEARN_ACCURACY_MARGIN = 0.1;
/** Regression: test mse at most this fraction of the mean predictor's counts as learning. */
export const LEARN_LOSS_FRACTION = 0.9;

/**
 * The rule for a training case, from one long run:
 * NaN/Inf anywhere -> exploded; the global gradient norm grew over 1e3 -> exploding; never
 * learned above chance with a vanishing gradient at initialization (G_2/G_L < 1e-2) ->
 * vanishing; never learned with an exploding one (G_2/G_L > 1e2) -> exploding; otherwise
 * healthy (it learned, or it failed without a gradient pathology).
 *
 * The exploding-at-initialization clause was added after the first labelling pass, before any
 * training case was compared with a verdict: chaotic tanh at lr 1 and a clipped deep linear
 * net neither learn nor produce NaN or a growing gradient norm (training drives them into
 * saturation, or clipping caps them), and "healthy" would have misnamed them.
 */
export function trainingRule(o: {
  nonFinite: boolean;
  growth: number;
  initSpan: number;
  learned: boolean;
}): Label {
  if (o.nonFinite) return "exploded";
  if (o.growth > CUTS.growthExploding) return "exploding";
  if (!o.learned && o.initSpan < CUTS.vanishingSpan) return "vanishing";
  if (!o.learned && o.initSpan > CUTS.explodingSpan) return "exploding";
  return "healthy";
}

const TRAINING_LABELS_URL = new URL("./training-labels.json", import.meta.url);

export function readTrainingLabels(): TrainingLabelsFile | null {
  try {
    return JSON.parse(readFileSync(TRAINING_LABELS_URL, "utf8")) as TrainingLabelsFile;
  } catch {
    return null;
  }
}

export function trainingLabelOf(
  c: TrainCase,
  file: TrainingLabelsFile | null = readTrainingLabels(),
): TrainingLabel | null {
  return file?.labels.find((l) => l.id === c.id) ?? null;
}
