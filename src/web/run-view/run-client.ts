import type { FromRunWorker, RunFigureRequest, RunSource } from "./protocol.ts";

/**
 * The page's handle on the Run view's worker: one run at a time (a newer load makes older
 * answers stale), figure requests answered by id.
 */
export class RunClient {
  private readonly worker: Worker;
  private loadId = 0;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (a: { svg: string; ms: number }) => void; reject: (e: Error) => void }
  >();

  constructor(private readonly onRunMessage: (message: FromRunWorker) => void) {
    this.worker = new Worker(new URL("./run-worker.ts", import.meta.url), {
      type: "module",
      name: "gradscope-run",
    });
    this.worker.addEventListener("message", (event: MessageEvent<FromRunWorker>) => {
      const m = event.data;
      if (m.type === "figure" || m.type === "figureError") {
        const w = this.waiting.get(m.id);
        if (!w) return;
        this.waiting.delete(m.id);
        if (m.type === "figure") w.resolve({ svg: m.svg, ms: m.ms });
        else w.reject(new Error(m.message));
        return;
      }
      if (m.loadId === this.loadId) this.onRunMessage(m);
    });
    this.worker.addEventListener("error", (event) => {
      const message = event.message || "the run worker failed";
      for (const w of this.waiting.values()) w.reject(new Error(message));
      this.waiting.clear();
      this.onRunMessage({ type: "failed", loadId: this.loadId, message });
    });
  }

  /** Start reading a run; answers for earlier runs are dropped from now on. */
  load(source: RunSource): void {
    this.loadId++;
    this.worker.postMessage({ type: "load", loadId: this.loadId, source });
  }

  figure(request: RunFigureRequest): Promise<{ svg: string; ms: number }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ type: "figure", loadId: this.loadId, id, request });
    });
  }

  /** Ask for the diagnosis (answered after the figure requests already sent). */
  diagnose(): void {
    this.worker.postMessage({ type: "diagnose", loadId: this.loadId });
  }
}
