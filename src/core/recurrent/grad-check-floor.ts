import type { Mat } from "../mat.ts";

/**
 * Entries far below the tensor's largest are compared in absolute terms: the central
 * difference's round-off (~1e-12 here) would otherwise dominate their relative error.
 */
export function floorOf(g: Mat): number {
  let m = 0;
  for (let i = 0; i < g.size; i++) m = Math.max(m, Math.abs(g.data[i]!));
  return 1e-4 * m;
}
