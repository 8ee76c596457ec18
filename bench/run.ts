/**
 * `npm run bench`: training-step throughput of gradscope against PyTorch and TF.js (wasm) on
 * the same workloads in one run, plus the probe and sweep numbers. Prints medians (min-max)
 * of repeated timings and writes bench/results.json.
 *
 *   npm run bench [-- --quick] [-- --scaling]   (--scaling adds the depth/width/batch and
 *                                                 dtype measurements)
 *   npm run bench:probe                          (the older probe-only benchmark)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gemmBackend, setGemmBackend } from "../src/core/kernels/gemm.ts";
import { setKernelProviderEnabled } from "../src/core/kernels/provider.ts";
import { loadNativeKernels } from "../src/native/native-kernels.ts";
import { setupNodeWasm } from "../src/wasm-threads/node.ts";
import { formatGemmRates, measureGemmRates } from "./gemm-rate.ts";
import { PROBE_FLOPS, timeProbe } from "./probe-timing.ts";
import { formatRecordOverhead, measureRecordOverhead } from "./record-overhead.ts";
import { benchSequences, formatSequenceBench } from "./sequence-bench.ts";
import { benchSweepPool, formatSweepBench } from "./sweep.ts";
import { tanhNsPerElement } from "./tanh-bench.ts";
import { checkTargets, formatTargets } from "./targets.ts";
import {
  buildWorkload,
  exportWorkload,
  type MlpSpec,
  median,
  type StepTimes,
  timeSteps,
  W,
  W2,
} from "./workloads.ts";

// The CLI's kernel set: relaxed SIMD and the helper thread for wasm, then the native addon
// (GRADSCOPE_NATIVE=0 benchmarks without it).
setupNodeWasm();
const native = loadNativeKernels();
console.log(native.loaded ? `kernels: ${native.name}` : `kernels: no native (${native.reason})`);

/** Runs `f` with the native provider off: the products go to wasm (the browser's kernels). */
function onWasm<T>(f: () => T): T {
  const wasOn = setKernelProviderEnabled(false);
  try {
    return f();
  } finally {
    setKernelProviderEnabled(wasOn);
  }
}
const quick = process.argv.includes("--quick");
const scaling = process.argv.includes("--scaling");
const here = fileURLToPath(new URL(".", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "gradscope-bench-"));

interface Stat {
  median: number;
  min: number;
  max: number;
}
const stat = (xs: number[]): Stat => ({
  median: median(xs),
  min: Math.min(...xs),
  max: Math.max(...xs),
});
const fmt = (s: Stat | null | undefined, digits = 1): string =>
  s ? `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}-${s.max.toFixed(digits)})` : "-";

interface Check {
  loss1: number;
  norms1: number[];
  loss2: number;
}
const RTOL = 1e-3;
function agree(a: Check, b: Check): { ok: boolean; maxRel: number } {
  const pairs: [number, number][] = [
    [a.loss1, b.loss1],
    [a.loss2, b.loss2],
    ...a.norms1.map((v, i): [number, number] => [v, b.norms1[i] ?? Number.NaN]),
  ];
  let maxRel = a.norms1.length === b.norms1.length ? 0 : Number.POSITIVE_INFINITY;
  for (const [u, v] of pairs) {
    const rel = Math.abs(u - v) / Math.max(Math.abs(u), Math.abs(v), 1e-12);
    maxRel = Number.isNaN(rel) ? Number.POSITIVE_INFINITY : Math.max(maxRel, rel);
  }
  return { ok: maxRel <= RTOL, maxRel };
}

interface PeerResult {
  label: string;
  rates: Stat | null;
  check: string;
  note?: string;
}

interface RowResult {
  workload: string;
  /** The default kernels (native when the addon loaded, else wasm); what the peers check. */
  ours: Stat;
  oursBackend: string;
  /** Native addon (null without it). */
  oursNative: Stat | null;
  /** WebAssembly gemm (provider off), with its variant name. */
  oursWasm: Stat;
  wasmBackend: string;
  pureTs: Stat | null;
  torch: PeerResult;
  tfjs: PeerResult;
  tfjsCustom: PeerResult;
}

