import { inflateSync } from "node:zlib";

/**
 * Just enough of a PNG decoder for the lab's downloads (8-bit RGB or RGBA, not interlaced):
 * the signature, the size from IHDR, and the pixels (IDAT inflated, filters undone), so a
 * test can tell a drawn figure from a blank canvas.
 */

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface DecodedPng {
  width: number;
  height: number;
  channels: number;
  /** Row-major pixels, `channels` bytes each. */
  pixels: Uint8Array;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export function decodePng(png: Buffer): DecodedPng {
  if (!png.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error("not a PNG: bad signature");
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      const colour = data[9];
      if (depth !== 8 || (colour !== 2 && colour !== 6) || data[12] !== 0)
        throw new Error(`unsupported PNG (bit depth ${depth}, colour type ${colour})`);
      channels = colour === 6 ? 4 : 3;
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const out = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[out + x - channels]! : 0;
      const b = y > 0 ? pixels[out - stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[out - stride + x - channels]! : 0;
      const v = raw[src + x]!;
      const predicted =
        filter === 0
          ? 0
          : filter === 1
            ? a
            : filter === 2
              ? b
              : filter === 3
                ? (a + b) >> 1
                : paeth(a, b, c);
      pixels[out + x] = (v + predicted) & 255;
    }
  }
  return { width, height, channels, pixels };
}

/** Fraction of pixels that are not (near) white. */
export function inkFraction(png: DecodedPng): number {
  const { pixels, channels } = png;
  let ink = 0;
  const n = pixels.length / channels;
  for (let i = 0; i < n; i++) {
    const o = i * channels;
    if (pixels[o]! < 235 || pixels[o + 1]! < 235 || pixels[o + 2]! < 235) ink++;
  }
  return ink / n;
}

/** Number of distinct colours (RGB). */
export function colourCount(png: DecodedPng): number {
  const seen = new Set<number>();
  const { pixels, channels } = png;
  for (let o = 0; o < pixels.length; o += channels)
    seen.add((pixels[o]! << 16) | (pixels[o + 1]! << 8) | pixels[o + 2]!);
  return seen.size;
}
