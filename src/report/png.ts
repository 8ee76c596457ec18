import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { Resvg, type ResvgRenderOptions } from "@resvg/resvg-js";

/**
 * SVG to PNG with resvg (Node-only).
 *
 * Fonts: resvg draws no text at all without a font, and a fresh CI machine may have none
 * installed. The figures ask for "DejaVu Sans, Verdana, sans-serif", so the renderer looks
 * for a font file, in this order:
 *   1. the file named by the GRADSCOPE_FONT environment variable (family from
 *      GRADSCOPE_FONT_FAMILY, default "DejaVu Sans");
 *   2. DejaVu Sans from the `dejavu-fonts-ttf` npm dependency (always there after npm install),
 *      then known paths of DejaVu Sans, Liberation Sans, Noto Sans, FreeSans and Arial on Debian/
 *      Ubuntu, Fedora, Arch, Alpine, macOS and Windows;
 *   3. a scan (depth <= 4) of the usual font folders for those same file names.
 * The file found is loaded alone (loadSystemFonts off: faster, and the same pixels on every
 * machine that has that font) and every generic family (sans-serif, serif, monospace) maps
 * to it. Only when nothing is found does resvg fall back to loadSystemFonts, which may still
 * find some font, or none (then text is missing): `findFont()` returns null in that case, and
 * the tests assert it does not, so a machine without fonts fails loudly instead of producing
 * PNGs without text. On Debian/Ubuntu: `apt-get install -y fonts-dejavu-core`.
 */

export interface FontChoice {
  /** Font files to load (regular first, then bold when there is one). */
  files: string[];
  /** The family name inside the files. */
  family: string;
  /** How it was found. */
  source: "env" | "known-path" | "scan";
}

interface Candidate {
  file: string;
  bold?: string;
  family: string;
}

/** Font files by preference, with their family names. */
const CANDIDATES: readonly Candidate[] = [
  { file: "DejaVuSans.ttf", bold: "DejaVuSans-Bold.ttf", family: "DejaVu Sans" },
  {
    file: "LiberationSans-Regular.ttf",
    bold: "LiberationSans-Bold.ttf",
    family: "Liberation Sans",
  },
  { file: "NotoSans-Regular.ttf", bold: "NotoSans-Bold.ttf", family: "Noto Sans" },
  { file: "FreeSans.ttf", bold: "FreeSansBold.ttf", family: "FreeSans" },
  { file: "Arial.ttf", bold: "Arial Bold.ttf", family: "Arial" },
  { file: "arial.ttf", bold: "arialbd.ttf", family: "Arial" },
  { file: "Verdana.ttf", bold: "Verdana Bold.ttf", family: "Verdana" },
];

/**
 * DejaVu Sans shipped by the `dejavu-fonts-ttf` npm dependency: found first, so every
 * machine renders the same pixels without any system font installed.
 */
function packagedFontDir(): string[] {
  try {
    const pkg = createRequire(import.meta.url).resolve("dejavu-fonts-ttf/package.json");
    return [join(dirname(pkg), "ttf")];
  } catch {
    return [];
  }
}

/** Folders where the candidates live on common systems, checked before any scan. */
const KNOWN_DIRS: readonly string[] = [
  ...packagedFontDir(),
  "/usr/share/fonts/truetype/dejavu",
  "/usr/share/fonts/dejavu",
  "/usr/share/fonts/dejavu-sans-fonts",
  "/usr/share/fonts/TTF",
  "/usr/share/fonts/ttf-dejavu",
  "/usr/share/fonts/truetype/liberation",
  "/usr/share/fonts/truetype/liberation2",
  "/usr/share/fonts/liberation-sans",
  "/usr/share/fonts/truetype/noto",
  "/usr/share/fonts/noto",
  "/usr/share/fonts/truetype/freefont",
  "/System/Library/Fonts/Supplemental",
  "/Library/Fonts",
  "C:\\Windows\\Fonts",
];

