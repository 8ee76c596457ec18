import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatFindings } from "../../cli/format/findings.ts";
import { main } from "../../cli/main.ts";
import { captureOutput } from "../../cli/test-output.ts";
import type { TrainConfig } from "../../experiment/config.ts";
import { diagnoseRunContents, type ImportedRunConfig } from "../../experiment/run-diagnosis.ts";
import { readRunDir } from "../../experiment/train/run-dir.ts";
import { nodeDocument } from "../../report/node-dom.ts";
import { diagnoseStore } from "./diagnosis.ts";
import { RunFigures } from "./figure-data.ts";
import { histogramSteps } from "./figures/histogram-steps.ts";
import { moduleHeatmap } from "./figures/module-heatmap.ts";
import { stepSeries } from "./figures/step-series.ts";
import { updateRatioRows } from "./figures/update-ratio.ts";
import { parseRecordLine, reviveNonFinite } from "./parse.ts";
import { HIST_CAP, RunStore } from "./run-store.ts";
import { fixtureConfig, fixtureLines, fixtureSummary } from "./testing/imported-fixture.ts";

const document = nodeDocument();

function storeOf(config: unknown, lines: string[]): RunStore {
  const store = new RunStore(config as ImportedRunConfig | null);
  for (const line of lines) store.add(parseRecordLine(line));
  return store;
}

describe("RunStore and the Run view's figures", () => {
  it("says what `gradscope diagnose` says about a train run", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "gradscope-runview-")), "run");
    const output = captureOutput();
    const code = await main(
      [
        "train",
        ..."--depth 10 --width 16 --activation sigmoid --init standard-uniform --steps 30 --record-every 1 --dataset blobs --quiet --out".split(
          " ",
        ),
        dir,
      ],
      output,
    );
    expect(code).toBe(0);
    const run = readRunDir(dir);
    const lines = readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n");
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"), reviveNonFinite);
    const store = storeOf(config, lines);
    expect(store.size).toBe(run.records.length);
    expect(store.modules.map((m) => m.name)).toEqual(
      Array.from({ length: 10 }, (_, i) => `layer ${i + 1}`),
    );
    const ours = diagnoseStore(store, run.summary);
    const cli = diagnoseRunContents(run.config as unknown as TrainConfig, run.records, run.summary);
    expect(ours.verdictMessage).toBe(cli.diagnosis.verdictMessage);
    expect(ours.lines.slice(0, formatFindings(cli.diagnosis).length)).toEqual(
      formatFindings(cli.diagnosis),
    );
    const d = await (async () => {
      const o = captureOutput();
      await main(["diagnose", dir], o);
      return o.stdout();
    })();
    expect(d).toContain(`verdict: ${ours.verdictMessage}`);
    for (const line of ours.lines) expect(d).toContain(line);
    expect(store.hasUpdateRatio).toBe(true);
    expect(store.hasHist).toBe(false);
  }, 60_000);

  it("reads an imported run: modules by path, groups, spikes, histograms, the CLI's words", () => {
    const lines = fixtureLines({ steps: 90, spikeAt: 40 });
    const store = storeOf(fixtureConfig(), lines);
    expect(store.modules).toHaveLength(14);
    expect(store.modules[1]!.name).toBe("encoder.layers.0.self_attn");
    const figs = new RunFigures(store, fixtureSummary(90));
    expect(figs.groups.map((g) => g.label)).toEqual([
      "embed",
      "encoder.layers.0.*",
      "encoder.layers.1.*",
      "encoder.layers.2.*",
      "head",
    ]);
    expect(figs.lossSpikes.map((i) => store.steps[i])).toEqual([40]);
    expect(figs.gradSpikes.map((i) => store.steps[i])).toEqual([40]);
    expect(figs.firstNonFiniteStep).toBeNull();
    // the diagnosis reads the slimmed records exactly as the full ones
    const full = lines.map((l) => JSON.parse(l, reviveNonFinite));
    const cli = diagnoseRunContents(fixtureConfig() as ImportedRunConfig, full, null);
    const ours = diagnoseStore(store, null);
    expect(ours.diagnosis).toEqual(cli.diagnosis);

    const choice = { order: "depth" as const, collapsed: ["encoder.layers.1"] };
    const heat = figs.heatmap(choice, 900);
    expect(heat.rows.map((r) => r.label)).toContain("encoder.layers.1.*");
    expect(heat.rows).toHaveLength(11);
    const svg = moduleHeatmap(heat, { document, width: 900 });
    expect(svg).toContain("encoder.layers.0.linear1");
    expect(svg).toContain("log₁₀ ‖∂L/∂W‖ (scale fixed for the run)");
    expect(svg).toContain("training step");
    const loss = stepSeries(figs.series("loss", 600), { document, width: 600 });
    expect(loss).toContain("1 spike");
    const grad = stepSeries(figs.series("gradNorm", 600), { document, width: 600 });
    expect(grad).toContain("log scale");
    const upd = updateRatioRows(figs.updates(choice, 800), { document, width: 800 });
    expect(upd).toContain("log₁₀(std ΔW / std W)");
    const hist = histogramSteps(figs.histograms(2, "grad"), { document, width: 800 });
    expect(hist).toContain("share of the sampled entries");
    expect(hist).toContain("encoder.layers.0.linear1");
  });

  it("marks the first non-finite step, and keeps at most 2 x HIST_CAP histogram steps", () => {
    const store = storeOf(fixtureConfig(), fixtureLines({ steps: 600, nanFrom: 500 }));
    const figs = new RunFigures(store, null);
    expect(figs.firstNonFiniteStep).toBe(500);
    expect(store.hist.length).toBeLessThan(2 * HIST_CAP);
    expect(store.hist.length).toBeGreaterThanOrEqual(HIST_CAP / 2);
    expect(store.hist[0]!.step).toBe(1);
    expect(diagnoseStore(store, null).verdict).toBe("exploded");
    const svg = stepSeries(figs.series("loss", 700), { document, width: 700 });
    expect(svg).toContain("first NaN/Inf at step 500");
  });

  it("thins 10^5 records to about one bin per two pixels", () => {
    const steps = 100_000;
    const store = new RunStore(null);
    for (let s = 1; s <= steps; s++) {
      store.add({
        step: s,
        loss: 1 + (s === 77_777 ? 100 : 0),
        gradNorm: 1,
        layers: [
          { layer: 1, gradWeightNorm: 0.1, updateRatio: -3 },
          { layer: 2, gradWeightNorm: 1, updateRatio: -3 },
        ],
      });
    }
    const figs = new RunFigures(store, null);
    const series = figs.series("loss", 800);
    expect(series.points.length).toBeLessThanOrEqual(800);
    expect(series.spikes).toEqual([{ x: 77_777, y: 101 }]);
    expect(series.points).toContainEqual({ x: 77_777, y: 101 });
    expect(figs.heatmap({ order: "depth", collapsed: [] }, 800).edges.length).toBeLessThan(400);
    // without config.json the modules are judged as an imported run's
    expect(diagnoseStore(store, null).verdictMessage).toMatch(/^[a-z-]+:/);
  });

  it("writes its fixture as a run directory the CLI diagnoses", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gradscope-runview-fixture-"));
    writeFileSync(join(dir, "config.json"), JSON.stringify(fixtureConfig()));
    writeFileSync(join(dir, "metrics.jsonl"), `${fixtureLines({ steps: 20 }).join("\n")}\n`);
    const o = captureOutput();
    expect(await main(["diagnose", dir], o)).toBe(0);
    expect(o.stdout()).toContain("imported from pytorch-hook (tiny transformer), 14 modules");
  });
});
