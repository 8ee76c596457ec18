import { parseHTML } from "linkedom";
import type { FigureDocument } from "./dom.ts";

/**
 * A server-side DOM document (linkedom) for building figures in Node. Node-only: the browser
 * passes its own `document` instead. One document can build any number of figures.
 */
export function nodeDocument(): FigureDocument {
  const { document } = parseHTML("<!DOCTYPE html><html><head></head><body></body></html>");
  return document as unknown as FigureDocument;
}
