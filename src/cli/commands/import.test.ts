import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { contradictions } from "../../diagnose/consistency.ts";
import type { Diagnosis } from "../../diagnose/types.ts";
import { encodeEvent } from "../../experiment/import/events.ts";
import { frameRecord } from "../../experiment/import/tfrecord.ts";
import { main } from "../main.ts";
import { captureOutput } from "../test-output.ts";

async function run(...argv: string[]) {
  const output = captureOutput();
  const code = await main(argv, output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

const FIXTURES = join(
  dirname(fileURLToPath(import.meta.url)),
  "../../../test/fixtures/tensorboard",
);
const tmp = mkdtempSync(join(tmpdir(), "gradscope-import-"));
let n = 0;
const fresh = () => join(tmp, `run-${++n}`);

interface Diagnosed {
  verdict: string;
  verdictMessage: string;
  diagnosis: { primary: string | null; notMeasurable: { id: string; missing: string[] }[] };
}

async function importAndDiagnose(
  fixture: string,
): Promise<{ out: string; stdout: string; d: Diagnosed }> {
  const out = fresh();
  const imp = await run("import", "tensorboard", join(FIXTURES, fixture), "--out", out);
  expect(imp.stderr).toBe("");
  expect(imp.code).toBe(0);
  const diag = await run("diagnose", out, "--json");
  expect(diag.code).toBe(0);
  return { out, stdout: imp.stdout, d: JSON.parse(diag.stdout) as Diagnosed };
}

const notMeasurable = (d: Diagnosed) =>
  Object.fromEntries(d.diagnosis.notMeasurable.map((m) => [m.id, m.missing]));

describe("gradscope import tensorboard", () => {
  it("imports the vanishing sigmoid MLP (TF1 summaries); diagnose says what it cannot judge and shows the weight-gradient profile", async () => {
    const { out, stdout, d } = await importAndDiagnose("vanishing-sigmoid");
    expect(stdout).toContain(
      "10 modules (layers.0, layers.1, layers.2, layers.3, layers.4, layers.5, layers.6, layers.7, layers.8, layers.9)",
    );
    expect(stdout).toContain("5 recorded steps (1..40)");
    expect(stdout).toContain("loss: scalar 'train/loss'");
    const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    expect(config).toMatchObject({
      source: "tensorboard",
      importVersion: 1,
      tensorboard: { lossTag: "train/loss", histograms: "exact" },
    });
    const lines = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(5);
    const first = JSON.parse(lines[0]!);
    expect(first.layers[0]).toMatchObject({
      path: "layers.0",
      q: null,
      gradPreactMeanSq: null,
      nonfinite: 0,
    });
    expect(first.layers[0].histograms.weight.grad.counts.length).toBeGreaterThan(0);
    expect(d.verdict).toBe("not-judged"); // not "healthy": the flow across layers is unmeasured
    expect(d.verdictMessage).toBe(
      "not-judged: the run has no per-layer dL/dz (gradPreactMeanSq), which the vanishing and exploding verdicts read; the verdict's other checks pass (no NaN/Inf, the gradient norm did not grow over 1000x); shown, not judged: the weight-gradient norm of module 1 over module 10 at step 40 is 1.11e-8 (dL/dW also carries each layer's input, so it cannot tell a vanishing gradient from a shrinking signal)",
    );
    expect(notMeasurable(d)).toEqual({
      exploding: ["gradPreactMeanSq"],
      vanishing: ["gradPreactMeanSq"],
      underflow: ["gradPreactMeanSq"],
      "forward-signal": ["q", "gradPreactMeanSq"],
      "dead-units": ["dead", "inactive"],
      saturation: ["saturated"],
      "unstable-updates": ["updateRatio"],
    });
    const text = await run("diagnose", out);
    expect(text.stdout).toContain(
      "not measurable here: vanishing (the run has no gradPreactMeanSq)",
    );
    const report = await run("report", out);
    expect(report.code).toBe(0);
    expect(text.stdout).toContain(
      "partly measurable: exploding, judged from the global gradient norm and NaN/Inf only (the run has no gradPreactMeanSq)",
    );
    expect(readFileSync(join(out, "report.html"), "utf8")).toContain("not-judged: the run has no");
  });

  it("imports the exploding tanh MLP: exploding, with the steps of the growth", async () => {
    const { d } = await importAndDiagnose("exploding");
    expect(d.verdict).toBe("exploding");
    expect(d.verdictMessage).toBe(
      "exploding: the global gradient norm grew 1.17e8x from step 1 to step 20 (1.75 to 2.05e8)",
    );
    // without per-layer dL/dz the exploding rule judges from the global gradient norm: the
    // finding agrees with the verdict, leads, and carries the remedies
    expect(notMeasurable(d)["exploding"]).toEqual(["gradPreactMeanSq"]);
    expect(d.diagnosis.primary).toBe("exploding");
    expect(contradictions(d.diagnosis as unknown as Diagnosis)).toEqual([]);
  });

  it("imports TF2 tensor summaries (plugins scalars and histograms) made by tensorboard's summary_v2", async () => {
    const { out, stdout } = await importAndDiagnose("tf2-relu");
    expect(stdout).toContain("4 modules (dense_0, dense_1, dense_2, dense_3)");
    expect(stdout).toContain("loss: scalar 'epoch_loss'");
    const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    expect(config.tensorboard.histograms).toBe("estimated from buckets");
    expect(config.modules[0]).toMatchObject({ path: "dense_0", weight: "kernel" });
    const first = JSON.parse(readFileSync(join(out, "metrics.jsonl"), "utf8").split("\n")[0]!);
    expect(first.layers[0].gradWeightNorm).toBeGreaterThan(0);
    expect(first.layers[0].histograms.kernel.grad.estimated).toBe(true);
  });

  it("warns with the file and byte offset of a corrupt or truncated record and reads the rest", async () => {
    const src = join(FIXTURES, "vanishing-sigmoid");
    const name = readdirSync(src)[0]!;
    const bytes = readFileSync(join(src, name));
    const logdir = fresh();
    mkdirSync(logdir);
    const corrupt = Uint8Array.from(bytes);
    corrupt[5000] = corrupt[5000]! ^ 0xff;
    writeFileSync(join(logdir, name), corrupt.subarray(0, corrupt.length - 100)); // and cut short
    const out = fresh();
    const r = await run("import", "tensorboard", logdir, "--out", out);
    expect(r.code).toBe(0);
    const warnings = r.stderr.trim().split("\n");
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      new RegExp(
        `^gradscope: warning: ${join(logdir, name)}: byte \\d+: corrupt record (data|header)`,
      ),
    );
    expect(warnings[1]).toMatch(/: byte \d+: truncated record .*the rest of the file is ignored$/);
    expect(r.stdout).toContain("2 warnings (above)");
    expect(existsSync(join(out, "metrics.jsonl"))).toBe(true);
  });

  it("reads a run made in code: Keras-style train/ and validation/ directories, a NaN loss", async () => {
    const logdir = fresh();
    for (const d of ["train", "validation"]) mkdirSync(join(logdir, d), { recursive: true });
    const events: Uint8Array[] = [
      frameRecord(encodeEvent({ wallTime: 1, fileVersion: "brain.Event:2" })),
    ];
    for (let step = 1; step <= 3; step++) {
      const value = [
        { tag: "epoch_loss", simpleValue: step === 3 ? Number.NaN : 1 / step },
        ...[0, 1, 2].flatMap((k) => [
          { tag: `dense_${k}/kernel_0`, histo: { min: -1, max: 1, num: 2, sum: 0, sumSquares: 2 } },
          {
            tag: `dense_${k}/kernel_0/grad`,
            histo: { min: -0.1, max: 0.1, num: 2, sum: 0, sumSquares: 0.02 },
          },
        ]),
      ];
      events.push(frameRecord(encodeEvent({ wallTime: step, step, summary: { value } })));
    }
    writeFileSync(join(logdir, "train", "events.out.tfevents.1.host"), Buffer.concat(events));
    writeFileSync(
      join(logdir, "validation", "events.out.tfevents.1.host"),
      frameRecord(
        encodeEvent({ step: 1, summary: { value: [{ tag: "epoch_loss", simpleValue: 2 }] } }),
      ),
    );
    const out = fresh();
    const r = await run("import", "tensorboard", logdir, "--out", out);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("2 event files (run: train)");
    expect(r.stdout).toContain("loss: scalar 'epoch_loss'");
    expect(r.stdout).toContain("exploded at step 3: the loss ('epoch_loss') is NaN");
    const d = JSON.parse((await run("diagnose", out, "--json")).stdout) as Diagnosed;
    expect(d.verdict).toBe("exploded");
    expect(d.verdictMessage).toMatch(/^exploded: NaN\/Inf at step 3/);
  });

  it("refuses bad input with one line and exit 2, and never overwrites a run", async () => {
    const missing = await run("import", "tensorboard", join(tmp, "nope"), "--out", fresh());
    expect(missing).toMatchObject({ code: 2, stdout: "" });
    expect(missing.stderr).toBe(
      `gradscope: import tensorboard: ${join(tmp, "nope")} does not exist\n`,
    );
    const empty = fresh();
    mkdirSync(empty);
    const none = await run("import", "tensorboard", empty, "--out", fresh());
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/holds no TensorBoard event files/);
    const notTf = fresh();
    mkdirSync(notTf);
    writeFileSync(join(notTf, "events.out.tfevents.123.host"), "step,loss\n1,0.5\n");
    const bad = await run("import", "tensorboard", notTf, "--out", fresh());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      `gradscope: import tensorboard: ${notTf}: events.out.tfevents.123.host is not a TFRecord file (no valid record header at byte 0)\n`,
    );
    // two runs with histograms: refuse, naming them
    const two = fresh();
    for (const d of ["a", "b"]) {
      mkdirSync(join(two, d), { recursive: true });
      copyFileSync(
        join(FIXTURES, "tf2-relu", readdirSync(join(FIXTURES, "tf2-relu"))[0]!),
        join(two, d, "events.out.tfevents.1.h"),
      );
    }
    const both = await run("import", "tensorboard", two, "--out", fresh());
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(
      /holds 2 runs with parameter histograms \(a, b\): import one at a time/,
    );
    // an existing run is left alone
    const { out } = await importAndDiagnose("tf2-relu");
    const before = readFileSync(join(out, "metrics.jsonl"), "utf8");
    const again = await run("import", "tensorboard", join(FIXTURES, "exploding"), "--out", out);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds a run/);
    expect(readFileSync(join(out, "metrics.jsonl"), "utf8")).toBe(before);
  });

  it("has help like the other commands", async () => {
    const r = await run("import", "tensorboard", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: gradscope import tensorboard [options] <logdir>");
    expect(r.stdout).toContain("Exit status:");
    expect((await run("import", "--help")).stdout).toContain("tensorboard");
  });
});
