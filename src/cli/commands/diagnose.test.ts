import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { contradictions } from "../../diagnose/consistency.ts";
import type { Diagnosis } from "../../diagnose/types.ts";
import { judgedModules } from "../../experiment/run-diagnosis.ts";
import { main } from "../main.ts";
import { captureOutput } from "../test-output.ts";

async function run(...argv: string[]) {
  const output = captureOutput();
  const code = await main(argv, output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

const base = mkdtempSync(join(tmpdir(), "gradscope-diagnose-"));

/**
 * An imported run as python/gradscope_hook.py writes it: 6 Linear+Sigmoid modules whose
 * mean-square output gradient shrinks 0.05x per module toward the input, with no activation
 * statistics (saturated, dead) and no update ratios recorded.
 */
function importedRun(dir: string, steps: number): void {
  const L = 6;
  const modules = Array.from({ length: L }, (_, i) => ({
    layer: i + 1,
    path: `net.${2 * i}`,
    type: "Linear",
    params: 1056,
    activation: "sigmoid",
  }));
  writeFileSync(
    join(dir, "config.json"),
    JSON.stringify({
      source: "pytorch-hook",
      name: "deep sigmoid",
      hookVersion: 1,
      every: 1,
      dtype: "f32",
      optimizer: { type: "SGD", lr: 0.1 },
      modules,
    }),
  );
  const lines: string[] = [];
  for (let step = 1; step <= steps; step++) {
    const layers = modules.map((m) => ({
      layer: m.layer,
      path: m.path,
      q: 0.3,
      gradPreactMeanSq: 0.05 ** (L - m.layer),
      gradWeightNorm: 0.2 * 0.05 ** ((L - m.layer) / 2),
      gradBiasNorm: 0.01,
      weightNorm: 3,
      gradToWeight: 1e-3,
      actMean: 0.5,
      actStd: 0.1,
      nonfinite: 0,
    }));
    lines.push(JSON.stringify({ step, loss: 1.1, gradNorm: 0.25, lr: 0.1, layers }));
  }
  writeFileSync(join(dir, "metrics.jsonl"), `${lines.join("\n")}\n`);
  writeFileSync(
    join(dir, "summary.json"),
    JSON.stringify({
      status: "completed",
      steps: null,
      stepsDone: steps,
      recordedSteps: steps,
      initialLoss: 1.1,
      finalLoss: 1.1,
      explosion: null,
      message: `completed ${steps} steps`,
    }),
  );
}

describe("gradscope diagnose", () => {
  it("gives a train run the verdict and diagnosis train gave it", async () => {
    const dir = join(base, "trained");
    const t = await run(
      "train",
      ..."--depth 10 --width 24 --activation sigmoid --init standard-uniform --steps 40 --dataset blobs --quiet --json --out".split(
        " ",
      ),
      dir,
    );
    expect(t.code).toBe(0);
    const trained = JSON.parse(t.stdout) as { summary: { verdict: string; diagnosis: Diagnosis } };
    const d = await run("diagnose", dir, "--json");
    expect(d.code).toBe(0);
    const json = JSON.parse(d.stdout) as { source: string; verdict: string; diagnosis: Diagnosis };
    expect(json.source).toBe("gradscope");
    expect(json.verdict).toBe("vanishing");
    expect(json.verdict).toBe(trained.summary.verdict);
    expect(json.diagnosis.findings.map((f) => f.id)).toEqual(
      trained.summary.diagnosis.findings.map((f) => f.id),
    );
    expect(contradictions(json.diagnosis)).toEqual([]);
    const text = await run("diagnose", dir);
    expect(text.stdout).toMatch(/^gradscope diagnose: .*gradscope train, depth 10, sigmoid/);
    expect(text.stdout).toContain(`verdict: ${json.diagnosis.verdictMessage}`);
  });

  it("judges an imported run from its measurements, and says what it cannot measure", async () => {
    const dir = mkdtempSync(join(base, "imported-"));
    importedRun(dir, 5);
    const d = await run("diagnose", dir, "--json");
    expect(d.code).toBe(0);
    const json = JSON.parse(d.stdout) as { source: string; verdict: string; diagnosis: Diagnosis };
    expect(json.source).toBe("imported");
    // E[dz^2] at module 2 over module 6: 0.05^4 = 6.25e-6
    expect(json.verdict).toBe("vanishing");
    expect(json.diagnosis.primary).toBe("vanishing");
    expect(contradictions(json.diagnosis)).toEqual([]);
    const v = json.diagnosis.findings[0]!;
    expect(v.evidence[0]!.value).toBeCloseTo(0.05 ** 4, 15);
    // no mean-field claim about a model gradscope did not build
    expect(v.cause).toContain("no mean-field prediction");
    expect(v.cause).not.toMatch(/chi1|standard-uniform|sigma_w\^2 =/);
    const missing = Object.fromEntries(
      (json.diagnosis.notMeasurable ?? []).map((n) => [n.id, n.missing]),
    );
    expect(missing["saturation"]).toEqual(["saturated"]);
    expect(missing["unstable-updates"]).toEqual(["updateRatio"]);
    const text = await run("diagnose", dir);
    expect(text.stdout).toContain("imported from pytorch-hook (deep sigmoid), 6 modules");
    expect(text.stdout).toContain("not measurable here: saturation (the run has no saturated)");
  });

  it("reports an imported run: the same verdict, figures from its metrics, its modules", async () => {
    const dir = mkdtempSync(join(base, "imported-report-"));
    importedRun(dir, 4);
    const verdict = JSON.parse((await run("diagnose", dir, "--json")).stdout) as {
      diagnosis: Diagnosis;
    };
    const r = await run("report", dir, "--quiet");
    expect(r.code).toBe(0);
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(html).toContain("Training run report: deep sigmoid, 6 modules");
    expect(html).toContain(`<strong>verdict:</strong> ${verdict.diagnosis.verdictMessage}`);
    expect(html).toContain("Recorded from the user's own model");
    expect(html).toContain("1. net.0");
    expect(html).not.toContain("NaN%");
    for (const f of ["loss-curves", "gradient-norm", "gradient-heatmap"]) {
      expect(html).toContain(`figures/${f}.png`);
    }
  });

  it("refuses a missing directory, a file, and a directory without config.json (exit 2)", async () => {
    const missing = await run("diagnose", join(base, "nope"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^gradscope: diagnose: .*nope does not exist\n$/);
    const file = join(base, "file.txt");
    writeFileSync(file, "x");
    expect((await run("diagnose", file)).stderr).toMatch(/is not a directory/);
    const empty = mkdtempSync(join(base, "empty-"));
    const e = await run("diagnose", empty);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/has no config\.json/);
    // a corrupt line in the middle is named, not a stack trace
    const torn = mkdtempSync(join(base, "torn-"));
    importedRun(torn, 3);
    const lines = readFileSync(join(torn, "metrics.jsonl"), "utf8").split("\n");
    lines[1] = "{not json";
    writeFileSync(join(torn, "metrics.jsonl"), lines.join("\n"));
    const t = await run("diagnose", torn);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/metrics\.jsonl line 2/);
  });
});

describe("judgedModules", () => {
  it("judges weight layers at their own output: no norms, embeddings or borrowed outputs", () => {
    const modules = [
      { layer: 1, path: "emb", type: "Embedding" },
      { layer: 2, path: "l.0.self_attn", type: "MultiheadAttention" },
      { layer: 3, path: "l.0.self_attn.out_proj", type: "Linear", outputOf: "l.0.self_attn" },
      { layer: 4, path: "l.0.linear1", type: "Linear", outputOf: "l.0.linear1" },
      { layer: 5, path: "l.0.norm1", type: "LayerNorm" },
      { layer: 6, path: "l.0.linear2", type: "Linear" },
      { layer: 7, path: "head", type: "Conv2d" },
    ];
    expect(judgedModules({ source: "pytorch-hook", modules })).toEqual([4, 6, 7]);
    // fewer than two weight layers: every module
    expect(judgedModules({ source: "pytorch-hook", modules: modules.slice(0, 3) })).toEqual([
      1, 2, 3,
    ]);
  });
});
