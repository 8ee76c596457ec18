import { mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type Command, Option } from "commander";
import { type CsvTable, toCsv } from "../experiment/csv-export.ts";
import type { NamedFigure } from "../report/figures-for/common.ts";
import { renderFigureFiles } from "../report/render-node.ts";
import { UsageError } from "./errors.ts";
import type { Output } from "./output.ts";

/**
 * `--plot DIR` and `--csv FILE`, shared by the commands that compute tables and figures:
 * options with one help style, early checks (before a long computation), and the writers,
 * which report every path written: on stdout, or on stderr when --json keeps stdout for JSON.
 */

/**
 * Add `--plot <dir>` and `--csv <file>` to a command. A command whose `--csv` already means
 * something else (train: the CSV dataset to learn from) gets `--csv-out <file>` instead;
 * every other command accepts `--csv-out` too (hidden), so scripts can use one name.
 */
export function addPlotCsvOptions(
  command: Command,
  figures: string,
  table: string,
  options: { csvFlag?: "csv" | "csv-out" } = {},
): Command {
  const csvFlag = options.csvFlag ?? "csv";
  command
    .option("--plot <dir>", `write ${figures} as SVG and PNG into DIR (created if missing)`)
    .option(`--${csvFlag} <file>`, `write ${table} as CSV (RFC 4180, header row) to FILE`);
  if (csvFlag === "csv") command.addOption(new Option("--csv-out <file>").hideHelp());
  return command;
}

export interface PlotCsvFlags {
  plot?: string;
  csv?: string;
}

/**
 * The --plot / --csv values of parsed options, checked (call it before the work, so a bad
 * path fails at once rather than after a long computation).
 */
export function plotCsvFlags(
  opts: Record<string, unknown>,
  csvKey: "csv" | "csvOut" = "csv",
): PlotCsvFlags {
  const flags: PlotCsvFlags = {};
  if (typeof opts["plot"] === "string") flags.plot = opts["plot"];
  const csv = opts[csvKey] ?? opts["csvOut"];
  if (typeof csv === "string") flags.csv = csv;
  checkPlotCsvFlags(flags);
  return flags;
}

function kind(path: string): "dir" | "file" | "none" {
  try {
    return statSync(path).isDirectory() ? "dir" : "file";
  } catch {
    return "none";
  }
}

/** Refuse, before any work, a --plot that is a file or a --csv that is a directory. */
export function checkPlotCsvFlags(flags: PlotCsvFlags): void {
  if (flags.plot !== undefined) {
    if (flags.plot.trim() === "") throw new UsageError("--plot needs a directory name");
    if (kind(flags.plot) === "file") {
      throw new UsageError(`--plot ${flags.plot} is a file, not a directory`);
    }
  }
  if (flags.csv !== undefined) {
    if (flags.csv.trim() === "") throw new UsageError("--csv needs a file name");
    if (kind(flags.csv) === "dir")
      throw new UsageError(`--csv ${flags.csv} is a directory, not a file`);
  }
}

function reason(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}

/** Where "wrote PATH" lines go: stderr when stdout carries JSON. */
function noteWriter(output: Output, json: boolean): (text: string) => void {
  return json ? (t) => output.err(t) : (t) => output.out(t);
}

/** Write each figure as DIR/NAME.svg and DIR/NAME.png; returns the paths written. */
export async function writePlots(
  dir: string,
  figures: readonly NamedFigure[],
  output: Output,
  json: boolean,
): Promise<string[]> {
  const note = noteWriter(output, json);
  const paths: string[] = [];
  for (const f of figures) {
    let files: { svg: string; png: string };
    try {
      files = await renderFigureFiles(f.svg, dir, f.name);
    } catch (err) {
      throw new UsageError(`cannot write --plot ${dir}: ${reason(err)}`);
    }
    note(`wrote ${files.svg}\nwrote ${files.png}\n`);
    paths.push(files.svg, files.png);
  }
  return paths;
}

/** Write a table to FILE as CSV (through a temporary file and a rename). */
export function writeCsv(path: string, table: CsvTable, output: Output, json: boolean): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, toCsv(table));
    renameSync(tmp, path);
  } catch (err) {
    throw new UsageError(`cannot write --csv ${path}: ${reason(err)}`);
  }
  noteWriter(output, json)(`wrote ${path}\n`);
}

/** Both at once, the common case: figures when --plot was given, the table when --csv was. */
export async function writePlotCsv(
  flags: PlotCsvFlags,
  output: Output,
  json: boolean,
  make: { figures?: () => NamedFigure[]; table?: () => CsvTable },
): Promise<void> {
  if (flags.csv !== undefined && make.table) writeCsv(flags.csv, make.table(), output, json);
  if (flags.plot !== undefined && make.figures) {
    await writePlots(flags.plot, make.figures(), output, json);
  }
}