function runPeer(
  label: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ours: Check,
): PeerResult {
  const r = spawnSync(cmd, args, { env, encoding: "utf8", timeout: 240_000 });
  const line = r.stdout?.trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !line.startsWith("{")) {
    const err = (r.stderr ?? String(r.error ?? "")).trim().split("\n").slice(-3).join(" | ");
    return { label, rates: null, check: "not run", note: `failed: ${err}` };
  }
  const out = JSON.parse(line) as { rates: number[]; check: Check; blas?: string };
  const a = agree(ours, out.check);
  const check = `${a.ok ? "OK" : "MISMATCH"} (max rel diff ${a.maxRel.toExponential(1)}, loss ${out.check.loss1.toFixed(5)} vs ours ${ours.loss1.toFixed(5)})`;
  const finalLabel = out.blas ? `${label} (${out.blas})` : label;
  // Timings of a peer that computes something else are not reported.
  return { label: finalLabel, rates: a.ok ? stat(out.rates) : null, check };
}

function torchAvailable(): { ok: boolean; why: string } {
  const r = spawnSync("/usr/bin/python3", ["-c", "import torch"], { encoding: "utf8" });
  if (r.error) return { ok: false, why: "/usr/bin/python3 not found" };
  if (r.status !== 0)
    return { ok: false, why: "import torch failed (apt-get install -y python3-torch)" };
  return { ok: true, why: "" };
}
function openblasOpenmpInstalled(): boolean {
  const r = spawnSync("dpkg-query", ["-s", "libopenblas0-openmp"], {
    encoding: "utf8",
  });
  return r.status === 0 && r.stdout.includes("install ok installed");
}

