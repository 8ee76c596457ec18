/**
 * A training step that records nothing allocates (almost) nothing on the TypeScript /
 * WebAssembly kernels: no arrays, no per-layer or per-parameter objects; only a few boxed
 * scalars (the loss, the gradient norm, the learning rate) remain, a few dozen bytes. A
 * regression that allocated one small array a step (~100 bytes) fails. (The native kernels:
 * src/native/native-allocation.test.ts, a separate file so each runs in fresh code.)
 */
import { expect, it } from "vitest";
import { setKernelProviderEnabled } from "../../core/kernels/provider.ts";
import { stepAllocationBytes } from "./step-allocation.ts";

it("a step that records nothing allocates under 64 bytes (TypeScript / wasm kernels)", () => {
  const previous = setKernelProviderEnabled(false);
  try {
    expect(stepAllocationBytes()).toBeLessThan(64);
  } finally {
    setKernelProviderEnabled(previous);
  }
});
