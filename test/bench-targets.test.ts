import { describe, expect, it } from "vitest";
import { checkTargets, formatTargets } from "../bench/targets.ts";

describe("bench targets", () => {
  const base = {
    w: { ours: 100, torch: 80, tfjsCustom: 10 },
    w2: { ours: 6, torch: 10 },
    gemm: [
      { size: 256, gflops: 90 },
      { size: 1024, gflops: 150 },
    ],
    recordOverhead: 0.04,
    recordOverheadWasm: 0.12,
  };

  it("computes each ratio against its goal", () => {
    const rows = checkTargets(base);
    expect(rows.map((r) => r.met)).toEqual([true, true, true, true, true, false]);
    expect(rows[0]!.measured).toBe("1.25x");
    expect(rows[1]!.measured).toBe("10.00x");
    expect(rows[2]!.measured).toBe("0.60x");
    expect(rows[3]!.measured).toBe("256: 90, 1024: 150 GFLOP/s");
    expect(rows[4]!.measured).toBe("+4.0%");
    expect(formatTargets(rows).split("\n")[5]).toMatch(/^NOT MET .*\+12\.0%$/);
  });

  it("fails on the slowest matmul size and marks missing peers n/a", () => {
    const rows = checkTargets({
      ...base,
      w: { ours: 100, torch: null, tfjsCustom: 19.9 },
      w2: null,
      gemm: [
        { size: 256, gflops: 79 },
        { size: 512, gflops: 200 },
      ],
      recordOverheadWasm: null,
    });
    expect(rows.map((r) => r.met)).toEqual([null, true, null, false, true]);
    expect(formatTargets(rows)).toContain("n/a     W >= 1.0x tuned PyTorch: not measured");
  });
});
