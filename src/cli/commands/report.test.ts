import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { LAYER_METRIC_COLUMNS } from "../../experiment/csv-export.ts";
import { diagnoseTraining } from "../../experiment/train/diagnose-training.ts";
import { train } from "../../experiment/train/trainer.ts";
import { escapeHtml } from "../../report/html/escape.ts";
import { METRIC_DISPLAY_NAMES } from "../../report/html/run-report.ts";
import { main } from "../main.ts";
import { captureOutput } from "../test-output.ts";

async function run(...argv: string[]) {
  const output = captureOutput();
  const code = await main(argv, output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

const base = mkdtempSync(join(tmpdir(), "gradscope-report-"));
/** A run directory name a browser would execute if it were pasted into HTML unescaped. */
const HOSTILE = `run<img src=x onerror=alert(1)>&"'`;
const DEPTH = 4;
let runDir = "";

/** A fresh copy of the trained run, to damage. */
function copyRun(name: string): string {
  const dir = join(base, name);
  cpSync(runDir, dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  runDir = join(base, HOSTILE);
  await train(
    { depth: DEPTH, width: 8, samples: 120, steps: 30, recordEvery: 5, evalEvery: 10, seed: 3 },
    { runDir, yieldEveryMs: 1e9 },
  );
}, 30_000);

describe("gradscope report", () => {
  it("a run that recorded no step yet still gets a report", async () => {
    const dir = copyRun("no-steps");
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
    writeFileSync(join(dir, "summary.json"), JSON.stringify({ ...summary, recordedSteps: 0 }));
    writeFileSync(join(dir, "metrics.jsonl"), "");
    const r = await run("report", dir, "--quiet");
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, "report.html"), "utf8")).toContain(
      "metrics.jsonl holds no recorded step yet",
    );
  });

  it("writes a self-contained report.html with inline SVG figures and figure files", async () => {
    const r = await run("report", runDir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${join(runDir, "report.html")}`);
    const html = readFileSync(join(runDir, "report.html"), "utf8");
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    // figures inline, nothing fetched: no script, no external reference
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(5);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).not.toContain("<style>:where(.plot-"); // Plot's page-wide rules stripped
    for (const title of [
      "Loss and accuracy during training",
      "Weight-gradient norm by layer",
      "Gradient norm ‖∂L/∂W‖ by layer and training step",
      "Update-to-weight ratio by layer",
      "Activation distribution by layer at initialization",
    ]) {
      expect(html).toContain(`<title>${title}`);
    }
    expect(html).toContain("guide 10⁻³"); // the update-ratio guide
    // figure files beside the report
    const files = readdirSync(join(runDir, "figures")).sort();
    // loss, gradient norm by layer, the heatmap, update ratios, the gradient norm over steps
    // (global and per layer, the first NaN/Inf marked) and the activation histograms
    expect(files.filter((f) => f.endsWith(".png"))).toHaveLength(6);
    expect(files.filter((f) => f.endsWith(".svg"))).toHaveLength(6);
    expect(files).toContain("gradient-steps.png");
    const png = readFileSync(join(runDir, "figures", "loss-curves.png"));
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join("")).toBe("PNG");
  });

  it("escapes every config value (the run directory name is hostile here)", async () => {
    await run("report", runDir, "--quiet");
    const html = readFileSync(join(runDir, "report.html"), "utf8");
    expect(html).not.toContain("<img");
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain("run&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;");
  });

  it("escapes hand-edited config strings in the page and inside the figures", async () => {
    const dir = copyRun("hostile-config");
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    config.dataset = "<script>alert(1)</script>";
    config.labelColumn = '"><b onmouseover=alert(2)>';
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
    const r = await run("report", dir, "--quiet");
    expect(r.code).toBe(0); // the histograms are left out (no such dataset), with a note
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(html).not.toMatch(/<script|<b onmouseover/);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&quot;&gt;&lt;b onmouseover=alert(2)&gt;");
    expect(html).toContain("Activation histograms left out");
    const svg = readFileSync(join(dir, "figures", "loss-curves.svg"), "utf8");
    expect(svg).not.toContain("<script");
  });

  it("has the per-layer table of the last recorded step with every metric field", async () => {
    await run("report", runDir, "--quiet");
    const html = readFileSync(join(runDir, "report.html"), "utf8");
    expect(html).toContain("Per-layer metrics at step 30 (last recorded)");
    const table = html.slice(html.indexOf('<table class="data">'));
    const head = table.slice(0, table.indexOf("</thead>")).replace(/<wbr>|&shy;/g, "");
    // every field, under its display name, with the field's name and definition on hover
    for (const field of [...LAYER_METRIC_COLUMNS, "updateRatio"]) {
      const shown = escapeHtml((METRIC_DISPLAY_NAMES[field] ?? field).replace(/&shy;/g, ""));
      expect(head).toContain(`title="${field}: `);
      expect(head).toContain(`>${shown}</th>`);
    }
    const body = table.slice(table.indexOf("<tbody>"), table.indexOf("</tbody>"));
    expect((body.match(/<tr>/g) ?? []).length).toBe(DEPTH);
    // the config, and the run's verdict and diagnosis from its records
    expect(html).toMatch(/<th scope="row">depth<\/th><td>4<\/td>/);
    expect(html).toContain("<h2>Diagnosis</h2>");
    expect(html).toMatch(
      /<li class="(good|bad)" id="verdict"><span class="badge (good|bad)">[a-z-]+<\/span> <strong>verdict:<\/strong>/,
    );
  });

  it("diagnoses the run's records with today's rules, not a stale diagnosis in summary.json", async () => {
    const dir = copyRun("diagnosed");
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
    // what an older version (or a hand edit) left behind: shown nowhere
    summary.diagnosis = {
      verdict: "healthy",
      findings: [{ id: "vanishing", severity: "critical", title: "Stale <b>finding</b>" }],
      healthy: false,
      headline: "critical: stale",
    };
    writeFileSync(join(dir, "summary.json"), JSON.stringify(summary));
    const r = await run("report", dir, "--quiet", "--no-activations");
    expect(r.code).toBe(0);
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(html).toContain("<h2>Diagnosis</h2>");
    expect(html).not.toContain("Stale &lt;b&gt;finding");
    expect(html).not.toContain("critical: stale");
    const records = readFileSync(join(dir, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    const fresh = diagnoseTraining(config, records, summary);
    expect(html).toContain(`<strong>verdict:</strong> ${escapeHtml(fresh.verdictMessage)}`);
    for (const f of fresh.findings) expect(html).toContain(escapeHtml(f.title));
    expect(html).not.toContain("Activation distribution by layer at initialization");
  });

  it("draws a progress line on a terminal and clears it when done", async () => {
    const output = { ...captureOutput(), isTTY: true };
    let err = "";
    output.err = (t: string) => {
      err += t;
    };
    expect(await main(["report", runDir, "--no-activations"], output)).toBe(0);
    expect(err).toContain("report: figures/gradient-heatmap.png");
    expect(err).toContain("report: report.html");
    expect(err.endsWith("\r\x1b[2K")).toBe(true);
  });

  it("tolerates a last metrics line cut short, and says so", async () => {
    const dir = copyRun("torn");
    appendFileSync(join(dir, "metrics.jsonl"), '{"step":35,"epoch":2,"loss":0.9,"la');
    const r = await run("report", dir, "--json");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.report).toBe(join(dir, "report.html"));
    expect(json.notes.join(" ")).toMatch(/last line of metrics\.jsonl was cut short/);
    expect(existsSync(json.report)).toBe(true);
  });

  const oneLine = (stderr: string) => {
    expect(stderr).toMatch(/^gradscope: report: [^\n]+\n$/);
  };

  it("bad input: exit 2 with one line", async () => {
    const missing = await run("report", join(base, "nope"));
    expect(missing.code).toBe(2);
    oneLine(missing.stderr);
    expect(missing.stderr).toContain("does not exist");

    const file = join(base, "a-file");
    writeFileSync(file, "x");
    const notDir = await run("report", file);
    expect(notDir.code).toBe(2);
    oneLine(notDir.stderr);
    expect(notDir.stderr).toContain("is not a directory");

    const empty = join(base, "empty");
    mkdirSync(empty);
    const noSummary = await run("report", empty);
    expect(noSummary.code).toBe(2);
    oneLine(noSummary.stderr);
    expect(noSummary.stderr).toContain("has no summary.json");

    const badJson = copyRun("bad-json");
    writeFileSync(join(badJson, "summary.json"), '{"status": "completed", ');
    const r1 = await run("report", badJson);
    expect(r1.code).toBe(2);
    oneLine(r1.stderr);
    expect(r1.stderr).toMatch(/summary\.json is not valid JSON/);

    const badConfig = copyRun("bad-config");
    writeFileSync(join(badConfig, "config.json"), "[1, 2]");
    const r2 = await run("report", badConfig);
    expect(r2.code).toBe(2);
    oneLine(r2.stderr);
    expect(r2.stderr).toContain("config.json must hold a JSON object");

    const corrupt = copyRun("corrupt-line");
    const lines = readFileSync(join(corrupt, "metrics.jsonl"), "utf8").split("\n");
    lines[1] = lines[1]!.slice(0, 40); // a damaged line that is not the last
    writeFileSync(join(corrupt, "metrics.jsonl"), lines.join("\n"));
    const r3 = await run("report", corrupt);
    expect(r3.code).toBe(2);
    oneLine(r3.stderr);
    expect(r3.stderr).toMatch(/metrics\.jsonl line 2/);

    const emptied = copyRun("emptied-metrics");
    writeFileSync(join(emptied, "metrics.jsonl"), "");
    const r4 = await run("report", emptied);
    expect(r4.code).toBe(2);
    oneLine(r4.stderr);
    expect(r4.stderr).toMatch(/holds 0 recorded steps but summary\.json counts 7/);

    const notRecords = copyRun("not-records");
    writeFileSync(join(notRecords, "metrics.jsonl"), "[1]\n[2]\n");
    const r5 = await run("report", notRecords);
    expect(r5.code).toBe(2);
    oneLine(r5.stderr);
    expect(r5.stderr).toContain("record 1: expected {step, layers: [...], ...}");
  });
});
