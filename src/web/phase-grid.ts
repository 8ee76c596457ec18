/**
 * The (weight variance, bias variance) grid of the lab's phase diagram: the CLI's
 * `theory --plot` grid (sigma_w^2 0.25..4 in 46 steps, sigma_b^2 0..0.5 in 26), widened by
 * powers of two until it holds the marked network with room for its label, so few distinct
 * grids (and cached diagrams) ever exist. Past 1.6 decades of sigma_w^2 the steps are
 * geometric, matching the figure's log axis. DOM-free.
 */

import { usesLogAxis } from "../report/figures/phase-axis.ts";

export interface PhaseGrid {
  weightVars: number[];
  biasVars: number[];
  /** Whether (weightVar, biasVar) lies inside the grid (false for sigma_w^2 = 0, or huge). */
  inside: boolean;
}

export const PHASE_WEIGHT_STEPS = 46;
export const PHASE_BIAS_STEPS = 26;
/** Widening stops here: beyond it the diagram says the marker lies outside. */
const MAX_WEIGHT_VAR = 1024;
const MIN_WEIGHT_VAR = 2 ** -12;
const MAX_BIAS_VAR = 64;

function linear(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

/** lo..hi in n geometric steps, both ends exact: even cells on the figure's log axis. */
function geometric(lo: number, hi: number, n: number): number[] {
  const ratio = hi / lo;
  return Array.from({ length: n }, (_, i) =>
    i === 0 ? lo : i === n - 1 ? hi : lo * ratio ** (i / (n - 1)),
  );
}

/**
 * `critical`: the activation's critical sigma_w^2 at the marker's sigma_b^2 (NaN when there
 * is none); the grid widens to show it too, so a sigmoid network (critical near 16) sees
 * how far it is from the line.
 */
export function phaseGrid(weightVar: number, biasVar: number, critical = Number.NaN): PhaseGrid {
  let wLo = 0.25;
  while (weightVar > 0 && weightVar < wLo && wLo > MIN_WEIGHT_VAR) wLo /= 2;
  let wHi = 4;
  // The marker stays in the left three quarters, so its label fits beside it.
  while (weightVar > 0.75 * wHi && wHi < MAX_WEIGHT_VAR) wHi *= 2;
  while (critical > 0.9 * wHi && wHi < MAX_WEIGHT_VAR) wHi *= 2;
  // Beyond 1.6 decades the figure draws a log axis (usesLogAxis): the label's room is then
  // measured in log units, the marker in the left three quarters of log(wHi / wLo).
  const log = usesLogAxis(wLo, wHi);
  if (log) {
    const at = (w: number) => Math.log(w / wLo) / Math.log(wHi / wLo);
    while (weightVar > 0 && at(weightVar) > 0.75 && wHi < MAX_WEIGHT_VAR) wHi *= 2;
    // ... and the critical line short of the right edge, with some of the chaotic side.
    while (critical > 0 && at(critical) > 0.9 && wHi < MAX_WEIGHT_VAR) wHi *= 2;
  }
  let bHi = 0.5;
  while (biasVar > 0.9 * bHi && bHi < MAX_BIAS_VAR) bHi *= 2;
  const inside =
    Number.isFinite(weightVar) &&
    Number.isFinite(biasVar) &&
    weightVar >= wLo &&
    weightVar <= wHi &&
    biasVar >= 0 &&
    biasVar <= bHi;
  return {
    weightVars: (log ? geometric : linear)(wLo, wHi, PHASE_WEIGHT_STEPS),
    biasVars: linear(0, bHi, PHASE_BIAS_STEPS),
    inside,
  };
}
