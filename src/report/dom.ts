/**
 * The little of the DOM that figures need. Figures build SVG through a document passed in by
 * the caller: the page's `document` in the browser, a linkedom document in Node
 * (`nodeDocument()` in node-dom.ts). Nothing here imports node: modules, so the browser can
 * import every plot function.
 */

export const SVG_NS = "http://www.w3.org/2000/svg";

/** The element methods figures use (a subset of the DOM's Element). */
export interface FigureElement {
  setAttribute(name: string, value: string): void;
  getAttribute(name: string): string | null;
  appendChild(child: FigureElement): unknown;
  textContent: string | null;
  readonly outerHTML: string;
}

/** The document method figures use (a subset of the DOM's Document). */
export interface FigureDocument {
  createElementNS(namespace: string, qualifiedName: string): FigureElement;
}

/** Options every figure accepts. */
export interface FigureOptions {
  /** Document to build the SVG with; defaults to `globalThis.document` (the browser). */
  document?: FigureDocument;
  /** Total width in pixels (default 800). */
  width?: number;
  /** Total height in pixels, title and legend included (each figure has its own default). */
  height?: number;
  /** Title drawn inside the SVG (each figure has a default). */
  title?: string;
  /** Second line under the title, e.g. the network's configuration. */
  subtitle?: string;
}

/** The document to draw with: the one given, else the global one (browser), else an error. */
export function resolveDocument(document?: FigureDocument): FigureDocument {
  if (document) return document;
  const global = (globalThis as { document?: FigureDocument }).document;
  if (global && typeof global.createElementNS === "function") return global;
  throw new Error(
    "figures need a DOM document: pass options.document (in Node, nodeDocument() from src/report/node-dom.ts)",
  );
}

/** Create an SVG element with attributes (numbers are written as they are) and optional text. */
export function svgElement(
  doc: FigureDocument,
  tag: string,
  attributes: Readonly<Record<string, string | number | undefined>> = {},
  text?: string,
): FigureElement {
  const element = doc.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) element.setAttribute(name, String(value));
  }
  if (text !== undefined) element.textContent = text;
  return element;
}

/**
 * Serialize a root <svg> as standalone markup. The xmlns attribute is required by SVG
 * renderers such as resvg (the DOM keeps the namespace on the node, not as an attribute).
 */
export function serializeSvg(svg: FigureElement): string {
  svg.setAttribute("xmlns", SVG_NS);
  return svg.outerHTML;
}