function benchWorkload(
  spec: MlpSpec,
  reps: number,
  perBlock: number,
  tsPerBlock: number,
): RowResult {
  console.log(`\n== ${spec.name}`);
  const w = buildWorkload(spec);
  const base = join(tmp, spec.name.slice(0, 2).replace(/\W/g, ""));
  exportWorkload(w, base);
  const s1 = w.step();
  const s2 = w.step();
  const ours: Check = { loss1: s1.loss, norms1: s1.norms, loss2: s2.loss };
  console.log(
    `ours: loss ${ours.loss1.toFixed(5)} -> ${ours.loss2.toFixed(5)}, |dW1| ${ours.norms1[0]!.toExponential(3)}, |dW_out| ${ours.norms1.at(-1)!.toExponential(3)}`,
  );
  const oursBackend = gemmBackend();
  // Ours is timed before and again after the peers, and reported over both sets of blocks: on
  // this shared machine the speed drifts over a minute, and bracketing the peers keeps the
  // drift out of the ratios.
  const oursBefore = timeSteps(w.step, reps, perBlock, 3);
  console.log(`ours (${oursBackend}): ${fmt(stat(oursBefore))} steps/s (before the peers)`);
  // The wasm column: the same workload with the provider off (native and wasm both measured).
  // (Without the addon the default kernels are wasm: the column is then ours itself.)
  let oursWasm: Stat | null = null;
  let wasmBackend = oursBackend;
  if (native.loaded) {
    [oursWasm, wasmBackend] = onWasm(() => {
      const ww = buildWorkload(spec);
      return [stat(timeSteps(ww.step, reps, perBlock, 3)), gemmBackend()] as const;
    });
    console.log(`ours (${wasmBackend}): ${fmt(oursWasm)} steps/s`);
  }

  let pureTs: Stat | null = null;
  if (tsPerBlock > 0) {
    setGemmBackend("typescript");
    const wt = buildWorkload(spec);
    pureTs = stat(timeSteps(wt.step, Math.min(reps, 3), tsPerBlock, 1));
    setGemmBackend("auto");
    console.log(`ours (pure TS gemm):   ${fmt(pureTs)} steps/s`);
  }

  const peerArgs = [String(reps), String(perBlock), "3"];
  let torch: PeerResult;
  const t = torchAvailable();
  if (!t.ok) {
    torch = { label: "torch", rates: null, check: "skipped", note: `skipped: ${t.why}` };
  } else {
    const env = {
      ...process.env,
      MALLOC_MMAP_THRESHOLD_: "4294967296",
      MALLOC_TRIM_THRESHOLD_: "68719476736",
      MALLOC_TOP_PAD_: "536870912",
      OMP_NUM_THREADS: "2",
    };
    torch = runPeer(
      "torch",
      "/usr/bin/python3",
      [join(here, "peers/torch_step.py"), base, ...peerArgs],
      env,
      ours,
    );
    if (!openblasOpenmpInstalled()) {
      torch.note =
        "libopenblas0-openmp is NOT installed: torch runs on the reference BLAS (unfair peer)";
    }
  }
  console.log(
    `${torch.label}: ${fmt(torch.rates)} steps/s; check ${torch.check}${torch.note ? `; ${torch.note}` : ""}`,
  );

  const tfjsScript = join(here, "peers/tfjs.ts");
  const tfjsRun = (mode: string, label: string): PeerResult => {
    const r = runPeer(
      label,
      process.execPath,
      ["--import", "tsx", tfjsScript, base, ...peerArgs, mode],
      process.env,
      ours,
    );
    console.log(
      `${r.label}: ${fmt(r.rates)} steps/s; check ${r.check}${r.note ? `; ${r.note}` : ""}`,
    );
    return r;
  };
  const tfjs: PeerResult =
    spec.width > 512
      ? {
          label: "tfjs-wasm (stock grads)",
          rates: null,
          check: "skipped",
          note: "skipped at width > 512: it exceeded the 240 s peer timeout (stock grads)",
        }
      : tfjsRun("stock", "tfjs-wasm (stock grads)");
  if (!tfjs.rates) console.log(`${tfjs.label}: ${tfjs.note ?? tfjs.check}`);
  const tfjsCustom = tfjsRun("custom", "tfjs-wasm (customGrad dense)");
  const oursAfter = timeSteps(w.step, reps, perBlock, 1);
  const oursRates = stat([...oursBefore, ...oursAfter]);
  console.log(
    `ours (${oursBackend}): ${fmt(stat(oursAfter))} steps/s after the peers; ${fmt(oursRates)} over both`,
  );
  return {
    workload: spec.name,
    ours: oursRates,
    oursBackend,
    oursNative: native.loaded ? oursRates : null,
    oursWasm: oursWasm ?? oursRates,
    wasmBackend,
    pureTs,
    torch,
    tfjs,
    tfjsCustom,
  };
}

function benchProbe(dtype: "f32" | "f64", repeats: number): Stat & { gflops: number } {
  const s = stat(timeProbe(dtype, repeats));
  return { ...s, gflops: PROBE_FLOPS / s.median / 1e6 };
}

const started = performance.now();
console.log(
  `gradscope bench ${new Date().toISOString()}  node ${process.version}  ${cpus().length} cores (${cpus()[0]?.model ?? "?"})${quick ? "  --quick" : ""}`,
);
const reps = quick ? 3 : 7;
const rows: RowResult[] = [benchWorkload(W, reps, quick ? 5 : 15, quick ? 1 : 2)];
if (!quick) rows.push(benchWorkload(W2, 5, 3, 1));

console.log("\n== probe 50x512 batch 64 (build + forward/backward + all metrics)");
const probe64 = benchProbe("f64", quick ? 2 : 5);
const probe32 = benchProbe("f32", quick ? 2 : 5);
console.log(`f64: ${fmt(probe64, 0)} ms  ${probe64.gflops.toFixed(2)} GFLOP/s`);
console.log(`f32: ${fmt(probe32, 0)} ms  ${probe32.gflops.toFixed(2)} GFLOP/s`);

console.log("\n== sweep: 100 small probe configs at init (in-process and on the worker pool)");
const sweep = await benchSweepPool({ repeats: quick ? 2 : 3, jobs: 2 });
console.log(formatSweepBench(sweep));

