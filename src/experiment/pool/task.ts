/**
 * A task names an exported function by module URL, so a worker thread can import and call it
 * (functions cannot be sent between threads). The module is the caller's own file, so under
 * tsx or vitest it is the .ts source and from dist the compiled .js: no path mapping needed.
 */

/** What a task function receives besides its input. */
export interface JobContext {
  /** Aborted when the sweep is aborted (e.g. Ctrl-C): stop early and return what you have. */
  signal: AbortSignal;
}

export type TaskFn<I, O> = (input: I, context: JobContext) => O | Promise<O>;

/** A reference to `export function <name>` in `module`; I and O are its input and output. */
export interface Task<I, O> {
  readonly module: string;
  readonly name: string;
  /** Type-only: never set. Keeps I and O attached to the reference. */
  readonly types?: (input: I) => O;
}

/**
 * Pass `import.meta.url` of the module that exports the function. Inputs and outputs cross
 * threads by structured clone: plain data, typed arrays, NaN and -0 survive; class
 * instances lose their methods.
 */
export function defineTask<I, O>(moduleUrl: string, name: string): Task<I, O> {
  return { module: moduleUrl, name };
}

/** A job's error, as data (an Error object does not cross threads with its class). */
export interface JobError {
  name: string;
  message: string;
}

export type JobResult<O> = { ok: true; value: O } | { ok: false; error: JobError };

export function jobError(err: unknown): JobError {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: "Error", message: String(err) };
}

const loaded = new Map<string, Promise<Record<string, unknown>>>();

/** Import the task's module (once per thread) and call its function. */
export async function callTask<I, O>(task: Task<I, O>, input: I, context: JobContext): Promise<O> {
  let mod = loaded.get(task.module);
  if (!mod) {
    mod = import(task.module) as Promise<Record<string, unknown>>;
    loaded.set(task.module, mod);
  }
  const fn = (await mod)[task.name];
  if (typeof fn !== "function") {
    throw new TypeError(`task ${task.name} is not a function exported by ${task.module}`);
  }
  return (fn as TaskFn<I, O>)(input, context);
}
