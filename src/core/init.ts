import { orthonormalizeRows } from "./linalg/orthonormal-rows.ts";
import type { Mat } from "./mat.ts";
import type { Rng } from "./rng.ts";

/**
 * Weight initializations with exactly the textbook variances. Conventions: W is [out, in]
 * (as Dense), fan_in = in = W.cols, fan_out = out = W.rows, b is [1, out].
 *
 * Order of random draws (reproducibility: the same seed gives bit-identical weights):
 * - entry-wise schemes draw one value per weight, W row-major (W[0][0], W[0][1], ...), each
 *   normal as one `rng.normal()`, each uniform as one `rng.uniform()` mapped to a(2u - 1);
 * - orthogonal draws a Gaussian [min(out,in), max(out,in)] matrix row-major (see `orthogonal`);
 * - zeros and identity draw nothing for W;
 * - then, only when biasVar > 0, one `rng.normal()` per bias entry in order.
 * All values are computed in float64 and rounded once when written into W.data / b.data.
 */

export const INIT_NAMES = [
  "zeros",
  "normal",
  "uniform",
  "standard-uniform",
  "xavier-uniform",
  "xavier-normal",
  "he-uniform",
  "he-normal",
  "lecun-uniform",
  "lecun-normal",
  "orthogonal",
  "identity",
] as const;

export type InitName = (typeof INIT_NAMES)[number];

export function isInitName(s: string): s is InitName {
  return (INIT_NAMES as readonly string[]).includes(s);
}

export interface InitOptions {
  /**
   * sigma_w^2: `normal` gets variance weightVar/fan_in, `uniform` the same variance,
   * `orthogonal` and `identity` gain sqrt(weightVar). Default 1. Ignored by the named schemes
   * (standard-uniform, xavier-*, he-*, lecun-*) and by zeros.
   */
  weightVar?: number;
  /** sigma_b^2: biases ~ N(0, biasVar) (not divided by fan_in; mean-field convention). Default 0 -> zero biases. */
  biasVar?: number;
  /** Multiplies the weights of any init after it is drawn (for xavier it is the Xavier gain, same thing). Not the biases. Default 1. */
  gain?: number;
  /** Negative slope of leaky ReLU, used by he-*: variance 2/((1+slope^2) fan_in). Default 0. */
  slope?: number;
}

type ResolvedOptions = Required<InitOptions>;

/** The schemes whose entries are i.i.d. with zero mean: a normal or a symmetric uniform. */
type EntrywiseName = Exclude<InitName, "zeros" | "orthogonal" | "identity">;

interface EntrywiseScheme {
  law: "normal" | "uniform";
  /** Variance of one entry before the gain. */
  variance(fanIn: number, fanOut: number, o: ResolvedOptions): number;
  describe: string;
}

// Each scheme is stated by its variance; a uniform U(-a, a) has variance a^2/3, so its bound is
// a = sqrt(3 variance), e.g. xavier-uniform: sqrt(3 * 2/(in+out)) = sqrt(6/(in+out)).
const ENTRYWISE: Record<EntrywiseName, EntrywiseScheme> = {
  normal: {
    law: "normal",
    variance: (fanIn, _fanOut, o) => o.weightVar / fanIn,
    describe: "normal: N(0, weightVar/fan_in) (the mean-field sigma_w^2 convention)",
  },
  uniform: {
    law: "uniform",
    variance: (fanIn, _fanOut, o) => o.weightVar / fanIn,
    describe: "uniform: U(-l, l), l = sqrt(3 weightVar/fan_in) (same variance as normal)",
  },
  "standard-uniform": {
    law: "uniform",
    variance: (fanIn) => 1 / (3 * fanIn),
    describe:
      'standard-uniform: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), variance 1/(3 fan_in) (the "standard" heuristic in Glorot & Bengio 2010)',
  },
  "xavier-uniform": {
    law: "uniform",
    variance: (fanIn, fanOut) => 2 / (fanIn + fanOut),
    describe: "xavier-uniform: U(-a, a), a = sqrt(6/(fan_in+fan_out)) (Glorot & Bengio 2010)",
  },
  "xavier-normal": {
    law: "normal",
    variance: (fanIn, fanOut) => 2 / (fanIn + fanOut),
    describe: "xavier-normal: N(0, 2/(fan_in+fan_out)) (Glorot & Bengio 2010)",
  },
  "he-uniform": {
    law: "uniform",
    variance: (fanIn, _fanOut, o) => 2 / ((1 + o.slope * o.slope) * fanIn),
    describe: "he-uniform: U(-a, a), a = sqrt(6/((1+slope^2) fan_in)) (He et al. 2015)",
  },
  "he-normal": {
    law: "normal",
    variance: (fanIn, _fanOut, o) => 2 / ((1 + o.slope * o.slope) * fanIn),
    describe: "he-normal: N(0, 2/((1+slope^2) fan_in)) (He et al. 2015)",
  },
  "lecun-uniform": {
    law: "uniform",
    variance: (fanIn) => 1 / fanIn,
    describe: "lecun-uniform: U(-a, a), a = sqrt(3/fan_in) (LeCun et al. 1998)",
  },
  "lecun-normal": {
    law: "normal",
    variance: (fanIn) => 1 / fanIn,
    describe: "lecun-normal: N(0, 1/fan_in) (LeCun et al. 1998)",
  },
};

