import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { ImportError } from "./build-run.ts";
import { absorbScalars, RunCollector } from "./collect.ts";
import { decodeEvent } from "./events.ts";
import { tfRecords } from "./tfrecord.ts";

/**
 * Reading a TensorBoard log directory (Node only): every `*tfevents*` file under it,
 * recursively. The files of one directory are one run, read in name order (the names start
 * with the creation time, so a restarted run's later file wins on a repeated step). Several
 * directories are one run when only one of them holds parameter histograms: the others
 * (Keras' validation/, add_scalars' per-tag directories) contribute scalars, their tags behind
 * the directory's path ("validation/epoch_loss"). Two or more directories with histograms are
 * separate runs, and the import refuses to mix them.
 */

export interface ReadLogdir {
  collector: RunCollector;
  /** Event files read, relative to the log directory. */
  files: string[];
  /** The directory (relative, "." for the log directory itself) whose histograms are the run. */
  runDir: string;
}

function findEventFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // an unreadable subdirectory holds nothing we can read
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if ((e.isFile() || e.isSymbolicLink()) && e.name.includes("tfevents")) out.push(path);
    }
  };
  walk(root);
  return out.sort();
}

/**
 * Read one event file into `collector`. Each framing problem or undecodable record is one
 * warning line; a file with no record and a bad header at byte 0 is not TFRecord at all, and
 * its warnings are left to the caller (one line for the file).
 */
function readEventFile(
  path: string,
  shown: string,
  collector: RunCollector,
): { records: number; notTfRecord: boolean; warnings: string[] } {
  let bytes: Uint8Array;
  try {
    const b = readFileSync(path);
    bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return {
      records: 0,
      notTfRecord: false,
      warnings: [`${shown}: cannot read (${code}): skipped`],
    };
  }
  collector.startFile();
  let records = 0;
  let firstProblemAtZero = false;
  const warnings: string[] = [];
  for (const item of tfRecords(bytes)) {
    if (item.kind === "problem") {
      if (item.offset === 0 && records === 0) firstProblemAtZero = true;
      warnings.push(`${shown}: byte ${item.offset}: ${item.message}`);
      continue;
    }
    try {
      collector.add(decodeEvent(item.data));
      records++;
    } catch (err) {
      warnings.push(
        `${shown}: byte ${item.offset}: record is not an Event protobuf (${err instanceof Error ? err.message : String(err)}): skipped`,
      );
    }
  }
  return { records, notTfRecord: records === 0 && firstProblemAtZero, warnings };
}

/** Read the log directory (see the module comment). Throws ImportError for unusable input. */
export function readLogdir(logdir: string, warn: (line: string) => void): ReadLogdir {
  let isDir: boolean;
  try {
    isDir = statSync(logdir).isDirectory();
  } catch {
    throw new ImportError(`${logdir} does not exist`);
  }
  if (!isDir)
    throw new ImportError(
      `${logdir} is not a directory (give the log directory that holds events.out.tfevents.* files)`,
    );
  const files = findEventFiles(logdir);
  if (files.length === 0) {
    throw new ImportError(
      `${logdir} holds no TensorBoard event files (events.out.tfevents.*), in it or below`,
    );
  }
  const byDir = new Map<string, string[]>();
  for (const f of files) {
    const dir = relative(logdir, join(f, "..")) || ".";
    byDir.set(dir, [...(byDir.get(dir) ?? []), f]);
  }
  const collectors = new Map<string, RunCollector>();
  let read = 0;
  const notTfRecord: string[] = [];
  const warnings: string[] = [];
  for (const [dir, list] of byDir) {
    const c = new RunCollector();
    for (const f of list) {
      const shown = relative(logdir, f) || f;
      const r = readEventFile(f, join(logdir, shown), c);
      read += r.records;
      if (r.notTfRecord) {
        notTfRecord.push(shown);
        warnings.push(
          `${join(logdir, shown)}: not a TFRecord file (no valid record header at byte 0): skipped`,
        );
      } else {
        warnings.push(...r.warnings);
      }
    }
    collectors.set(dir, c);
  }
  // nothing readable at all: the error below says it in one line
  if (read > 0) for (const w of warnings) warn(w);
  if (read === 0) {
    throw new ImportError(
      notTfRecord.length === files.length
        ? `${logdir}: ${files.length === 1 ? `${relative(logdir, files[0]!)} is not` : `none of the ${files.length} event files is`} a TFRecord file (no valid record header at byte 0)`
        : `${logdir}: no readable event in ${files.length} event files`,
    );
  }
  const withHistograms = [...collectors.entries()].filter(([, c]) =>
    [...c.params.values()].some((s) => s.grad.size > 0 || s.value.size > 0),
  );
  if (withHistograms.length > 1) {
    const names = withHistograms.map(([d]) => d);
    throw new ImportError(
      `${logdir} holds ${names.length} runs with parameter histograms (${names.slice(0, 4).join(", ")}${names.length > 4 ? ", ..." : ""}): import one at a time, e.g. gradscope import tensorboard ${join(logdir, names[0]!)} --out DIR`,
    );
  }
  const runDir = withHistograms[0]?.[0] ?? (collectors.has(".") ? "." : [...collectors.keys()][0]!);
  const collector = collectors.get(runDir)!;
  for (const [dir, c] of collectors) {
    if (dir === runDir) continue;
    absorbScalars(collector, c, `${dir.split(sep).join("/")}/`);
  }
  return { collector, files: files.map((f) => relative(logdir, f)), runDir };
}