const extra: Record<string, unknown> = {};

console.log("\n== recurrent nets and transformers (issue #15): the same step in PyTorch");
const sequences = benchSequences(quick);
console.log(formatSequenceBench(sequences));
extra.sequences = sequences;

console.log("\n== where the time goes (W, ours, ms per step, by kernel set; median of 3 blocks)");
// Each row runs W on one kernel set: the default (the native provider when loaded), then with
// the provider off (wasm SIMD gemm, TypeScript element-wise), then everything TypeScript.
const phases = (backend: "auto" | "typescript", provider: boolean): [string, StepTimes] => {
  setGemmBackend(backend);
  const wasOn = setKernelProviderEnabled(provider);
  const label = gemmBackend();
  const w = buildWorkload(W);
  for (let i = 0; i < 3; i++) w.step();
  const n = backend === "auto" ? (quick ? 10 : 20) : 2;
  const blocks: StepTimes[] = [];
  for (let b = 0; b < 3; b++) {
    const acc: StepTimes = { forward: 0, loss: 0, backward: 0, norms: 0, update: 0 };
    for (let i = 0; i < n; i++) w.stepTimed(acc);
    for (const k of Object.keys(acc) as (keyof StepTimes)[]) acc[k] /= n;
    blocks.push(acc);
  }
  setGemmBackend("auto");
  setKernelProviderEnabled(wasOn);
  const out: StepTimes = { forward: 0, loss: 0, backward: 0, norms: 0, update: 0 };
  for (const k of Object.keys(out) as (keyof StepTimes)[]) out[k] = median(blocks.map((b) => b[k]));
  return [label, out];
};
const phaseTimes: Record<string, StepTimes> = Object.fromEntries([
  phases("auto", true),
  ...(native.loaded ? [phases("auto", false)] : []),
  phases("typescript", false),
]);
for (const [k, v] of Object.entries(phaseTimes)) {
  const total = Object.values(v).reduce((a, b) => a + b, 0);
  console.log(
    `${k.padEnd(20)} ${Object.entries(v)
      .map(([ph, ms]) => `${ph} ${ms.toFixed(2)}`)
      .join("  ")}  total ${total.toFixed(2)}`,
  );
}
extra.phases = phaseTimes;
const tanh = tanhNsPerElement(W.batch * W.width * W.depth);
console.log(
  `tanh over W's ${W.depth} x ${W.batch} x ${W.width} float32 pre-activations: ${tanh.fast.toFixed(2)} ns/element (fast-math) vs ${tanh.mathTanh.toFixed(2)} ns/element (Math.tanh)`,
);
extra.tanhNsPerElement = tanh;

console.log("\n== float32 matmul, C = A B^T, wall clock (two threads share the work)");
const gemmRates = measureGemmRates([256, 512, 1024], quick ? 3 : 5);
console.log(formatGemmRates(gemmRates));
extra.gemmRates = gemmRates;

console.log("\n== metric recording overhead (W, real Trainer, every metric every step vs none)");
const rec = measureRecordOverhead(W, quick ? 11 : 15, quick ? 6 : 8);
console.log(formatRecordOverhead(rec));
extra.recordOverhead = rec;
let recWasm: ReturnType<typeof measureRecordOverhead> | null = null;
if (native.loaded) {
  console.log("-- the same on the WebAssembly path (native provider off)");
  recWasm = onWasm(() => measureRecordOverhead(W, quick ? 7 : 15, quick ? 4 : 5));
  console.log(formatRecordOverhead(recWasm));
  extra.recordOverheadWasm = recWasm;
}
if (scaling) {
  console.log("\n== scaling (ours, steps/s, median of 5 blocks of >= 0.3 s)");
  const points: { spec: string; stepsPerSec: number; msPerStep: number }[] = [];
  const measure = (over: Partial<MlpSpec>): void => {
    const spec = { ...W, ...over };
    const w = buildWorkload(spec);
    // Blocks of at least ~0.3 s (3 steps of depth 5 take 6 ms: all noise), 5 of them.
    w.step();
    const t0 = performance.now();
    w.step();
    const perBlock = Math.max(3, Math.ceil(300 / Math.max(performance.now() - t0, 0.05)));
    const rate = median(timeSteps(w.step, 5, perBlock, 1));
    const label = `depth ${spec.depth} width ${spec.width} batch ${spec.batch} ${spec.dtype}`;
    points.push({ spec: label, stepsPerSec: rate, msPerStep: 1000 / rate });
    console.log(
      `${label.padEnd(36)} ${rate.toFixed(1).padStart(7)} steps/s  ${(1000 / rate).toFixed(2)} ms/step`,
    );
  };
  // One parameter at a time around W (depth 20, width 256, batch 128); W itself is measured
  // once, in the depth series, and the figure (bench/scaling-figure.ts) shares it.
  for (const depth of [5, 10, 20, 40, 80]) measure({ depth });
  for (const width of [64, 128, 512, 1024]) measure({ width });
  for (const batch of [16, 32, 64, 256]) measure({ batch });
  measure({ dtype: "f64" });
  extra.scaling = points;
}

