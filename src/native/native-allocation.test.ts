/**
 * With the native kernels, a training step that records nothing allocates under 64 bytes: the
 * addon reads typed arrays in place, and doubles cross the boundary in arrays (sumSquares'
 * result, axpy's alpha) because a double argument or result is boxed on every call (that was
 * ~450 bytes a step).
 */
import { expect, it } from "vitest";
import { stepAllocationBytes } from "../experiment/train/step-allocation.ts";
import { loadNativeKernels } from "./native-kernels.ts";
import { addonForTests } from "./test-addon.ts";

const addon = addonForTests();
if (addon) loadNativeKernels();

it.skipIf(addon === null)("a step that records nothing allocates under 64 bytes (native)", () => {
  expect(stepAllocationBytes()).toBeLessThan(64);
});
