import { Mat } from "../../core/mat.ts";
import { jacobiSvd } from "../jacobian/jacobi-svd.ts";
import { type Eigenvalue, eigenvalues, spectralRadius } from "./eigenvalues.ts";
import { matrixPowers, type PowerArithmetic } from "./exact-power.ts";

/**
 * The seed's first demonstration: a network of identity activations whose layers all share
 * one weight matrix W maps x to W^n x, and its gradient is multiplied by (W^T)^n on the way
 * back. Whether the signal explodes or vanishes is therefore decided by the spectral radius
 * rho(W): ||W^n|| ~ rho^n, one factor of rho per layer (Gelfand's formula).
 */

/** What happens to W^n as n grows. */
export type PowerGrowth = "exploding" | "vanishing" | "marginal";

export interface MatrixPowerStep {
  /** k: the number of layers applied. */
  power: number;
  /** W^k, every entry correctly rounded. */
  matrix: number[][];
  frobeniusNorm: number;
  /** Largest singular value of W^k: the most any input can be stretched by k layers. */
  spectralNorm: number;
  /** rho^k, the predicted growth. */
  predicted: number;
  /** spectralNorm / rho^k: bounded for a diagonalizable W, grows like k^(j-1) for a j x j
   *  Jordan block (NaN when rho = 0). */
  normOverPredicted: number;
}

export interface MatrixPowerDemo {
  /** W as given. */
  matrix: number[][];
  size: number;
  layers: number;
  eigenvalues: Eigenvalue[];
  spectralRadius: number;
  /** Predicted per-layer factor of ||W^k||: rho. */
  perLayerFactor: number;
  /** Measured per-layer factor ||W^n||_2^(1/n), which tends to rho as n grows. */
  effectiveFactor: number;
  growth: PowerGrowth;
  /** How W^k was formed (see exact-power.ts). */
  arithmetic: PowerArithmetic;
  steps: MatrixPowerStep[];
  /** W^layers. */
  final: number[][];
  /** One sentence for people. */
  message: string;
}

/** Relative distance from 1 within which rho counts as marginal (a defective eigenvalue
 *  of 1 is only computed to ~sqrt(eps)). */
const MARGINAL_TOLERANCE = 1e-7;

/** Check that W is a non-empty square matrix of finite numbers; throws RangeError. */
export function checkSquareMatrix(W: readonly (readonly number[])[]): void {
  const n = W.length;
  if (n === 0) throw new RangeError("the matrix is empty");
  W.forEach((row, i) => {
    if (row.length !== n) {
      throw new RangeError(
        `the matrix is not square: row ${i + 1} has ${row.length} entries, expected ${n}`,
      );
    }
    row.forEach((v, j) => {
      if (!Number.isFinite(v))
        throw new RangeError(`entry (${i + 1}, ${j + 1}) is not finite: ${v}`);
    });
  });
}

export function matrixPowerDemo(
  W: readonly (readonly number[])[],
  layers: number,
): MatrixPowerDemo {
  checkSquareMatrix(W);
  if (!Number.isInteger(layers) || layers < 1) {
    throw new RangeError(`layers must be a positive integer, got ${layers}`);
  }
  const values = eigenvalues(W);
  const rho = spectralRadius(values);
  const { powers, arithmetic } = matrixPowers(W, layers);
  const steps = powers.map((P, i): MatrixPowerStep => {
    const k = i + 1;
    const spectralNorm = largestSingularValue(P);
    const predicted = rho ** k;
    return {
      power: k,
      matrix: P,
      frobeniusNorm: Math.hypot(...P.flat()),
      spectralNorm,
      predicted,
      normOverPredicted: predicted > 0 ? spectralNorm / predicted : Number.NaN,
    };
  });
  const last = steps[steps.length - 1]!;
  const growth: PowerGrowth =
    Math.abs(rho - 1) <= MARGINAL_TOLERANCE ? "marginal" : rho > 1 ? "exploding" : "vanishing";
  const demo: MatrixPowerDemo = {
    matrix: W.map((row) => row.slice()),
    size: W.length,
    layers,
    eigenvalues: values,
    spectralRadius: rho,
    perLayerFactor: rho,
    effectiveFactor: last.spectralNorm ** (1 / layers),
    growth,
    arithmetic,
    steps,
    final: last.matrix,
    message: "",
  };
  demo.message = describe(demo);
  return demo;
}

function largestSingularValue(P: number[][]): number {
  if (P.flat().some((v) => !Number.isFinite(v))) return Number.POSITIVE_INFINITY;
  return jacobiSvd(Mat.from(P)).S[0] ?? 0;
}

function describe(d: MatrixPowerDemo): string {
  const rho = short(d.spectralRadius);
  const n = d.layers;
  const norm = short(d.steps[n - 1]!.spectralNorm);
  switch (d.growth) {
    case "exploding":
      return `rho = ${rho} > 1: every layer stretches the signal (and the gradient) by about ${rho}; after ${n} layers ||W^${n}|| = ${norm}: exploding`;
    case "vanishing":
      return `rho = ${rho} < 1: every layer shrinks the signal (and the gradient) by about ${rho}; after ${n} layers ||W^${n}|| = ${norm}: vanishing`;
    case "marginal": {
      const first = d.steps[0]!.normOverPredicted;
      const lastRatio = d.steps[n - 1]!.normOverPredicted;
      const polynomial = n > 1 && lastRatio > 1.5 * first;
      const one = rho === "1" ? "rho = 1" : `rho = ${rho} = 1 to rounding`;
      return polynomial
        ? `${one}, yet ||W^${n}|| = ${norm} grows polynomially: W is not diagonalizable (a Jordan block), so no exponential blow-up but no isometry either`
        : `${one}: the norm neither explodes nor vanishes (||W^${n}|| = ${norm})`;
    }
  }
}

/** Six significant digits without trailing zeros: 1, 0.00001, 32, 1.41421. */
function short(v: number): string {
  return String(Number(v.toPrecision(6)));
}
