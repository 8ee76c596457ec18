import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type PngOptions, svgToPng } from "./png.ts";

/** Paths written by `renderFigureFiles`. */
export interface FigureFiles {
  svg: string;
  png: string;
}

/** Write through a temporary name and rename, so a crash never leaves half a file. */
async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/**
 * Write a figure as `dir/name.svg` and `dir/name.png` (Node-only; creates `dir`).
 * `name` must be a plain file name without extension.
 */
export async function renderFigureFiles(
  svg: string,
  dir: string,
  name: string,
  options: PngOptions = {},
): Promise<FigureFiles> {
  if (name === "" || /[/\\]/.test(name) || name === "." || name === "..") {
    throw new RangeError(`figure name must be a plain file name, got '${name}'`);
  }
  await mkdir(dir, { recursive: true });
  const files = { svg: join(dir, `${name}.svg`), png: join(dir, `${name}.png`) };
  await writeAtomic(files.svg, svg);
  await writeAtomic(files.png, svgToPng(svg, options));
  return files;
}
