import { Command } from "commander";
import { toJson } from "../../experiment/json-numbers.ts";
import { readSequenceRun } from "../../experiment/sequence-train/read.ts";
import { isSweepDir } from "../../experiment/sweep/results.ts";
import { RunDirError } from "../../report/html/load-run.ts";
import { writeSequenceReport } from "../../report/html/sequence-report.ts";
import { type ReportProgress, writeRunReport } from "../../report/html/write-report.ts";
import { UsageError } from "../errors.ts";
import { VERSION } from "../main.ts";
import type { Output } from "../output.ts";
import { renderBar } from "../progress.ts";
import { formatSweepReport, writeSweepReport } from "./sweep.ts";

export function reportCommand(output: Output): Command {
  const command = new Command("report")
    .description(
      "write RUN_DIR/report.html (self-contained: inline SVG figures, diagnosis, per-layer table, config) and RUN_DIR/figures/*.svg|png",
    )
    .argument(
      "<run_dir>",
      "a run directory written by gradscope train, or a sweep directory (gradscope sweep --out)",
    )
    .option("--json", "print {report, figures, notes, elapsedMs} as JSON")
    .option("--quiet", "no progress on stderr")
    .option(
      "--no-activations",
      "skip the activation histograms (they rebuild the network at initialization and load the run's data)",
    );
  command.addHelpText(
    "after",
    `
The report reads config.json, metrics.jsonl and summary.json. A run directory stores no raw
activations: the histograms come from rebuilding the network from config.json (same seed,
same initial weights, same first minibatch), so they show the network at step 1.

Exit status: 0 when written, 2 when RUN_DIR is missing, not a directory, or holds a missing
or corrupt file (a metrics.jsonl whose last line was cut short by a killed run is fine).

Examples:
  gradscope train --depth 20 --activation sigmoid --init standard-uniform --out runs/sigmoid
  gradscope report runs/sigmoid
  gradscope report runs/sigmoid --json`,
  );
  command.action(async (dir: string, opts: Record<string, unknown>) => {
    const json = opts["json"] === true;
    if (isSweepDir(dir)) {
      // a sweep directory (gradscope sweep --out DIR): its heatmap, with theory over it
      const r = await writeSweepReport(dir);
      output.out(json ? `${toJson(r, 2)}\n` : `${formatSweepReport(r)}\n`);
      return;
    }
    const quiet = opts["quiet"] === true;
    let drawn = false;
    const onProgress = (p: ReportProgress) => {
      if (quiet || !output.isTTY) return;
      const fraction = p.total > 0 ? p.done / p.total : 0;
      output.err(`\r\x1b[2K${renderBar(fraction)} report: ${p.stage}`);
      drawn = true;
    };
    let written: Awaited<ReturnType<typeof writeRunReport>>;
    try {
      const sequence = sequenceRunIn(dir); // a run of train --arch rnn|lstm|gru|transformer
      written = sequence
        ? await writeSequenceReport(dir, sequence, `gradscope ${VERSION}`)
        : await writeRunReport(dir, {
            onProgress,
            activations: opts["activations"] !== false,
            generator: `gradscope ${VERSION}`,
          });
    } catch (err) {
      if (err instanceof RunDirError) throw new UsageError(`report: ${err.message}`);
      throw err;
    } finally {
      if (drawn) output.err("\r\x1b[2K");
    }
    const elapsedMs = Math.round(written.timings.total);
    if (json) {
      output.out(
        `${toJson(
          {
            report: written.report,
            figures: written.figures,
            notes: written.notes,
            elapsedMs,
          },
          2,
        )}\n`,
      );
      return;
    }
    const lines = [
      `wrote ${written.report} (${written.figures.length} figures, ${(elapsedMs / 1000).toFixed(1)} s)`,
      ...written.figures.map((f) => `wrote ${f.svg}\nwrote ${f.png}`),
      ...written.notes.map((n) => `note: ${n}`),
    ];
    output.out(`${lines.join("\n")}\n`);
  });
  return command;
}

/** The directory's run when `train --arch` wrote it; null otherwise (the MLP's loader decides). */
function sequenceRunIn(dir: string): ReturnType<typeof readSequenceRun> {
  try {
    return readSequenceRun(dir);
  } catch {
    return null; // unreadable: the MLP's loader names the problem in one line
  }
}
