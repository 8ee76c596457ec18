import { withoutStyleSheets } from "../figures.ts";
import { download, h } from "../ui/dom.ts";
import { svgToPngBlob } from "../ui/png-export.ts";
import type { RunFigureRequest } from "./protocol.ts";

/**
 * One figure of the Run view: asks the run worker for SVG, one render in flight, the newest
 * request wins; SVG and PNG downloads as in the lab (FigureSlot).
 */
export class RunFigureSlot {
  readonly element: HTMLElement;
  readonly host: HTMLDivElement;
  private readonly status: HTMLElement;
  private svg = "";
  private renders = 0;
  private make: ((width: number) => RunFigureRequest) | null = null;
  private inFlight = false;
  private dirty = false;
  private generation = 0;

  constructor(
    private readonly render: (request: RunFigureRequest) => Promise<{ svg: string; ms: number }>,
    readonly name: string,
    caption: string,
    private readonly onDrawn: () => void = () => {},
  ) {
    this.host = h("div", {
      class: "fig-svg",
      role: "img",
      "aria-label": caption,
      "data-figure": name,
      "data-renders": 0,
    });
    this.status = h("span", { class: "fig-status", "aria-hidden": "true" });
    const save = h(
      "button",
      {
        type: "button",
        class: "small",
        "aria-label": `Download ${name} as SVG`,
        onclick: () => {
          if (this.svg) download(`${name}.svg`, this.svg, "image/svg+xml");
        },
      },
      "SVG",
    );
    const png = h(
      "button",
      {
        type: "button",
        class: "small",
        "aria-label": `Download ${name} as PNG`,
        onclick: () => {
          if (!this.svg) return;
          svgToPngBlob(this.svg).then(
            (blob) => download(`${name}.png`, blob, "image/png"),
            (err: Error) => {
              this.status.textContent = `(PNG failed: ${err.message})`;
            },
          );
        },
      },
      "PNG",
    );
    this.element = h(
      "figure",
      { class: "fig" },
      this.host,
      h("figcaption", {}, h("span", {}, caption), this.status, save, png),
    );
  }

  get width(): number {
    return Math.max(300, Math.min(1400, Math.floor(this.host.clientWidth || 640)));
  }

  update(make: (width: number) => RunFigureRequest): void {
    this.make = make;
    this.dirty = true;
    this.pump();
  }

  refresh(): void {
    if (this.make) this.update(this.make);
  }

  clear(): void {
    this.generation++;
    this.make = null;
    this.dirty = false;
    this.svg = "";
    this.renders = 0;
    this.host.replaceChildren();
    this.host.dataset.renders = "0";
    this.status.textContent = "";
  }

  private pump(): void {
    if (!this.dirty || this.inFlight || !this.make) return;
    this.dirty = false;
    this.inFlight = true;
    const generation = this.generation;
    this.render(this.make(this.width)).then(
      ({ svg }) => {
        requestAnimationFrame(() => {
          this.inFlight = false;
          if (generation === this.generation) {
            this.host.innerHTML = withoutStyleSheets(svg);
            this.svg = svg;
            this.renders++;
            this.host.dataset.renders = String(this.renders);
            this.status.textContent = "";
            this.onDrawn();
          }
          this.pump();
        });
      },
      (err: Error) => {
        this.inFlight = false;
        if (generation === this.generation)
          this.status.textContent = `(figure failed: ${err.message})`;
        this.pump();
      },
    );
  }
}
