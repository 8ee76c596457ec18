import { Command } from "commander";
import { toJson } from "../../experiment/json-numbers.ts";
import { RunDirError } from "../../report/html/load-run.ts";
import { type ReportProgress, writeRunReport } from "../../report/html/write-report.ts";
import { UsageError } from "../errors.ts";
import { VERSION } from "../main.ts";
import type { Output } from "../output.ts";
import { renderBar } from "../progress.ts";

export function reportCommand(output: Output): Command {
  const command = new Command("report")
    .description(
      "write RUN_DIR/report.html (self-contained: inline SVG figures, diagnosis, per-layer table, config) and RUN_DIR/figures/*.svg|png",
    )
    .argument("<run_dir>", "a run directory written by gradscope train")
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
      written = await writeRunReport(dir, {
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
