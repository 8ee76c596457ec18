import type { Mat } from "../mat.ts";

/**
 * Central finite-difference check of an analytic gradient, in float64. The difference
 * quotient is Richardson-extrapolated from steps h and h/2, which cancels the h^2 error
 * term, so a moderate h keeps round-off small without truncation error.
 * `loss()` recomputes the scalar loss from the current contents of `wrt`; `analytic` holds
 * the gradient to check. Returns the largest relative error over the probed entries,
 * |g - fd| / max(|g|, |fd|, floor), with `floor` guarding entries whose gradient is ~0.
 */
export function maxRelativeGradError(
  loss: () => number,
  wrt: Mat,
  analytic: Mat,
  options: { h?: number; floor?: number; maxEntries?: number } = {},
): number {
  const h = options.h ?? 1e-4;
  const floor = options.floor ?? 1e-7;
  const total = wrt.size;
  const count = Math.min(total, options.maxEntries ?? total);
  const stride = Math.max(1, Math.floor(total / count));
  let worst = 0;
  for (let idx = 0; idx < total; idx += stride) {
    const saved = wrt.data[idx]!;
    const central = (step: number): number => {
      wrt.data[idx] = saved + step;
      const plus = loss();
      wrt.data[idx] = saved - step;
      const minus = loss();
      wrt.data[idx] = saved;
      return (plus - minus) / (2 * step);
    };
    const fd = (4 * central(h / 2) - central(h)) / 3;
    const g = analytic.data[idx]!;
    const err = Math.abs(g - fd) / Math.max(Math.abs(g), Math.abs(fd), floor);
    if (err > worst) worst = err;
  }
  return worst;
}
