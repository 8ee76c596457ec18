import { type KernelExports, type WasmMemory, type WasmModule, wasmApi } from "./wasm-api.ts";

/**
 * The helper thread of the two-thread wasm gemm, and the control block and chunk loop it shares
 * with the computing thread. Platform-neutral: a Node worker_threads entry or a browser Worker
 * entry receives the first message and hands it to runWasmGemmHelper, which returns only when
 * told to stop (the thread then only runs jobs).
 *
 * A job is one product cut into chunks of C's columns (or rows). The computing thread writes
 * the arguments, resets the counters, sets TICKET to (job << 8) and SEQ to the job number, and
 * wakes the helper; then both threads claim chunks by compare-and-swap on TICKET until none is
 * left, each packing into its own work area, and count them in FINISHED. The computing thread
 * waits only for chunks the helper has claimed, so a helper that wakes late (or is descheduled
 * on a busy machine) costs at most one chunk. Claims carry the job number, so a helper that
 * wakes after its job is over claims nothing from the next one by mistake. Posting a job
 * allocates nothing.
 */

export const SEQ = 0;
/** 0 while starting, 1 once the helper has instantiated the module, -1 if it failed. */
export const READY = 1;
/** Set to 1 when a chunk's kernel call threw (the chunk still counts as finished). */
export const FAILED = 2;
/** (job & 0x7fffff) << 8 | next unclaimed chunk */
export const TICKET = 3;
/** Chunks finished in this job. */
export const FINISHED = 4;
/** Chunks in this job (at most MAX_CHUNKS). */
export const COUNT = 5;
/** 0: chunks of columns, 1: chunks of rows. */
export const BY_ROWS = 6;
/** Columns (or rows) per chunk. */
export const CHUNK = 7;
/** 8 for float64, 4 for float32. */
export const DTYPE = 8;
/** Work area (bytes into memory) of the helper thread. */
export const HELPER_WORK = 9;
/** m n k a ars acs b brs bcs c ldc accumulate, at ARGS + 0..11 */
export const ARGS = 10;
export const CONTROL_INTS = 32;
export const MAX_CHUNKS = 255;
/** A SEQ value that makes the helper return (the worker can then exit). */
export const STOP = -1;

/**
 * How long the helper polls for the next job before sleeping in Atomics.wait (ms). Measured in
 * time, not polls: a count of polls shrinks as the JIT optimizes the loop, and then the helper
 * fell asleep between the products of a training step and woke too late to take any chunk
 * (waking from Atomics.wait costs 50-500 us on a busy VM; copying a product's operands in and
 * out takes ~100 us). Polling stops this long after the last job, so an idle lab costs
 * nothing.
 */
const SPIN_MS = 2;

const ticketJob = (seq: number): number => (seq & 0x7fffff) << 8;

export interface WasmHelperInit {
  readonly type: "gradscope-wasm-gemm-helper";
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  readonly control: Int32Array;
}

export function isWasmHelperInit(data: unknown): data is WasmHelperInit {
  return (
    typeof data === "object" &&
    data !== null &&
    (data as { type?: unknown }).type === "gradscope-wasm-gemm-helper"
  );
}

/**
 * Claims and computes chunks of job `seq` until none is left; `work` is this thread's packing
 * area. Returns the number of chunks it computed.
 */
export function runChunks(
  ctl: Int32Array,
  kernel: KernelExports,
  seq: number,
  work: number,
): number {
  const job = ticketJob(seq);
  let done = 0;
  for (;;) {
    const t = Atomics.load(ctl, TICKET);
    const chunk = t & 0xff;
    // another job, or every chunk claimed
    if ((t & ~0xff) !== job || chunk >= Atomics.load(ctl, COUNT)) return done;
    if (Atomics.compareExchange(ctl, TICKET, t, t + 1) !== t) continue;
    // the job cannot end before this chunk is counted, so its arguments stay put until then
    const es = ctl[DTYPE]!;
    const fn = es === 8 ? kernel.gemm_f64 : kernel.gemm_f32;
    const m = ctl[ARGS]!;
    const n = ctl[ARGS + 1]!;
    const k = ctl[ARGS + 2]!;
    const a = ctl[ARGS + 3]!;
    const ars = ctl[ARGS + 4]!;
    const acs = ctl[ARGS + 5]!;
    const b = ctl[ARGS + 6]!;
    const brs = ctl[ARGS + 7]!;
    const bcs = ctl[ARGS + 8]!;
    const c = ctl[ARGS + 9]!;
    const ldc = ctl[ARGS + 10]!;
    const acc = ctl[ARGS + 11]!;
    const size = ctl[CHUNK]!;
    const from = chunk * size;
    try {
      if (ctl[BY_ROWS] === 1) {
        const rows = Math.min(size, m - from);
        fn(
          rows,
          n,
          k,
          a + from * ars * es,
          ars,
          acs,
          b,
          brs,
          bcs,
          c + from * ldc * es,
          ldc,
          acc,
          work,
        );
      } else {
        const cols = Math.min(size, n - from);
        fn(m, cols, k, a, ars, acs, b + from * bcs * es, brs, bcs, c + from * es, ldc, acc, work);
      }
    } catch {
      Atomics.store(ctl, FAILED, 1);
    }
    done++;
    Atomics.add(ctl, FINISHED, 1);
    Atomics.notify(ctl, FINISHED);
  }
}

/** Starts job `seq` (arguments already written): resets the counters and wakes the helper. */
export function postJob(ctl: Int32Array, seq: number): void {
  Atomics.store(ctl, FINISHED, 0);
  Atomics.store(ctl, TICKET, ticketJob(seq));
  Atomics.store(ctl, SEQ, seq);
  Atomics.notify(ctl, SEQ, 1);
}

/** The helper's loop: instantiate the kernel on the shared memory, then run jobs until STOP. */
export function runWasmGemmHelper(init: WasmHelperInit): void {
  const ctl = init.control;
  let kernel: KernelExports;
  try {
    const api = wasmApi();
    if (!api) throw new Error("no WebAssembly");
    const instance = new api.Instance(init.module, { env: { memory: init.memory } });
    kernel = instance.exports as unknown as KernelExports;
  } catch {
    Atomics.store(ctl, READY, -1);
    Atomics.notify(ctl, READY);
    return;
  }
  Atomics.store(ctl, READY, 1);
  Atomics.notify(ctl, READY);
  let seen = Atomics.load(ctl, SEQ);
  for (;;) {
    let seq = Atomics.load(ctl, SEQ);
    if (seq === seen) {
      const until = performance.now() + SPIN_MS;
      for (let spin = 1; seq === seen; spin++) {
        seq = Atomics.load(ctl, SEQ);
        if ((spin & 255) === 0 && performance.now() > until) break;
      }
    }
    if (seq === seen) {
      Atomics.wait(ctl, SEQ, seen);
      continue;
    }
    if (seq === STOP) return;
    seen = seq;
    runChunks(ctl, kernel, seq, Atomics.load(ctl, HELPER_WORK));
  }
}
