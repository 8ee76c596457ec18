/**
 * End to end: real PyTorch training runs recorded by python/gradscope_hook.py, read back with
 * readRunDir and judged by the verdict (src/verdict). python/examples/hook_cases.py trains
 * (a) a deep sigmoid MLP with PyTorch's default Linear init: vanishing at step 1;
 * (b) the same with ReLU and He init: neither vanishing nor exploding at step 1;
 * (c) a post-LN nn.TransformerEncoder: a valid run directory recording every module;
 * (d) an MLP with a huge learning rate: exploded, at the step its loss went non-finite.
 * Needs Debian's python3-torch, which .ci/run installs; outside CI the test is skipped, visibly,
 * when /usr/bin/python3 has no torch.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.ts";
import { captureOutput } from "../src/cli/test-output.ts";
import { readRunDir } from "../src/experiment/train/run-dir.ts";
import { type FlowJudgment, judgeFlow, layerPoint } from "../src/verdict/index.ts";

const PYTHON = "/usr/bin/python3";
const hasTorch = spawnSync(PYTHON, ["-c", "import torch"], { stdio: "ignore" }).status === 0;
if (!hasTorch && process.env.CI) throw new Error("CI must install python3-torch for the hook test");

/** config.json of a hook run (docs: python/README.md). */
interface HookConfig {
  source: string;
  name: string | null;
  hookVersion: number;
  every: number;
  /** histograms on every histEvery-th recorded step (python/README.md) */
  histEvery: number;
  /** activation statistics of larger tensors come from a sample of this many entries */
  activationSample: number;
  torch: string;
  dtype: "f32" | "f64";
  optimizer: { type: string; lr: number | null } | null;
  modules: {
    layer: number;
    path: string;
    type: string;
    params: number;
    activation: string | null;
  }[];
}

/** The fields of a hook run's layer entry this test reads (null: not measured). */
interface HookLayer {
  layer: number;
  path: string;
  q: number | null;
  gradPreactMeanSq: number | null;
  gradWeightNorm: number;
  weightNorm: number | null;
  nonfinite: number;
  underflow: boolean;
}

interface HookRecord {
  step: number;
  loss: number;
  gradNorm: number;
  layers: HookLayer[];
}

interface HookRun {
  config: HookConfig;
  records: HookRecord[];
  summary: {
    status: string;
    stepsDone: number;
    recordedSteps: number;
    explosion: { step: number; layer: number | null; what: string; message: string } | null;
  };
}

function readHookRun(dir: string): HookRun {
  const run = readRunDir(dir);
  expect(run.config, `${dir}/config.json`).not.toBeNull();
  expect(run.summary, `${dir}/summary.json`).not.toBeNull();
  return run as unknown as HookRun;
}

/**
 * The verdict of one recorded step over the hidden layers: the Linear modules followed by an
 * activation, in forward order, numbered 1..n as the verdict's layers.
 */
function judgeHidden(run: HookRun, record: HookRecord): FlowJudgment {
  const hidden = run.config.modules.filter((m) => m.type === "Linear" && m.activation !== null);
  const points = hidden.map((m, i) => {
    const l = record.layers.find((x) => x.layer === m.layer);
    if (!l || l.q === null || l.gradPreactMeanSq === null || l.weightNorm === null) {
      throw new Error(`step ${record.step}: ${m.path} not measured`);
    }
    return layerPoint({
      layer: i + 1,
      q: l.q,
      gradPreactMeanSq: l.gradPreactMeanSq,
      gradWeightNorm: l.gradWeightNorm,
      nonfinite: l.nonfinite,
      underflow: l.underflow,
      weightNorm: l.weightNorm,
    });
  });
  return judgeFlow(points, { dtype: run.config.dtype, unit: "layer" });
}

