import type { DeepAnswer, DeepRequest } from "./deep-protocol.ts";

/**
 * The page's handle on deep-worker.ts. Requests go out one at a time; for each `channel`
 * only the newest request waits (a slider dragged across twenty values costs two probes,
 * not twenty), and an answer superseded by a newer request of its channel is dropped.
 */
export class DeepClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private busy = false;
  private readonly pending = new Map<string, { request: DeepRequest; id: number }>();
  private readonly latest = new Map<string, number>();
  private readonly handlers = new Map<number, { channel: string; done: (a: DeepAnswer) => void }>();

  private spawn(): Worker {
    const worker = new Worker(new URL("./deep-worker.ts", import.meta.url), {
      type: "module",
      name: "gradscope-deep-probes",
    });
    worker.addEventListener("message", (event: MessageEvent<DeepAnswer>) => {
      this.busy = false;
      const a = event.data;
      const h = this.handlers.get(a.id);
      this.handlers.delete(a.id);
      if (h && this.latest.get(h.channel) === a.id) h.done(a);
      this.pump();
    });
    worker.addEventListener("error", (event) => {
      this.busy = false;
      for (const [id, h] of this.handlers) h.done({ id, error: event.message || "worker failed" });
      this.handlers.clear();
      this.worker?.terminate();
      this.worker = null;
      this.pump();
    });
    return worker;
  }

  /** Ask for `request` on `channel`; `done` runs only if no newer request of the channel came. */
  request(channel: string, request: DeepRequest, done: (a: DeepAnswer) => void): void {
    const id = this.nextId++;
    const old = this.pending.get(channel);
    if (old) this.handlers.delete(old.id);
    this.latest.set(channel, id);
    this.pending.set(channel, { request, id });
    this.handlers.set(id, { channel, done });
    this.pump();
  }

  private pump(): void {
    if (this.busy) return;
    const next = this.pending.entries().next();
    if (next.done) return;
    const [channel, { request, id }] = next.value;
    this.pending.delete(channel);
    this.busy = true;
    this.worker ??= this.spawn();
    this.worker.postMessage({ id, request });
  }
}
