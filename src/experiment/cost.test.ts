import { describe, expect, it } from "vitest";
import { gateCost } from "../cli/cost-gate.ts";
import { UsageError } from "../cli/errors.ts";
import { captureOutput } from "../cli/test-output.ts";
import {
  depthSweepFlops,
  estimateCost,
  formatDuration,
  jacobianFlops,
  measuredGemmRate,
  probeFlops,
} from "./cost.ts";

describe("cost estimates", () => {
  it("count the work of the Jacobian, a probe and a depth sweep", () => {
    // 2 n^3 per layer for the product, plus the layer's O(n^2) work and the final SVD
    const perLayer = 2 * 4096 ** 3 + 6000 * 4096 ** 2;
    expect(jacobianFlops(10_000, 4096)).toBe(10_000 * perLayer + 150 * 4096 ** 3 + 1e5 * 4096 ** 2);
    expect(jacobianFlops(20, 256, true)).toBeGreaterThan(jacobianFlops(20, 256));
    // forward + two backward products per hidden layer
    expect(probeFlops(3, 100, 10, 2)).toBe(6 * 10 * (100 * 2 + 2 * 100 * 100) + 200 * 10 * 100 * 3);
    // a sweep is the sum of its probes: depths 1..3
    expect(depthSweepFlops(1, 3, 100, 10, 2)).toBe(
      probeFlops(1, 100, 10, 2) + probeFlops(2, 100, 10, 2) + probeFlops(3, 100, 10, 2),
    );
    expect(depthSweepFlops(1, 3, 100, 10, 2, 4)).toBe(4 * depthSweepFlops(1, 3, 100, 10, 2));
  });

  it("measure this machine's product rate once, and turn work into time", () => {
    const rate = measuredGemmRate();
    expect(rate).toBeGreaterThan(1e7);
    expect(measuredGemmRate()).toBe(rate); // cached
    const c = estimateCost(2e12, 1e10);
    expect(c.seconds).toBe(200);
    expect([formatDuration(0.2), formatDuration(40), formatDuration(200)]).toEqual([
      "1 s",
      "40 s",
      "3 min",
    ]);
    expect([formatDuration(5 * 3600), formatDuration(5 * 86400)]).toEqual(["5.0 h", "5.0 days"]);
  });

  it("refuse work over ten minutes unless forced; announce and report progress over five seconds", () => {
    const options = { force: false, reduce: "reduce --depth", unit: "layer" };
    const days = estimateCost(1e17, 1e10);
    expect(() => gateCost("jacobian --depth 9", days, options, captureOutput())).toThrow(
      UsageError,
    );
    expect(() => gateCost("jacobian --depth 9", days, options, captureOutput())).toThrow(
      /^jacobian --depth 9 would take about 115\.7 days \(1\.0e17 floating-point operations at the measured 10 GFLOP\/s\): reduce --depth, or add --force to run it anyway$/,
    );
    const out = captureOutput();
    const progress = gateCost("x", days, { ...options, force: true }, out);
    expect(out.stderr()).toMatch(/^gradscope: x will take about 115\.7 days/);
    for (let i = 1; i <= 100; i++) progress!(i, 100);
    // not a terminal: one line per tenth of the work
    expect(
      out
        .stderr()
        .split("\n")
        .filter((l) => l.startsWith("layer ")).length,
    ).toBe(11);
    const quick = captureOutput();
    expect(gateCost("x", estimateCost(1e9, 1e10), options, quick)).toBeNull();
    expect(quick.stderr()).toBe("");
  });
});
