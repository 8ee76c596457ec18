import { type ActivationName, DEFAULT_LEAKY_SLOPE, getActivation } from "../../core/activations.ts";
import { type InitName, initDense } from "../../core/init.ts";
import { gemmNT } from "../../core/kernels/gemm.ts";
import { Mat } from "../../core/mat.ts";
import { Rng } from "../../core/rng.ts";
import { singularValues } from "./singular-values.ts";

/**
 * The input-output Jacobian J = D_L W_L ... D_1 W_1 of a deep network at initialization,
 * D_l = diag(phi'(z_l)) along the forward pass of one input x, and its singular values.
 * Dynamical isometry (Pennington et al. 2017) is all singular values near 1: then every
 * direction of the gradient survives the depth, not only its average norm.
 */

export interface JacobianOptions {
  activation: ActivationName;
  init: InitName;
  depth: number;
  width: number;
  /** sigma_w^2 (normal/uniform variance s/fan_in, orthogonal/identity gain sqrt(s)). Default 1. */
  weightVar?: number;
  /** sigma_b^2. Default 0. */
  biasVar?: number;
  /** Multiplies any init. Default 1. */
  gain?: number;
  /** Negative slope of leaky-relu (also used by he-* init then). Default 0.01. */
  slope?: number;
  seed?: number;
  /** x ~ N(0, inputScale^2 I). Default 1. */
  inputScale?: number;
}

export type ResolvedJacobianOptions = Required<JacobianOptions>;

export interface NetworkJacobian {
  options: ResolvedJacobianOptions;
  /** J[i][j] = d a_L,i / d x_j, [width, width]. */
  J: Mat;
  /** The input, [1, width]. */
  x: Mat;
  /** Per layer: mean of z_l^2 over units (the q of mean-field theory for this input). */
  layerQ: number[];
  /** Fraction of all units of all layers with phi'(z) = 0 (zeros of D). */
  inactiveFraction: number;
}

export function resolveJacobianOptions(options: JacobianOptions): ResolvedJacobianOptions {
  const o: ResolvedJacobianOptions = {
    weightVar: 1,
    biasVar: 0,
    gain: 1,
    slope: DEFAULT_LEAKY_SLOPE,
    seed: 0,
    inputScale: 1,
    ...withoutUndefined(options),
  };
  const positiveInt = (v: number, name: string): void => {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`${name} must be a positive integer, got ${v}`);
    }
  };
  positiveInt(o.depth, "depth");
  positiveInt(o.width, "width");
  if (!Number.isInteger(o.seed) || o.seed < 0) {
    throw new RangeError(`seed must be an integer >= 0, got ${o.seed}`);
  }
  if (!(o.inputScale >= 0) || !Number.isFinite(o.inputScale)) {
    throw new RangeError(`inputScale must be a finite number >= 0, got ${o.inputScale}`);
  }
  return o;
}

/**
 * Build the network (weights drawn layer by layer exactly as `Network.initialize` does, from
 * the first fork of `new Rng(seed)`; x from the second fork, as the probe's first example)
 * and multiply out its Jacobian. Cost: depth - 1 products of width x width matrices.
 */
export function networkJacobian(
  options: JacobianOptions,
  onLayer?: (done: number, total: number) => void,
): NetworkJacobian {
  const o = resolveJacobianOptions(options);
  const n = o.width;
  const act = getActivation(o.activation, { slope: o.slope });
  const master = new Rng(o.seed);
  const weightRng = master.fork();
  const inputRng = master.fork();
  const x = Mat.zeros(1, n);
  inputRng.fillNormal(x.data, 0, o.inputScale);

  const W = Mat.zeros(n, n); // [out, in]
  const b = Mat.zeros(1, n);
  let a = Float64Array.from(x.data); // activation of the previous layer
  const z = new Float64Array(n);
  const phi = new Float64Array(n);
  const d = new Float64Array(n);
  // T holds J^T for the layers so far: then J_l^T = J_{l-1}^T W_l^T D_l is one "NT" product
  // (rows of T against rows of W) followed by a column scaling, with no transposes.
  let T = new Float64Array(n * n);
  let next = new Float64Array(n * n);
  const layerQ: number[] = [];
  let inactive = 0;
  for (let l = 0; l < o.depth; l++) {
    initDense(
      W,
      b,
      o.init,
      {
        weightVar: o.weightVar,
        biasVar: o.biasVar,
        gain: o.gain,
        slope: o.activation === "leaky-relu" ? o.slope : 0,
      },
      weightRng,
    );
    const w = W.data;
    // z = W a + b, in float64.
    let q = 0;
    for (let i = 0; i < n; i++) {
      let s = b.data[i]!;
      const row = i * n;
      for (let j = 0; j < n; j++) s += w[row + j]! * a[j]!;
      z[i] = s;
      q += s * s;
    }
    layerQ.push(q / n);
    act.forward(z, phi, n);
    act.derivatives(z, phi, d, n);
    for (let i = 0; i < n; i++) if (d[i] === 0) inactive++;
    if (l === 0) {
      // T = W_1^T D_1: T[i][j] = W_1[j][i] d_j.
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) T[i * n + j] = w[j * n + i]! * d[j]!;
      }
    } else {
      gemmNT(n, n, n, T, w, next);
      for (let i = 0; i < n; i++) {
        const row = i * n;
        for (let j = 0; j < n; j++) next[row + j] = next[row + j]! * d[j]!;
      }
      [T, next] = [next, T];
    }
    a = Float64Array.from(phi);
    onLayer?.(l + 1, o.depth);
  }
  // J = T^T.
  const J = Mat.zeros(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) J.data[j * n + i] = T[i * n + j]!;
  return { options: o, J, x, layerQ, inactiveFraction: inactive / (n * o.depth) };
}

