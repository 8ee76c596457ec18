/**
 * Training-step throughput of the new families (issue #15): one RNN, one LSTM and one
 * transformer workload, gradscope against PyTorch on the same weights and batch (a probe
 * dump both sides read), the first loss checked equal before anything is timed.
 *
 *   npx tsx bench/sequence-bench.ts [--quick]     (also part of `npm run bench`)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Param } from "../src/core/layers/layer.ts";
import {
  buildRecurrentProbe,
  recurrentDumpChunks,
  recurrentForwardBackward,
  resolveRecurrentConfig,
} from "../src/experiment/recurrent/index.ts";
import {
  buildTransformerProbe,
  transformerForwardBackward,
} from "../src/experiment/transformer/build.ts";
import { transformerConfig } from "../src/experiment/transformer/config.ts";
import { transformerDumpChunks } from "../src/experiment/transformer/dump.ts";
import { median, timeSteps } from "./workloads.ts";

const LR = 0.01;

export interface SequenceWorkload {
  name: string;
  /** One training step (forward, loss, backward, SGD); returns the loss. */
  step: () => number;
  /** The probe dump of the same weights and batch, for the peer, and its loss. */
  dump: () => { text: string; loss: number };
  /** Multiply-adds of one step, for GFLOP/s. */
  flops: number;
}

function sgd(params: readonly Param[]): void {
  for (const p of params) {
    const w = p.value.data;
    const g = p.grad.data;
    for (let i = 0; i < p.value.size; i++) w[i] = w[i]! - LR * g[i]!;
  }
}

function recurrentWorkload(
  arch: "rnn" | "lstm",
  T: number,
  H: number,
  I: number,
  B: number,
): SequenceWorkload {
  const config = resolveRecurrentConfig({
    arch,
    seqLen: T,
    width: H,
    inputDim: I,
    batch: B,
    dtype: "f32",
    activation: "tanh",
    seed: 3,
  });
  const setup = buildRecurrentProbe(config);
  const params = setup.layer.params();
  const G = arch === "lstm" ? 4 : 1;
  return {
    name: `${arch === "lstm" ? "LSTM" : "RNN tanh"}: T ${T}, hidden ${H}, input ${I}, batch ${B}, f32`,
    step: () => {
      const loss = recurrentForwardBackward(setup);
      sgd(params);
      return loss;
    },
    dump: () => {
      const fresh = buildRecurrentProbe(config);
      const loss = recurrentForwardBackward(fresh);
      return { text: [...recurrentDumpChunks(fresh, loss)].join(""), loss };
    },
    // forward 2 B T G H (I + H), backward twice that
    flops: 6 * B * T * G * H * (I + H),
  };
}

function transformerWorkload(depth: number, d: number, T: number, B: number): SequenceWorkload {
  const config = transformerConfig({
    depth,
    width: d,
    heads: 4,
    ffnWidth: 4 * d,
    seqLen: T,
    batch: B,
    dtype: "f32",
    normPosition: "pre",
    seed: 3,
  });
  const setup = buildTransformerProbe(config);
  const params = setup.model.params();
  return {
    name: `Transformer pre-LN: ${depth} blocks, d ${d}, 4 heads, ffn ${4 * d}, T ${T}, batch ${B}, f32`,
    step: () => {
      const loss = transformerForwardBackward(setup);
      sgd(params);
      return loss;
    },
    dump: () => {
      const fresh = buildTransformerProbe(config);
      const loss = transformerForwardBackward(fresh);
      return { text: [...transformerDumpChunks(fresh, loss)].join(""), loss };
    },
    // per block: 4 d^2 (projections) + 8 d^2 (ffn) per token, 2 T d per token for attention
    flops: 6 * depth * B * T * (12 * d * d + 2 * T * d),
  };
}

/** The bench's workloads; "tiny" ones check the machinery (peer agreement) in seconds. */
export function sequenceWorkloads(size: "full" | "tiny" = "full"): SequenceWorkload[] {
  return size === "full"
    ? [
        recurrentWorkload("rnn", 50, 256, 64, 64),
        recurrentWorkload("lstm", 50, 256, 64, 64),
        transformerWorkload(4, 128, 32, 16),
      ]
    : [
        recurrentWorkload("rnn", 6, 8, 4, 4),
        recurrentWorkload("lstm", 6, 8, 4, 4),
        transformerWorkload(2, 16, 4, 2),
      ];
}