function fontRoots(): string[] {
  const home = homedir();
  return [
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    join(home, ".local/share/fonts"),
    join(home, ".fonts"),
    "/Library/Fonts",
    "/System/Library/Fonts",
    "C:\\Windows\\Fonts",
  ];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function choice(dir: string, c: Candidate, source: FontChoice["source"]): FontChoice {
  const files = [join(dir, c.file)];
  if (c.bold && isFile(join(dir, c.bold))) files.push(join(dir, c.bold));
  return { files, family: c.family, source };
}

/** Every file below `root` (depth-limited), by base name, first found wins. */
function scan(root: string, depth: number, found: Map<string, string>): void {
  if (depth < 0) return;
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return;
  }
  for (const name of entries) {
    const path = join(root, name);
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(path);
    } catch {
      continue;
    }
    if (stat.isDirectory()) scan(path, depth - 1, found);
    else if (!found.has(name)) found.set(name, root);
  }
}

/** Look the font up afresh (see the comment at the top of this file). */
export function locateFont(
  env: Readonly<Record<string, string | undefined>> = process.env,
): FontChoice | null {
  const fromEnv = env["GRADSCOPE_FONT"];
  if (fromEnv && isFile(fromEnv)) {
    return {
      files: [fromEnv],
      family: env["GRADSCOPE_FONT_FAMILY"] ?? "DejaVu Sans",
      source: "env",
    };
  }
  for (const c of CANDIDATES) {
    for (const dir of KNOWN_DIRS) {
      if (isFile(join(dir, c.file))) return choice(dir, c, "known-path");
    }
  }
  const found = new Map<string, string>();
  for (const root of fontRoots()) if (existsSync(root)) scan(root, 4, found);
  for (const c of CANDIDATES) {
    const dir = found.get(c.file);
    if (dir !== undefined) return choice(dir, c, "scan");
  }
  return null;
}

let cached: FontChoice | null | undefined;

/** The font the renderer uses (looked up once per process); null means none was found. */
export function findFont(): FontChoice | null {
  if (cached === undefined) cached = locateFont();
  return cached;
}

/** resvg font options for a font choice, or the system-font fallback for null. */
export function fontOptions(font: FontChoice | null): NonNullable<ResvgRenderOptions["font"]> {
  if (font === null) return { loadSystemFonts: true, defaultFontSize: 13 };
  return {
    loadSystemFonts: false,
    fontFiles: font.files,
    defaultFontFamily: font.family,
    sansSerifFamily: font.family,
    serifFamily: font.family,
    monospaceFamily: font.family,
    defaultFontSize: 13,
  };
}

export interface PngOptions {
  /** Output width in CSS pixels (default: the SVG's own width). */
  width?: number;
  /** Device-pixel ratio: the PNG is width * scale pixels wide (default 1). */
  scale?: number;
  /** Font to use instead of `findFont()` (null forces the system-font fallback). */
  font?: FontChoice | null;
  /** Background colour (default white). */
  background?: string;
}

/** Render SVG markup to PNG bytes, fitting the requested width and keeping the aspect ratio. */
export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  const scale = options.scale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale))
    throw new RangeError(`scale must be > 0, got ${scale}`);
  if (options.width !== undefined && !(options.width > 0)) {
    throw new RangeError(`width must be > 0, got ${options.width}`);
  }
  const font = options.font === undefined ? findFont() : options.font;
  const base: ResvgRenderOptions = {
    background: options.background ?? "white",
    font: fontOptions(font),
    logLevel: "off",
  };
  let resvg = new Resvg(svg, base);
  const width = Math.round((options.width ?? resvg.width) * scale);
  if (width !== Math.round(resvg.width)) {
    resvg = new Resvg(svg, { ...base, fitTo: { mode: "width", value: width } });
  }
  return resvg.render().asPng();
}
