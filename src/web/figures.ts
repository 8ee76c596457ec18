import type { FigureAnswer, FigureRequest } from "./figure-protocol.ts";
import { download, h } from "./ui/dom.ts";
import { svgToPngBlob } from "./ui/png-export.ts";

/** A frame inserts another figure only if the ones before took less than this (ms). */
const INSERT_BUDGET_MS = 4;

/** Least time between two renders of a figure that is off screen (ms). */
export const OFF_SCREEN_MS = 2000;

/**
 * The page's side of the figure worker: requests go out as plain data, SVG comes back, and
 * each slot swaps its markup in on an animation frame. A slot never has two renders in
 * flight, keeps only the newest pending request, and spaces its renders by at least its
 * interval, stretched when inserting its SVG is expensive, so training never starves the
 * page's frames.
 */
export class FigureClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (a: { svg: string; info: unknown; ms: number }) => void; reject: (e: Error) => void }
  >();

  constructor() {
    this.worker = new Worker(new URL("./figure-worker.ts", import.meta.url), {
      type: "module",
      name: "gradscope-figures",
    });
    this.worker.addEventListener("message", (event: MessageEvent<FigureAnswer>) => {
      const answer = event.data;
      const w = this.waiting.get(answer.id);
      if (!w) return;
      this.waiting.delete(answer.id);
      if ("error" in answer) w.reject(new Error(answer.error));
      else w.resolve({ svg: answer.svg, info: answer.info, ms: answer.ms });
    });
    this.worker.addEventListener("error", (event) => {
      for (const w of this.waiting.values())
        w.reject(new Error(event.message || "figure worker failed"));
      this.waiting.clear();
    });
  }

  private readonly insertions: (() => void)[] = [];
  private frameRequested = false;

  /**
   * Run `insert` (a figure swapping its markup in) on an animation frame, one figure per
   * frame unless the frame still has time: figures finishing together would otherwise all
   * be parsed, styled, laid out and painted in one long frame.
   */
  insert(insert: () => void): void {
    this.insertions.push(insert);
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => this.runInsertions());
  }

  private runInsertions(): void {
    this.frameRequested = false;
    const start = performance.now();
    do this.insertions.shift()?.();
    while (this.insertions.length > 0 && performance.now() - start < INSERT_BUDGET_MS);
    if (this.insertions.length > 0) {
      this.frameRequested = true;
      requestAnimationFrame(() => this.runInsertions());
    }
  }

  render(request: FigureRequest): Promise<{ svg: string; info: unknown; ms: number }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, request });
    });
  }
}

export interface SlotOptions {
  /** File name (without extension) for the download buttons. */
  name: string;
  /** Accessible description of the figure. */
  caption: string;
  /** Least time between two renders (ms). */
  minIntervalMs?: number;
  /** Height in pixels. */
  height?: number;
  /** Called with the worker's `info` after each render. */
  onInfo?: (info: unknown) => void;
  /** Called with an error message (null when a later render succeeds). */
  onError?: (message: string | null) => void;
}

/**
 * The SVG without its <style> elements (Observable Plot adds one per panel, scoped to a
 * class). A style sheet entering or leaving the page restyles the whole document, which on
 * every live update costs tens of milliseconds; style.css carries the same rules for every
 * figure instead. Downloads keep the original markup.
 */
export function withoutStyleSheets(svg: string): string {
  return svg.replace(/<style>[\s\S]*?<\/style>/g, "");
}

/** One figure on the page. */
export class FigureSlot {
  readonly element: HTMLElement;
  readonly host: HTMLDivElement;
  private readonly status: HTMLElement;
  svg = "";
  renders = 0;
  private make: ((width: number) => FigureRequest) | null = null;
  private inFlight = false;
  private dirty = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastStart = 0;
  private interval: number;
  private generation = 0;
  /** Whether the figure is on screen; off screen, live updates come less often. */
  private onScreen = true;
  private liveUpdates = false;