export interface SequenceRow {
  name: string;
  gradscope: { median: number; min: number; max: number };
  torch: { median: number; min: number; max: number; version: string; module: string } | null;
  /** Why the peer has no number (not installed, disagreed). */
  torchNote: string | null;
  gflops: number;
}

function stat(xs: number[]): { median: number; min: number; max: number } {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/** Time every workload on gradscope and on PyTorch (when /usr/bin/python3 has torch). */
export function benchSequences(quick: boolean, size: "full" | "tiny" = "full"): SequenceRow[] {
  const here = fileURLToPath(new URL(".", import.meta.url));
  const tmp = mkdtempSync(join(tmpdir(), "gradscope-seqbench-"));
  const [repeats, perBlock, warmup] = quick ? [3, 3, 2] : [7, 8, 4];
  const rows: SequenceRow[] = [];
  try {
    for (const w of sequenceWorkloads(size)) {
      const path = join(tmp, "dump.json");
      const dumped = w.dump();
      writeFileSync(path, dumped.text);
      const firstLoss = dumped.loss;
      const rates = timeSteps(w.step, repeats, perBlock, warmup);
      const ours = stat(rates);
      let torch: SequenceRow["torch"] = null;
      let torchNote: string | null = null;
      const r = spawnSync(
        "/usr/bin/python3",
        [
          join(here, "peers/torch_sequence.py"),
          path,
          String(repeats),
          String(perBlock),
          String(warmup),
        ],
        { encoding: "utf8", timeout: 600_000 },
      );
      if (r.status !== 0) {
        torchNote = `PyTorch not run: ${(r.stderr || r.error?.message || "failed").trim().split("\n").pop()}`;
      } else {
        const out = JSON.parse(r.stdout) as {
          torch: string;
          module: string;
          check: { loss1: number };
          rates: number[];
        };
        const rel =
          firstLoss === null
            ? Number.NaN
            : Math.abs(out.check.loss1 - firstLoss) / Math.abs(firstLoss);
        if (!(rel <= 1e-3)) {
          torchNote = `PyTorch's first loss ${out.check.loss1} differs from ours ${firstLoss}: not compared`;
        } else {
          torch = { ...stat(out.rates), version: out.torch, module: out.module };
        }
      }
      rows.push({
        name: w.name,
        gradscope: ours,
        torch,
        torchNote,
        gflops: (w.flops * ours.median) / 1e9,
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}

export function formatSequenceBench(rows: readonly SequenceRow[]): string {
  const f = (s: { median: number; min: number; max: number }) =>
    `${s.median.toFixed(1)} (${s.min.toFixed(1)}-${s.max.toFixed(1)})`;
  const lines = ["steps/s, median (min-max); one step = forward + loss + backward + SGD"];
  for (const r of rows) {
    const peer = r.torch
      ? `PyTorch ${r.torch.version} (${r.torch.module}) ${f(r.torch)}`
      : (r.torchNote ?? "-");
    const ratio = r.torch ? `  ratio ${(r.gradscope.median / r.torch.median).toFixed(2)}x` : "";
    lines.push(
      `  ${r.name}`,
      `    gradscope ${f(r.gradscope)} (${r.gflops.toFixed(1)} GFLOP/s)   ${peer}${ratio}`,
    );
  }
  return lines.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { loadNativeKernels } = await import("../src/native/native-kernels.ts");
  const { setupNodeWasm } = await import("../src/wasm-threads/node.ts");
  setupNodeWasm();
  const native = loadNativeKernels();
  console.log(native.loaded ? `kernels: ${native.name}` : `kernels: no native (${native.reason})`);
  const size = process.argv.includes("--tiny") ? "tiny" : "full";
  console.log(formatSequenceBench(benchSequences(process.argv.includes("--quick"), size)));
}