describe.skipIf(!hasTorch)("PyTorch hook: real training runs judged by the verdict", () => {
  const out = mkdtempSync(join(tmpdir(), "gradscope-hook-"));
  beforeAll(() => {
    execFileSync(PYTHON, ["python/examples/hook_cases.py", out], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    });
  }, 240_000);

  it("writes one run directory per case", () => {
    expect(readdirSync(out).sort()).toEqual([
      "explode",
      "relu-he-mlp",
      "sigmoid-mlp",
      "transformer",
    ]);
  });

  it("(a) a deep sigmoid MLP with PyTorch's default init is vanishing at step 1", () => {
    const run = readHookRun(join(out, "sigmoid-mlp"));
    expect(run.config.source).toBe("pytorch-hook");
    expect(run.config.histEvery).toBe(10);
    expect(run.config.activationSample).toBe(65536);
    const hidden = run.config.modules.filter((m) => m.activation === "sigmoid");
    expect(hidden).toHaveLength(10);
    expect(run.summary.status).toBe("completed");
    const first = run.records[0]!;
    expect(first.step).toBe(1);
    const j = judgeHidden(run, first);
    expect(j.verdict, j.message).toBe("vanishing");
    expect(j.severity).toBe("critical");
  });

  it("(b) the same MLP with ReLU and He init is neither vanishing nor exploding at step 1", () => {
    const run = readHookRun(join(out, "relu-he-mlp"));
    expect(run.config.modules.filter((m) => m.activation === "relu")).toHaveLength(10);
    const j = judgeHidden(run, run.records[0]!);
    expect(["vanishing", "exploding"], j.message).not.toContain(j.verdict);
    expect(j.severity, j.message).not.toBe("critical");
  });

  it("(c) a post-LN TransformerEncoder: every module with parameters is recorded at every step", () => {
    const run = readHookRun(join(out, "transformer"));
    const paths = run.config.modules.map((m) => m.path);
    const perLayer = ["self_attn", "self_attn.out_proj", "linear1", "linear2", "norm1", "norm2"];
    const expected = [
      "(root)",
      "emb",
      "head",
      ...[0, 1].flatMap((i) => perLayer.map((p) => `encoder.layers.${i}.${p}`)),
    ];
    expect([...paths].sort()).toEqual([...expected].sort());
    expect(run.config.modules.map((m) => m.layer)).toEqual(paths.map((_, i) => i + 1));
    expect(run.summary.status).toBe("completed");
    expect(run.records).toHaveLength(run.summary.stepsDone);
    for (const r of run.records) {
      expect(r.layers.map((l) => l.path)).toEqual(paths);
      for (const l of r.layers) {
        expect(l.q, `${l.path} q at step ${r.step}`).toBeGreaterThan(0);
        expect(l.gradPreactMeanSq, `${l.path} E[dz^2] at step ${r.step}`).toBeGreaterThan(0);
        expect(l.nonfinite).toBe(0);
      }
      expect(Number.isFinite(r.loss) && Number.isFinite(r.gradNorm)).toBe(true);
    }
    const linear1 = run.config.modules.find((m) => m.path === "encoder.layers.0.linear1");
    expect(linear1?.activation).toBe("relu");
  });

  it("(d) a huge learning rate explodes: the summary names the step where NaN/Inf appeared", () => {
    const run = readHookRun(join(out, "explode"));
    expect(run.summary.status).toBe("exploded");
    const e = run.summary.explosion;
    expect(e).not.toBeNull();
    const firstBad = run.records.find(
      (r) =>
        !Number.isFinite(r.loss) ||
        !Number.isFinite(r.gradNorm) ||
        r.layers.some((l) => l.nonfinite > 0),
    );
    expect(firstBad).toBeDefined();
    expect(e!.step).toBe(firstBad!.step);
    expect(e!.step).toBeGreaterThan(1);
    expect(e!.message).toContain(`step ${e!.step}`);
    // the steps before it were finite, and the gradient norm grew on the way
    const before = run.records.filter((r) => r.step < e!.step);
    expect(before.every((r) => Number.isFinite(r.loss))).toBe(true);
    expect(before.at(-1)!.gradNorm).toBeGreaterThan(before[0]!.gradNorm * 1e3);
  });

  it("gradscope diagnose RUN_DIR gives the runs the same verdicts", async () => {
    const verdicts: Record<string, string> = {};
    for (const c of ["sigmoid-mlp", "relu-he-mlp", "explode"]) {
      const output = captureOutput();
      expect(await main(["diagnose", join(out, c), "--json"], output)).toBe(0);
      const result = JSON.parse(output.stdout()) as { source: string; verdict: string };
      expect(result.source).toBe("imported");
      verdicts[c] = result.verdict;
    }
    expect(verdicts["sigmoid-mlp"]).toBe("vanishing");
    expect(["vanishing", "exploding", "exploded"]).not.toContain(verdicts["relu-he-mlp"]);
    expect(verdicts["explode"]).toBe("exploded");
  });
});
