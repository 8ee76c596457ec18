import {
  ARGS,
  BY_ROWS,
  CHUNK,
  CONTROL_INTS,
  COUNT,
  DTYPE,
  FAILED,
  FINISHED,
  HELPER_WORK,
  postJob,
  READY,
  runChunks,
  SEQ,
  STOP,
  type WasmHelperInit,
} from "./helper.ts";
import type { KernelExports, WasmMemory, WasmModule } from "./wasm-api.ts";

/**
 * The computing thread's side of the two-thread wasm gemm. src/core cannot start threads
 * itself (it knows no platform), so a platform entry registers a factory: Node's in
 * src/wasm-threads/node.ts (worker_threads), the browser lab's in src/web/worker.ts (a nested
 * Worker, only when the page is cross-origin isolated). With none registered the kernel runs on
 * one thread.
 */

/** What the factory returns: a started worker whose script calls runWasmGemmHelper. */
export interface WasmHelperWorker {
  postMessage(message: WasmHelperInit): void;
  terminate(): void;
}
export type WasmWorkerFactory = () => WasmHelperWorker;

let factory: WasmWorkerFactory | null = null;
const listeners: (() => void)[] = [];

/**
 * Registers (or with null removes) the factory of the helper thread. Takes effect at the next
 * product: the kernel is then re-instantiated on a shared memory. Returns the previous factory.
 */
export function setWasmWorkerFactory(next: WasmWorkerFactory | null): WasmWorkerFactory | null {
  const previous = factory;
  factory = next;
  for (const listener of listeners) listener();
  return previous;
}

export function wasmWorkerFactory(): WasmWorkerFactory | null {
  return factory;
}

/** Called by the loader to drop its instance when the factory changes. */
export function onWasmWorkerFactoryChange(listener: () => void): void {
  listeners.push(listener);
}

/** Longest wait for the chunks the helper claimed before giving up on it (ms). */
const HELPER_TIMEOUT_MS = 60_000;
/** Polling FINISHED before sleeping (ms): the helper's last chunk usually ends soon after ours. */
const SPIN_MS = 1;

/** One helper thread working on `memory`, driven through a shared control block. */
export class HelperLink {
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
  private worker: WasmHelperWorker | null;
  private seq = 0;
  private broken = false;
  /** Chunks computed by this thread and in all, over every split (how the work was shared). */
  mainChunks = 0;
  totalChunks = 0;

  constructor(make: WasmWorkerFactory, module: WasmModule, memory: WasmMemory) {
    this.worker = make();
    this.worker.postMessage({
      type: "gradscope-wasm-gemm-helper",
      module,
      memory,
      control: this.control,
    });
  }

  /** True once the helper has instantiated the kernel (and has not failed since). */
  get ready(): boolean {
    return !this.broken && Atomics.load(this.control, READY) === 1;
  }

  /** "starting", "ready" or "failed". */
  get state(): "starting" | "ready" | "failed" {
    if (this.broken) return "failed";
    const r = Atomics.load(this.control, READY);
    return r === 1 ? "ready" : r === 0 ? "starting" : "failed";
  }

  /**
   * Computes C[m, n] (+)= A B (byte offsets into the shared memory, strides as in gemm.as.ts)
   * in `count` chunks of `chunk` columns (or rows, `byRows`) shared with the helper: this thread
   * packs into `work`, the helper into `helperWork`. Allocates nothing. False when the helper
   * failed or did not finish a chunk it claimed in time: the link is then marked broken and C
   * is in an unknown state, so the caller recomputes the product on its own.
   */
  split(
    kernel: KernelExports,
    es: number,
    m: number,
    n: number,
    k: number,
    a: number,
    ars: number,
    acs: number,
    b: number,
    brs: number,
    bcs: number,
    c: number,
    accumulate: boolean,
    byRows: boolean,
    chunk: number,
    count: number,
    work: number,
    helperWork: number,
  ): boolean {
    const ctl = this.control;
    ctl[DTYPE] = es;
    ctl[ARGS] = m;
    ctl[ARGS + 1] = n;
    ctl[ARGS + 2] = k;
    ctl[ARGS + 3] = a;
    ctl[ARGS + 4] = ars;
    ctl[ARGS + 5] = acs;
    ctl[ARGS + 6] = b;
    ctl[ARGS + 7] = brs;
    ctl[ARGS + 8] = bcs;
    ctl[ARGS + 9] = c;
    ctl[ARGS + 10] = n;
    ctl[ARGS + 11] = accumulate ? 1 : 0;
    ctl[BY_ROWS] = byRows ? 1 : 0;
    ctl[CHUNK] = chunk;
    ctl[COUNT] = count;
    ctl[HELPER_WORK] = helperWork;
    // 1 .. 2^31 - 1: never STOP (-1) nor the initial 0
    this.seq = (this.seq % 0x7fffffff) + 1;
    postJob(ctl, this.seq);
    const mine = runChunks(ctl, kernel, this.seq, work);
    this.mainChunks += mine;
    this.totalChunks += count;
    // every chunk is claimed now; wait for those the helper is still computing
    let finished = Atomics.load(ctl, FINISHED);
    if (finished !== count) {
      const until = performance.now() + SPIN_MS;
      for (let spin = 1; finished !== count; spin++) {
        finished = Atomics.load(ctl, FINISHED);
        if ((spin & 255) === 0 && performance.now() > until) break;
      }
    }
    if (finished !== count) {
      const deadline = performance.now() + HELPER_TIMEOUT_MS;
      while (finished !== count && performance.now() < deadline) {
        Atomics.wait(ctl, FINISHED, finished, 1000);
        finished = Atomics.load(ctl, FINISHED);
      }
    }
    if (finished !== count || Atomics.load(ctl, FAILED) !== 0) {
      this.broken = true;
      return false;
    }
    return true;
  }

  /** Tells the helper to return and ends its worker. */
  stop(): void {
    this.broken = true;
    Atomics.store(this.control, SEQ, STOP);
    Atomics.notify(this.control, SEQ);
    this.worker?.terminate();
    this.worker = null;
  }

  /** Resolves true once ready, false when it failed or `timeoutMs` passed. */
  async whenReady(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.state === "starting" && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.ready;
  }
}
