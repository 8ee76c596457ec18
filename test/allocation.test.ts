/**
 * A training step that records nothing allocates (almost) nothing: no arrays, no per-layer or
 * per-parameter objects; only a few boxed scalars (the loss, the gradient norm, the learning
 * rate): 37 or 53 bytes, two or three 16-byte numbers depending on what V8 inlines. The bound,
 * 100 bytes, is half of what a single new typed array costs (~190-210 bytes measured). With the native kernels doubles cross the addon boundary in arrays
 * (sumSquares' result, axpy's alpha): passed as numbers they were boxed on every call, ~450
 * bytes a step. A regression that allocated one small array a step fails. Each kernel set is
 * measured in a fresh process (test/allocation/step-allocation.ts).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const script = fileURLToPath(new URL("./allocation/step-allocation.ts", import.meta.url));

function measure(native: boolean): {
  native: boolean;
  reason: string | null;
  bytesPerStep: number;
} {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", script, ...(native ? ["--native"] : [])],
    {
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

describe("allocation per training step (fresh process)", () => {
  it("TypeScript / WebAssembly kernels: under 100 bytes a step", () => {
    expect(measure(false).bytesPerStep).toBeLessThan(100);
  });

  it("native kernels: under 100 bytes a step", () => {
    const r = measure(true);
    if (!r.native) {
      // CI must build the addon (src/native/test-addon.ts); elsewhere a missing one is a skip
      expect(process.env.CI, `native addon missing: ${r.reason}`).toBeFalsy();
      return;
    }
    expect(r.bytesPerStep).toBeLessThan(100);
  });
});