const STRUCTURED_DESCRIPTIONS: Record<Exclude<InitName, EntrywiseName>, string> = {
  zeros: "zeros: W = 0 (every unit identical; a degenerate baseline)",
  orthogonal:
    "orthogonal: sqrt(weightVar) x Haar-random (semi-)orthogonal matrix (Saxe et al. 2014)",
  identity: "identity: sqrt(weightVar) x eye(out, in) (Le et al. 2015)",
};

function isEntrywise(name: InitName): name is EntrywiseName {
  return Object.hasOwn(ENTRYWISE, name);
}

/** One line for --help. Every init is then multiplied by `gain`. */
export function describeInit(name: InitName): string {
  return isEntrywise(name) ? ENTRYWISE[name].describe : STRUCTURED_DESCRIPTIONS[name];
}

/**
 * The second moment E[w^2] of one weight entry, including the gain^2 factor.
 * - Entry-wise schemes: the variance of the law (its mean is 0), e.g. he-normal
 *   gain^2 * 2/((1+slope^2) fan_in).
 * - orthogonal: gain^2 weightVar / max(fan_in, fan_out). Exact, not only in expectation: the
 *   min(out,in) orthonormal rows (out <= in) or columns (out > in) make sum w^2 =
 *   gain^2 weightVar min(out,in) over the out*in entries; by Haar symmetry each entry has mean 0
 *   and this variance. For out <= in it is gain^2 weightVar/fan_in, as for `normal`.
 * - identity: the mean square of the entries, the same gain^2 weightVar / max(fan_in, fan_out)
 *   (eye(out, in) is one particular semi-orthogonal matrix). It is not a variance: the entries
 *   are deterministic and their mean is nonzero.
 * - zeros: 0.
 * So fan_in * initWeightVariance is the sigma_w^2 of mean-field theory whenever out <= in.
 */
export function initWeightVariance(
  name: InitName,
  fanIn: number,
  fanOut: number,
  options: InitOptions = {},
): number {
  checkFan("fanIn", fanIn);
  checkFan("fanOut", fanOut);
  const o = resolveOptions(options);
  return o.gain * o.gain * baseVariance(name, fanIn, fanOut, o);
}

/** initWeightVariance before the gain. */
function baseVariance(name: InitName, fanIn: number, fanOut: number, o: ResolvedOptions): number {
  if (isEntrywise(name)) return ENTRYWISE[name].variance(fanIn, fanOut, o);
  if (name === "zeros") return 0;
  return o.weightVar / Math.max(fanIn, fanOut); // orthogonal, identity
}

/**
 * Fill W [out, in] (fan_in = in = W.cols, fan_out = out = W.rows) and b [1, out] from `rng`.
 * See the top of this file for the order of draws.
 */
export function initDense(W: Mat, b: Mat, name: InitName, options: InitOptions, rng: Rng): void {
  const o = resolveOptions(options);
  if (b.rows !== 1 || b.cols !== W.rows) {
    throw new RangeError(
      `initDense: bias must be 1x${W.rows} for a ${W.rows}x${W.cols} weight, got ${b.rows}x${b.cols}`,
    );
  }
  if (W.size > 0) fillWeights(W, name, o, rng);
  fillBiases(b, o.biasVar, rng);
}

function fillWeights(W: Mat, name: InitName, o: ResolvedOptions, rng: Rng): void {
  const fanIn = W.cols;
  const fanOut = W.rows;
  if (isEntrywise(name)) {
    const scheme = ENTRYWISE[name];
    fillEntrywise(W, scheme.law, scheme.variance(fanIn, fanOut, o), o.gain, rng);
    return;
  }
  switch (name) {
    case "zeros":
      W.fill(0);
      return;
    case "orthogonal":
      writeScaled(W, orthogonal(fanOut, fanIn, rng), o.gain * Math.sqrt(o.weightVar));
      return;
    case "identity":
      fillIdentity(W, o.gain * Math.sqrt(o.weightVar));
      return;
  }
}