export interface JacobianSpectrum {
  options: ResolvedJacobianOptions;
  /** All singular values of J, descending. */
  singularValues: number[];
  /** Mean of sigma^2 (= ||J||_F^2 / width): the mean-field chi^depth. */
  meanSq: number;
  /** Variance of sigma^2 over the spectrum: 0 at isometry; = depth for a wide linear
   *  Gaussian network at weightVar 1 (Pennington et al. 2017). */
  varSq: number;
  max: number;
  min: number;
  /** max / min, or Infinity when min is below the rank tolerance (J numerically singular). */
  conditionNumber: number;
  /** Number of singular values above rankTolerance. */
  numericalRank: number;
  /** max * width * eps: singular values below it are indistinguishable from 0 in float64. */
  rankTolerance: number;
  /** Per layer: mean of z_l^2 over units. */
  layerQ: number[];
  /** Fraction of units (all layers) with phi'(z) = 0. */
  inactiveFraction: number;
}

/** The Jacobian's spectrum; `onLayer` hears after each layer's product (for progress). */
export function jacobianSpectrum(
  options: JacobianOptions,
  onLayer?: (done: number, total: number) => void,
): JacobianSpectrum {
  const jac = networkJacobian(options, onLayer);
  const sigma = singularValues(jac.J);
  return {
    ...spectrumStats(sigma),
    options: jac.options,
    layerQ: jac.layerQ,
    inactiveFraction: jac.inactiveFraction,
  };
}

/**
 * Summary statistics of a list of singular values (any order; returned descending). The rank
 * tolerance is max * n * eps on the values as computed: the backward error of the SVD, below
 * which a singular value cannot be told from 0 in float64. A product whose every value is
 * above it is full rank with a finite condition number max / min; NaN values make the
 * condition number NaN (nothing can be said), and the tolerance is taken over finite values.
 */
export function spectrumStats(
  sigma: ArrayLike<number>,
): Omit<JacobianSpectrum, "options" | "layerQ" | "inactiveFraction"> {
  const n = sigma.length;
  const values = Array.from(sigma).sort((a, b) =>
    Number.isNaN(a) ? 1 : Number.isNaN(b) ? -1 : b - a,
  );
  let meanSq = 0;
  for (const s of values) meanSq += s * s;
  meanSq /= n;
  let varSq = 0;
  for (const s of values) varSq += (s * s - meanSq) ** 2;
  varSq /= n;
  const finite = values.filter(Number.isFinite);
  const max = finite[0] ?? (n > 0 ? Number.NaN : 0);
  const min = finite[finite.length - 1] ?? (n > 0 ? Number.NaN : 0);
  const rankTolerance = Math.abs(max) * n * Number.EPSILON;
  const numericalRank = finite.filter((s) => s > rankTolerance).length;
  const anyNaN = finite.length < n;
  return {
    singularValues: values,
    meanSq,
    varSq,
    max,
    min,
    conditionNumber: anyNaN
      ? Number.NaN
      : max === 0
        ? Number.POSITIVE_INFINITY
        : min > rankTolerance
          ? max / min
          : Number.POSITIVE_INFINITY,
    numericalRank,
    rankTolerance,
  };
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
