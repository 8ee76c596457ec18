/** Number formats, tick positions and text metrics shared by the figures (pure). */

const SUPERSCRIPT: Readonly<Record<string, string>> = {
  "0": "⁰",
  "1": "¹",
  "2": "²",
  "3": "³",
  "4": "⁴",
  "5": "⁵",
  "6": "⁶",
  "7": "⁷",
  "8": "⁸",
  "9": "⁹",
  "-": "⁻",
};

/** "10⁻³" for -3; "1" and "10" for 0 and 1. */
export function powerOfTen(exponent: number): string {
  if (exponent === 0) return "1";
  if (exponent === 1) return "10";
  const digits = String(exponent)
    .split("")
    .map((c) => SUPERSCRIPT[c] ?? c)
    .join("");
  return `10${digits}`;
}

/** Replace an ASCII minus by the typographic minus sign. */
function minus(text: string): string {
  return text.replace(/^-/, "−");
}

/** Round to at most `digits` significant digits and drop trailing zeros. */
function significant(value: number, digits: number): string {
  return String(Number(value.toPrecision(digits)));
}

/**
 * A short, readable number: 0.0123, 12.3, 1.2×10⁻⁵ (scientific beyond 1e-3 .. 1e5);
 * NaN and the infinities by name.
 */
export function formatNumber(value: number, digits = 3): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "∞";
  if (value === Number.NEGATIVE_INFINITY) return "−∞";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e-3 && abs < 1e5) return minus(significant(value, digits));
  const exponent = Math.floor(Math.log10(abs));
  const mantissa = Number((value / 10 ** exponent).toPrecision(digits));
  // Rounding may carry the mantissa to 10.
  if (Math.abs(mantissa) >= 10)
    return sci(Number((mantissa / 10).toPrecision(digits)), exponent + 1);
  return sci(mantissa, exponent);
}

function sci(mantissa: number, exponent: number): string {
  const power = powerOfTen(exponent);
  if (mantissa === 1) return power;
  if (mantissa === -1) return `−${power}`;
  return `${minus(String(mantissa))}×${power}`;
}

/** A fraction as a percentage: 0 -> "0%", 0.1234 -> "12.3%", 0.00042 -> "0.042%". */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return "NaN%";
  const p = fraction * 100;
  if (p === 0) return "0%";
  if (Math.abs(p) >= 10) return `${Number(p.toFixed(1))}%`;
  if (Math.abs(p) >= 0.1) return `${Number(p.toFixed(2))}%`;
  return `${significant(p, 2)}%`;
}

/** Tick label for a value on a linear axis (integers as integers). */
export function formatTick(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return minus(String(value));
  return formatNumber(value, 4);
}

/** Tick label for a value on a log axis: powers of ten as 10ⁿ (1 and 10 plainly), others as numbers. */
export function formatLogTick(value: number): string {
  const exponent = Math.round(Math.log10(value));
  if (Math.abs(value / 10 ** exponent - 1) < 1e-9) return powerOfTen(exponent);
  return formatNumber(value, 2);
}

/** Smallest "nice" number (1, 2, 2.5, 5 times a power of ten) at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * power >= raw * (1 - 1e-12)) return m * power;
  }
  return 10 * power;
}

/** Round away floating-point noise from multiples of a step (0.30000000000000004 -> 0.3). */
export function clean(value: number): number {
  return Number(value.toPrecision(12));
}

/** 1, 2 and 5 times the powers of ten from 10^e0 to 10^e1. */
function oneTwoFive(e0: number, e1: number): number[] {
  const out: number[] = [];
  for (let e = e0; e <= e1; e++) for (const m of [1, 2, 5]) out.push(clean(m * 10 ** e));
  return out;
}

/**
 * Log-axis domain, ticks and tick format for data in [lo, hi] (lo > 0). Up to two decades:
 * ticks at 1, 2 and 5 times powers of ten, written as plain numbers, and the domain snapped
 * to the nearest of them. Wider: whole decades, labelled 10ⁿ, every `stride`-th decade so
 * at most `maxTicks` labels.
 */