/** W_ij = gain * (i.i.d. draw with mean 0 and the given variance), row-major. */
function fillEntrywise(
  W: Mat,
  law: EntrywiseScheme["law"],
  variance: number,
  gain: number,
  rng: Rng,
): void {
  const data = W.data;
  const n = W.size;
  if (law === "normal") {
    const std = Math.sqrt(variance);
    for (let i = 0; i < n; i++) data[i] = gain * (std * rng.normal());
  } else {
    // 2u - 1 is exact for the 53-bit u in [0, 1) and lies in [-1, 1), so |w| <= bound exactly
    // (before the gain and the f32 rounding).
    const bound = Math.sqrt(3 * variance);
    for (let i = 0; i < n; i++) data[i] = gain * (bound * (2 * rng.uniform() - 1));
  }
}

/**
 * A Haar-random (semi-)orthogonal rows x cols matrix, row-major in float64, as PyTorch's
 * nn.init.orthogonal_ (Saxe et al. 2014) in distribution: a Gaussian G [min, max] (drawn
 * row-major) whose rows are orthonormalized in order by block Gram-Schmidt on the fast matrix
 * kernels. That is the Q of G^T = QR with R's diagonal positive, which makes the
 * factorization unique and Q exactly Haar. Result: W W^T = I when rows <= cols, W^T W = I
 * when rows >= cols.
 */
function orthogonal(rows: number, cols: number, rng: Rng): Float64Array {
  const thin = Math.min(rows, cols);
  const wide = Math.max(rows, cols);
  // Gaussian [thin, wide], rows orthonormalized in order: the Q of a QR with positive
  // diagonal R, which is Haar-distributed (Mezzadri 2007) without any sign correction.
  const g = new Float64Array(thin * wide);
  for (let i = 0; i < g.length; i++) g[i] = rng.normal();
  orthonormalizeRows(g, thin, wide);
  if (rows <= cols) return g; // W W^T = I
  const w = new Float64Array(rows * cols); // W = G^T: W^T W = I
  for (let i = 0; i < thin; i++) for (let j = 0; j < wide; j++) w[j * thin + i] = g[i * wide + j]!;
  return w;
}

/** W = scale * eye(rows, cols): the main diagonal, I for square shapes. Off-diagonal zeros are
 * written as +0 (not scale * 0, which is -0 for a negative gain). */
function fillIdentity(W: Mat, scale: number): void {
  W.fill(0);
  for (let i = 0; i < Math.min(W.rows, W.cols); i++) W.set(i, i, scale);
}

function writeScaled(W: Mat, values: Float64Array, scale: number): void {
  for (let i = 0; i < values.length; i++) W.data[i] = scale * values[i]!;
}

/** b_j ~ N(0, biasVar) when biasVar > 0 (no draws at all otherwise), never scaled by gain. */
function fillBiases(b: Mat, biasVar: number, rng: Rng): void {
  if (biasVar === 0) {
    b.fill(0);
    return;
  }
  const std = Math.sqrt(biasVar);
  for (let j = 0; j < b.size; j++) b.data[j] = std * rng.normal();
}

function resolveOptions(options: InitOptions): ResolvedOptions {
  const o: ResolvedOptions = {
    weightVar: options.weightVar ?? 1,
    biasVar: options.biasVar ?? 0,
    gain: options.gain ?? 1,
    slope: options.slope ?? 0,
  };
  // `!(x >= 0)` also rejects NaN.
  if (!(o.weightVar >= 0) || !Number.isFinite(o.weightVar)) {
    throw new RangeError(`init: weightVar must be a finite number >= 0, got ${o.weightVar}`);
  }
  if (!(o.biasVar >= 0) || !Number.isFinite(o.biasVar)) {
    throw new RangeError(`init: biasVar must be a finite number >= 0, got ${o.biasVar}`);
  }
  if (!Number.isFinite(o.gain)) {
    throw new RangeError(`init: gain must be a finite number, got ${o.gain}`);
  }
  if (!Number.isFinite(o.slope)) {
    throw new RangeError(`init: slope must be a finite number, got ${o.slope}`);
  }
  return o;
}

function checkFan(label: string, fan: number): void {
  if (!Number.isInteger(fan) || fan < 1) {
    throw new RangeError(`init: ${label} must be a positive integer, got ${fan}`);
  }
}
