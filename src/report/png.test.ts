import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { findFont, locateFont, svgToPng } from "./png.ts";
import { renderFigureFiles } from "./render-node.ts";
import { FIXTURES } from "./testing/fixtures.ts";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from the IHDR chunk, after checking the signature. */
function pngSize(png: Uint8Array): { width: number; height: number } {
  expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  expect(String.fromCharCode(...png.subarray(12, 16))).toBe("IHDR");
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Decode an 8-bit RGBA or RGB PNG (what resvg writes) to its raw pixels. */
function decodePng(png: Uint8Array): {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
} {
  const { width, height } = pngSize(png);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const bitDepth = png[24];
  const colorType = png[25];
  expect(bitDepth).toBe(8);
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  expect(channels).toBeGreaterThan(0);
  const idat: Uint8Array[] = [];
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    if (type === "IDAT") idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= channels ? pixels[y * stride + x - channels]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels]! : 0;
      let p = 0;
      if (filter === 1) p = a;
      else if (filter === 2) p = b;
      else if (filter === 3) p = (a + b) >> 1;
      else if (filter === 4) {
        const e = a + b - c;
        const da = Math.abs(e - a);
        const db = Math.abs(e - b);
        const dc = Math.abs(e - c);
        p = da <= db && da <= dc ? a : db <= dc ? b : c;
      }
      pixels[y * stride + x] = (v + p) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** Number of dark pixels (a drawn glyph on white). */
function darkPixels(png: Uint8Array): number {
  const { pixels, channels } = decodePng(png);
  let dark = 0;
  for (let i = 0; i < pixels.length; i += channels) {
    if (pixels[i]! < 128 && pixels[i + 1]! < 128 && pixels[i + 2]! < 128) dark++;
  }
  return dark;
}

function svgHeight(svg: string): number {
  return Number(/height="(\d+)"/.exec(svg)?.[1]);
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("svgToPng", () => {
  it("finds a font file (install fonts-dejavu-core when this fails)", () => {
    const font = findFont();
    // Without a font resvg silently draws no text: this must fail loudly, never skip.
    expect(
      font,
      "no font found: apt-get install -y fonts-dejavu-core, or set GRADSCOPE_FONT",
    ).not.toBeNull();
    expect(font!.files.length).toBeGreaterThan(0);
    expect(readFileSync(font!.files[0]!).length).toBeGreaterThan(10_000);
  });

  it("honours GRADSCOPE_FONT and reports null when nothing exists", () => {
    const font = findFont()!;
    const fromEnv = locateFont({ GRADSCOPE_FONT: font.files[0]!, GRADSCOPE_FONT_FAMILY: "X" });
    expect(fromEnv).toEqual({ files: [font.files[0]], family: "X", source: "env" });
  });

  it("skips a GRADSCOPE_FONT that does not exist", () => {
    expect(locateFont({ GRADSCOPE_FONT: "/nonexistent/font.ttf" })?.source).not.toBe("env");
  });

  it("falls back to the system fonts when given no font file", () => {
    const svg = FIXTURES["matrix-power"]!();
    expect(pngSize(svgToPng(svg, { font: null })).width).toBe(800);
  });

  it("draws text", () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="10" y="30" font-size="24" font-family="DejaVu Sans, sans-serif">Gradients</text></svg>';
    expect(darkPixels(svgToPng(svg))).toBeGreaterThan(100);
  });

  it("renders every figure at its size, and at a requested width and scale", () => {
    const timings: string[] = [];
    for (const [name, make] of Object.entries(FIXTURES)) {
      const t0 = performance.now();
      const svg = make();
      const t1 = performance.now();
      const png = svgToPng(svg);
      const t2 = performance.now();
      timings.push(`${name} ${(t1 - t0).toFixed(0)}+${(t2 - t1).toFixed(0)} ms`);
      expect(pngSize(png)).toEqual({ width: 800, height: svgHeight(svg) });
      // The figure's text is drawn (titles, ticks, legend).
      expect(darkPixels(png)).toBeGreaterThan(2000);
    }
    // Reported, not asserted: timings depend on the machine.
    console.log(`figure svg+png timings: ${timings.join(", ")}`);
    const svg = FIXTURES["loss-curves"]!();
    const h = svgHeight(svg);
    expect(pngSize(svgToPng(svg, { width: 400 }))).toEqual({ width: 400, height: h / 2 });
    expect(pngSize(svgToPng(svg, { scale: 2 }))).toEqual({ width: 1600, height: 2 * h });
    expect(() => svgToPng(svg, { scale: 0 })).toThrow(RangeError);
  });
});

describe("renderFigureFiles", () => {
  it("writes name.svg and name.png", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gradscope-figures-"));
    dirs.push(dir);
    const svg = FIXTURES["matrix-power"]!();
    const files = await renderFigureFiles(svg, join(dir, "figures"), "matrix-power");
    expect(files.svg).toBe(join(dir, "figures", "matrix-power.svg"));
    expect(readFileSync(files.svg, "utf8")).toBe(svg);
    expect(pngSize(readFileSync(files.png)).width).toBe(800);
    await expect(renderFigureFiles(svg, dir, "../x")).rejects.toThrow(/plain file name/);
  });
});
