/** Importing other tools' logs into gradscope run directories. */
export { type BuildOptions, buildRun, ImportError, type ImportedRun } from "./build-run.ts";
export { readLogdir } from "./read-logdir.ts";
export { checkFree, writeImportedRun } from "./write-run.ts";
