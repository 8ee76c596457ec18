import type { LabInput } from "./lab-options.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";

/**
 * The page's handle on one training worker. `configure` starts a new run id; messages
 * about older runs are dropped. When the worker is still busy building the previous run
 * (a large probe), it is replaced, so a new configuration answers at once.
 */
export class LabSession {
  private worker: Worker | null = null;
  private runId = 0;
  private busySince: number | null = null;
  private commandSeq = 0;

  /** The seq of the latest play / pause / step command (see ProgressMessage.seq). */
  get seq(): number {
    return this.commandSeq;
  }

  constructor(private readonly onMessage: (message: FromWorker) => void) {}

  private spawn(): Worker {
    const worker = new Worker(new URL("./worker.ts", import.meta.url), {
      type: "module",
      name: "gradscope-trainer",
    });
    worker.addEventListener("message", (event: MessageEvent<FromWorker>) => {
      const msg = event.data;
      if (msg.runId !== this.runId) return;
      if (msg.type !== "progress") this.busySince = null;
      this.onMessage(msg);
    });
    worker.addEventListener("error", (event) => {
      this.busySince = null;
      this.onMessage({
        type: "error",
        runId: this.runId,
        message: event.message || "the training worker failed",
        known: false,
      });
    });
    return worker;
  }

  private post(message: ToWorker): void {
    this.worker ??= this.spawn();
    this.worker.postMessage(message);
  }

  /** Build a new run; returns its id. */
  configure(input: LabInput): number {
    if (this.busySince !== null && this.worker) {
      this.worker.terminate();
      this.worker = null;
    }
    this.runId++;
    this.busySince = performance.now();
    this.post({ type: "init", runId: this.runId, input });
    return this.runId;
  }

  play(): void {
    this.post({ type: "play", runId: this.runId, seq: ++this.commandSeq });
  }

  pause(): void {
    this.post({ type: "pause", runId: this.runId, seq: ++this.commandSeq });
  }

  step(count: number): void {
    this.post({ type: "step", runId: this.runId, seq: ++this.commandSeq, count });
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
  }
}
