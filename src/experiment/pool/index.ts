export { defaultJobs, parseJobs, type RunJobsOptions, runJobs, WorkerPool } from "./pool.ts";
export {
  defineTask,
  type JobContext,
  type JobError,
  type JobResult,
  type Task,
  type TaskFn,
} from "./task.ts";
export {
  PROBE_TASK,
  probeJob,
  TRAIN_TASK,
  type TrainJob,
  type TrainRun,
  threadDataset,
  trainJob,
} from "./tasks.ts";
