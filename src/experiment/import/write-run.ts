import { closeSync, existsSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { toJson } from "../json-numbers.ts";
import { RUN_FILES, writeFileAtomic } from "../train/run-dir.ts";
import { ImportError, type ImportedRun } from "./build-run.ts";

/**
 * Write an imported run as `gradscope train` and the PyTorch hook write theirs: refuse a
 * directory that already holds a run (nothing recorded is overwritten), config.json atomically,
 * summary.json at once with status "running", metrics.jsonl appended one line per step with a
 * synchronous write, then the final summary.json atomically. An import cut short leaves a
 * readable run marked "running".
 */
export function writeImportedRun(dir: string, run: ImportedRun): void {
  checkFree(dir);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new ImportError(
      `cannot create ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  writeFileAtomic(join(dir, RUN_FILES.config), `${toJson(run.config, 2)}\n`);
  const running = {
    ...run.summary,
    status: "running",
    message: `importing: ${run.records.length} steps to write`,
  };
  writeFileAtomic(join(dir, RUN_FILES.summary), `${toJson(running, 2)}\n`);
  const fd = openSync(join(dir, RUN_FILES.metrics), "a");
  try {
    for (const record of run.records) writeSync(fd, `${toJson(record)}\n`);
  } finally {
    closeSync(fd);
  }
  writeFileAtomic(join(dir, RUN_FILES.summary), `${toJson(run.summary, 2)}\n`);
}

/** Throws ImportError when `dir` holds (part of) a run; creates nothing. */
export function checkFree(dir: string): void {
  for (const file of Object.values(RUN_FILES)) {
    if (existsSync(join(dir, file))) {
      throw new ImportError(
        `--out ${dir} already holds a run (${file}): choose another directory or remove it`,
      );
    }
  }
}
