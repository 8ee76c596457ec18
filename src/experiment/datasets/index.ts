export { assembleDataset, type RawSamples } from "./assemble.ts";
export { blobs } from "./blobs.ts";
export { circles } from "./circles.ts";
export { loadCsvDataset } from "./csv.ts";
export { type CsvRecord, parseCsv } from "./csv-parse.ts";
export {
  DATASET_NAMES,
  type Dataset,
  type DatasetName,
  type DatasetOptions,
  type DatasetTask,
} from "./dataset.ts";
export { DatasetError } from "./errors.ts";
export {
  DATASET_DEFAULTS,
  DATASET_DESCRIPTIONS,
  isAsyncDataset,
  loadDataset,
  loadDatasetAsync,
} from "./load.ts";
export { loadMnist } from "./mnist.ts";
export { moons } from "./moons.ts";
export { spirals } from "./spirals.ts";
export { createTeacher, teacherForward, teacherSamples } from "./teacher.ts";
export { xor } from "./xor.ts";