export function logAxis(
  lo: number,
  hi: number,
  maxTicks = 8,
  minDecades = 0,
): { domain: [number, number]; ticks: number[]; format: (value: number) => string } {
  [lo, hi] = widenDecades(lo, hi, minDecades);
  let e0 = Math.floor(Math.log10(lo) + 1e-9);
  let e1 = Math.ceil(Math.log10(hi) - 1e-9);
  if (e1 <= e0) e1 = e0 + 1;
  // Whole decades can still fall short of the minimum when it is not an integer: widen the
  // side with more room to the data.
  while (e1 - e0 < minDecades) {
    if (Math.log10(lo) - e0 < e1 - Math.log10(hi)) e0--;
    else e1++;
  }
  const decades = e1 - e0;
  if (decades <= 2) {
    const candidates = oneTwoFive(e0, e1);
    const below = candidates.filter((v) => v <= lo * (1 + 1e-9));
    const above = candidates.filter((v) => v >= hi * (1 - 1e-9));
    const d0 = below[below.length - 1] ?? 10 ** e0;
    const d1 = above[0] ?? 10 ** e1;
    const ticks = candidates.filter((v) => v >= d0 * (1 - 1e-9) && v <= d1 * (1 + 1e-9));
    return { domain: [d0, d1 > d0 ? d1 : d0 * 10], ticks, format: (v) => formatNumber(v, 2) };
  }
  let stride = 1;
  for (const s of [1, 2, 3, 4, 5, 10, 20, 25, 50, 100]) {
    stride = s;
    if (Math.floor(e1 / s) - Math.ceil(e0 / s) + 1 <= maxTicks) break;
  }
  const ticks: number[] = [];
  for (let e = Math.ceil(e0 / stride) * stride; e <= e1; e += stride) ticks.push(10 ** e);
  return { domain: [10 ** e0, 10 ** e1], ticks, format: formatLogTick };
}

/**
 * [lo, hi] widened in log space to span at least `minDecades` decades, centred on the data's
 * geometric middle: a flat line at 3e-5 then sits in a 4-decade window around 3e-5 rather than
 * filling the plot as a flat line at 200 would. Positive lo <= hi expected; returned as is
 * when already wide enough.
 */
export function widenDecades(lo: number, hi: number, minDecades: number): [number, number] {
  if (!(lo > 0) || !(hi >= lo) || !(minDecades > 0)) return [lo, hi];
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  if (b - a >= minDecades) return [lo, hi];
  const mid = (a + b) / 2;
  const l = Math.max(-323, mid - minDecades / 2);
  const h = Math.min(308, l + minDecades);
  return [10 ** (h - minDecades), 10 ** h];
}

/** Linear ticks at multiples of a nice step inside [lo, hi], about `count` of them. */
export function linearTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const step = niceStep((hi - lo) / count);
  const ticks: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    ticks.push(clean(k * step));
  }
  return ticks;
}

/** Integer ticks for layer numbers 1..n: every layer when few, else 1 and multiples of a step. */
export function integerTicks(lo: number, hi: number, maxTicks = 20): number[] {
  const span = hi - lo;
  if (span + 1 <= maxTicks) return range(lo, hi);
  const step = Math.max(1, niceStep(span / (maxTicks - 1)));
  const ticks = [lo];
  for (let k = Math.ceil((lo + 1) / step) * step; k <= hi; k += step) {
    if (k - lo >= step / 2) ticks.push(k);
  }
  return ticks;
}

function range(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let i = lo; i <= hi; i++) out.push(i);
  return out;
}

/**
 * Approximate rendered width of text in DejaVu Sans (the font the PNG renderer uses; the
 * browser falls back to the similarly wide Verdana), in pixels. Errs on the wide side so
 * layouts leave room.
 */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const c of text) {
    if (c === " ") em += 0.32;
    else if (/[0-9]/.test(c)) em += 0.64;
    else if (/[A-Z]/.test(c)) em += 0.72;
    else if (/[iljtf.,:;'!|()[\]]/.test(c)) em += 0.36;
    else if (/[mwMW%]/.test(c)) em += 0.92;
    else em += 0.62;
  }
  return em * fontSize * (bold ? 1.1 : 1);
}

/** Split text into lines no wider than `maxWidth` at word boundaries. */
export function wrapText(text: string, maxWidth: number, fontSize: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    const next = line === "" ? word : `${line} ${word}`;
    if (line !== "" && textWidth(next, fontSize) > maxWidth) {
      lines.push(line);
      line = word;
    } else {
      line = next;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}
