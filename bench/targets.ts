/**
 * The issue's targets (#8) against one bench run: each with the measured value and whether it
 * is met (null when its peer could not run, e.g. no python3-torch).
 */
export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | null;
}

export interface TargetInputs {
  /** Steps/s medians of the default kernels and the peers; null when not measured. */
  w: { ours: number; torch: number | null; tfjsCustom: number | null };
  w2: { ours: number; torch: number | null } | null;
  /** f32 GFLOP/s medians on two threads by size. */
  gemm: readonly { size: number; gflops: number }[];
  /** Wall-time overhead of recording every metric every step (0.05 = +5%), default kernels. */
  recordOverhead: number;
  /** The same on the WebAssembly path (provider off), when measured. */
  recordOverheadWasm: number | null;
}

export function checkTargets(r: TargetInputs): TargetCheck[] {
  const ratio = (a: number, b: number | null): number | null => (b ? a / b : null);
  const x = (v: number | null): string => (v === null ? "not measured" : `${v.toFixed(2)}x`);
  const pct = (v: number): string => `${v >= 0 ? "+" : ""}${(100 * v).toFixed(1)}%`;
  const atLeast = (v: number | null, goal: number): boolean | null =>
    v === null ? null : v >= goal;
  const wTorch = ratio(r.w.ours, r.w.torch);
  const wTfjs = ratio(r.w.ours, r.w.tfjsCustom);
  const w2Torch = r.w2 ? ratio(r.w2.ours, r.w2.torch) : null;
  const slowest = r.gemm.reduce<{ size: number; gflops: number } | null>(
    (a, g) => (a === null || g.gflops < a.gflops ? g : a),
    null,
  );
  const rows: TargetCheck[] = [
    { target: "W >= 1.0x tuned PyTorch", measured: x(wTorch), met: atLeast(wTorch, 1) },
    {
      target: "W >= 5x TF.js wasm with custom gradients",
      measured: x(wTfjs),
      met: atLeast(wTfjs, 5),
    },
    { target: "W2 >= 0.6x tuned PyTorch", measured: x(w2Torch), met: atLeast(w2Torch, 0.6) },
    {
      target: "f32 matmul >= 80 GFLOP/s on 2 threads at 256..1024",
      measured: slowest
        ? `${r.gemm.map((g) => `${g.size}: ${g.gflops.toFixed(0)}`).join(", ")} GFLOP/s`
        : "not measured",
      met: slowest ? slowest.gflops >= 80 : null,
    },
    {
      target: "recording every metric every step <= +10% (default kernels)",
      measured: pct(r.recordOverhead),
      met: r.recordOverhead <= 0.1,
    },
  ];
  if (r.recordOverheadWasm !== null) {
    rows.push({
      target: "the same on the WebAssembly path (browser, no native addon)",
      measured: pct(r.recordOverheadWasm),
      met: r.recordOverheadWasm <= 0.1,
    });
  }
  return rows;
}

export function formatTargets(rows: readonly TargetCheck[]): string {
  const mark = (m: boolean | null): string => (m === null ? "n/a" : m ? "met" : "NOT MET");
  return rows.map((t) => `${mark(t.met).padEnd(7)} ${t.target}: ${t.measured}`).join("\n");
}