console.log(
  `\n== summary (steps/s, median (min-max)); total ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
const header = [
  "workload",
  "ours-native",
  "ours-wasm",
  "pure TS",
  "torch",
  "tfjs-wasm",
  "tfjs-wasm customGrad",
  "ours/torch",
  "ours/tfjs",
  "ours/tfjs customGrad",
];
const ratio = (a: Stat, b: Stat | null): string =>
  b ? `${(a.median / b.median).toFixed(2)}x` : "-";
const table = rows.map((r) => [
  r.workload,
  r.oursNative ? `${fmt(r.oursNative)} [${r.oursBackend}]` : "-",
  `${fmt(r.oursWasm)} [${r.wasmBackend}]`,
  fmt(r.pureTs, 2),
  r.torch.rates
    ? `${fmt(r.torch.rates)} [${r.torch.label}]`
    : `- [${r.torch.note ?? r.torch.check}]`,
  fmt(r.tfjs.rates),
  fmt(r.tfjsCustom.rates),
  ratio(r.ours, r.torch.rates),
  ratio(r.ours, r.tfjs.rates),
  ratio(r.ours, r.tfjsCustom.rates),
]);
for (const line of [header, ...table]) console.log(`| ${line.join(" | ")} |`);
console.log("(ours/...: the default kernels, ours-native when the addon loaded)");
const pad = " | ".repeat(8);
console.log(`| probe 50x512 b64 f64 (ms/probe) | ${fmt(probe64, 0)}${pad}|`);
console.log(`| probe 50x512 b64 f32 (ms/probe) | ${fmt(probe32, 0)}${pad}|`);
console.log(
  `| sweep 100 small configs (configs/s, in-process) | ${fmt(sweep.inProcess, 0)}${pad}|`,
);
console.log(
  `| sweep 100 small configs (configs/s, --jobs ${sweep.workers} warm / cold) | ${fmt(sweep.warm, 0)} / ${fmt(sweep.cold, 0)}${pad}|`,
);

const wRow = rows[0]!;
const w2Row = rows[1];
const targets = checkTargets({
  w: {
    ours: wRow.ours.median,
    torch: wRow.torch.rates?.median ?? null,
    tfjsCustom: wRow.tfjsCustom.rates?.median ?? null,
  },
  w2: w2Row ? { ours: w2Row.ours.median, torch: w2Row.torch.rates?.median ?? null } : null,
  gemm: gemmRates,
  recordOverhead: rec.overhead,
  recordOverheadWasm: recWasm?.overhead ?? null,
});
console.log(`\n== the issue's targets (#8), this run\n${formatTargets(targets)}`);
extra.targets = targets;

writeFileSync(
  join(here, "results.json"),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      cores: cpus().length,
      cpu: cpus()[0]?.model,
      quick,
      rows,
      probe: { f64: probe64, f32: probe32 },
      sweep,
      ...extra,
    },
    null,
    2,
  )}\n`,
);
rmSync(tmp, { recursive: true, force: true });
