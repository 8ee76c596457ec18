/** Node-only figure helpers: a server-side DOM, PNG rendering and file output. */
export { nodeDocument } from "./node-dom.ts";
export {
  type FontChoice,
  findFont,
  fontOptions,
  locateFont,
  type PngOptions,
  svgToPng,
} from "./png.ts";
export { type FigureFiles, renderFigureFiles } from "./render-node.ts";
