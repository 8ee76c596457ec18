/** Mean-field theory of signal and gradient propagation; see docs/THEORY.md. */
export * from "./batch-norm-profile.ts";
export * from "./bivariate.ts";
export * from "./gauss-hermite.ts";
export * from "./half-line.ts";
export * from "./jacobi.ts";
export * from "./legendre.ts";
export * from "./linear.ts";
export * from "./mean-field.ts";
export * from "./profile.ts";
export * from "./roots.ts";