  constructor(
    private readonly client: FigureClient,
    readonly options: SlotOptions,
  ) {
    this.interval = options.minIntervalMs ?? 250;
    this.host = h("div", {
      class: "fig-svg",
      role: "img",
      "aria-label": options.caption,
      "data-figure": options.name,
      "data-renders": 0,
      style: `min-height:${options.height ?? 360}px`,
    });
    // Off screen, a live figure redraws at most every OFF_SCREEN_MS (its markup still has to
    // be parsed on the page's thread, even where the page skips its layout and paint);
    // scrolled to, it catches up at once.
    if (typeof IntersectionObserver !== "undefined") {
      new IntersectionObserver(
        (entries) => {
          const visible = entries[entries.length - 1]?.isIntersecting ?? true;
          if (visible === this.onScreen) return;
          this.onScreen = visible;
          if (visible) this.hurry(true);
        },
        { rootMargin: "0px" },
      ).observe(this.host);
    }
    this.status = h("span", { class: "fig-status", "aria-hidden": "true" });
    const save = h(
      "button",
      {
        type: "button",
        class: "small",
        title: `Download this figure as ${options.name}.svg`,
        "aria-label": `Download ${options.name} as SVG`,
        onclick: () => {
          if (this.svg) download(`${options.name}.svg`, this.svg, "image/svg+xml");
        },
      },
      "SVG",
    );
    const png = h(
      "button",
      {
        type: "button",
        class: "small",
        title: `Download this figure as ${options.name}.png (twice its size on screen)`,
        "aria-label": `Download ${options.name} as PNG`,
        onclick: () => this.savePng(),
      },
      "PNG",
    );
    this.element = h(
      "figure",
      { class: "fig" },
      this.host,
      h("figcaption", {}, h("span", {}, options.caption), this.status, save, png),
    );
  }

  private savePng(): void {
    const svg = this.svg;
    if (!svg) return;
    svgToPngBlob(svg).then(
      (blob) => download(`${this.options.name}.png`, blob, "image/png"),
      (err: Error) => {
        this.status.textContent = `(PNG failed: ${err.message})`;
      },
    );
  }

  get width(): number {
    return Math.max(320, Math.min(1400, Math.floor(this.host.clientWidth || 640)));
  }

  /**
   * True while the figure follows a live run (training): off screen it then redraws at most
   * every OFF_SCREEN_MS. Set back to false (paused, finished), a waiting redraw comes at once.
   */
  set live(live: boolean) {
    if (live === this.liveUpdates) return;
    this.liveUpdates = live;
    if (!live) this.hurry(false);
  }

  /** A redraw waiting for the off-screen spacing starts now (`now`: ignore the interval). */
  private hurry(now: boolean): void {
    if (!this.dirty) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (now) this.lastStart = 0;
    this.pump();
  }

  /** Draw with the request `make` builds (called when the render starts, with the width). */
  update(make: (width: number) => FigureRequest): void {
    this.make = make;
    this.dirty = true;
    this.pump();
  }

  /** Forget the figure (a new run starts). */
  clear(): void {
    this.generation++;
    this.make = null;
    this.dirty = false;
    this.svg = "";
    this.host.replaceChildren();
    this.host.dataset.renders = "0";
    this.renders = 0;
  }

  /** Redraw the last request at the current width. */
  refresh(): void {
    if (this.make) {
      this.dirty = true;
      this.pump();
    }
  }

  private pump(): void {
    if (!this.dirty || this.inFlight || !this.make) return;
    const interval =
      this.onScreen || !this.liveUpdates ? this.interval : Math.max(this.interval, OFF_SCREEN_MS);
    const wait = this.lastStart + interval - performance.now();
    if (wait > 0) {
      if (this.timer === null) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.pump();
        }, wait);
      }
      return;
    }
    this.dirty = false;
    this.inFlight = true;
    this.lastStart = performance.now();
    const generation = this.generation;
    const request = this.make(this.width);
    this.client.render(request).then(
      ({ svg, info }) => {
        this.client.insert(() => {
          this.inFlight = false;
          if (generation !== this.generation) return this.pump();
          const t0 = performance.now();
          this.host.innerHTML = withoutStyleSheets(svg);
          const cost = performance.now() - t0;
          // Inserting big SVG costs the page's thread: space such renders out further.
          this.interval = Math.max(this.options.minIntervalMs ?? 250, cost * 12);
          this.svg = svg;
          this.renders++;
          this.host.dataset.renders = String(this.renders);
          this.host.dataset.insertMs = cost.toFixed(1);
          this.status.textContent = "";
          this.options.onError?.(null);
          if (info !== undefined) this.options.onInfo?.(info);
          this.pump();
        });
      },
      (err: Error) => {
        this.inFlight = false;
        if (generation === this.generation) {
          this.status.textContent = `(figure failed: ${err.message})`;
          this.options.onError?.(err.message);
        }
        this.pump();
      },
    );
  }
}
