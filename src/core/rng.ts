/**
 * Seeded pseudo-random numbers (xoshiro128**, seeded through a splitmix32-style hash), so every
 * network, dataset and probe is reproducible from its seed. Never touches Math.random.
 */
export class Rng {
  /**
   * xoshiro128**'s four words, in an Int32Array: as object fields, words of 2^30 and more
   * (half of them) do not fit V8's small integers and were boxed on every update, which made a
   * draw cost ~12 ns; typed-array words stay raw int32 (a draw ~2 ns, the same bits).
   */
  private readonly s = new Int32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0 || 0x9e3779b9;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    for (let k = 0; k < 4; k++) this.s[k] = next();
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    return this.next32() >>> 0;
  }

  /**
   * Next 32 random bits as a signed int32 (the same bits as nextUint32): what the draws below
   * use, since an int32 never needs a heap number where an unsigned value of 2^31 and more
   * would.
   */
  private next32(): number {
    const s = this.s;
    const s0 = s[0]!;
    const s1 = s[1]!;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    const s2 = s[2]! ^ s0;
    const s3 = s[3]! ^ s1;
    s[1] = s1 ^ s2;
    s[0] = s0 ^ s3;
    s[2] = s2 ^ t;
    s[3] = rotl(s3, 11);
    return result;
  }

  /** Uniform on [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.next32() >>> 5; // 27 bits
    const lo = this.next32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform on [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /**
   * Standard normal N(0, 1) by the ziggurat method (Marsaglia & Tsang 2000, in Doornik's
   * 2005 form that takes the layer index and the uniform from separate bits). Most draws cost
   * two 32-bit words and one comparison; the normal is exact, not an approximation.
   */
  normal(): number {
    // The common case (~99% of draws) is kept small enough for V8 to inline it into the
    // caller's loop, so the double it returns is not boxed; the rest is normalRejected's.
    const b1 = this.next32();
    const b2 = this.next32();
    const i = b1 & 127;
    const u = ((b1 >>> 7) * 134217728 + (b2 >>> 5)) / 2251799813685248 - 1;
    if (Math.abs(u) < ZIG_RATIO[i]!) return u * ZIG_X[i]!;
    return this.normalRejected(i, u);
  }

  /** normal() after its first draw fell outside the layer's rectangle: the same stream. */
  private normalRejected(layer: number, uniform: number): number {
    let i = layer;
    let u = uniform;
    for (;;) {
      if (i === 0) return this.normalTail(u < 0);
      const x = u * ZIG_X[i]!;
      const xi = ZIG_X[i]!;
      const xi1 = ZIG_X[i + 1]!;
      const f0 = Math.exp(-0.5 * (xi * xi - x * x));
      const f1 = Math.exp(-0.5 * (xi1 * xi1 - x * x));
      if (f1 + this.uniform() * (f0 - f1) < 1) return x;
      const b1 = this.next32();
      const b2 = this.next32();
      i = b1 & 127;
      u = ((b1 >>> 7) * 134217728 + (b2 >>> 5)) / 2251799813685248 - 1;
      if (Math.abs(u) < ZIG_RATIO[i]!) return u * ZIG_X[i]!;
    }
  }

  /** A draw from the normal tail beyond ZIG_R (Marsaglia 1964). */
  private normalTail(negative: boolean): number {
    for (;;) {
      // 1 - uniform() lies in (0, 1], so the logarithms are finite.
      const x = Math.log(1 - this.uniform()) / ZIG_R;
      const y = Math.log(1 - this.uniform());
      if (-2 * y >= x * x) return negative ? x - ZIG_R : ZIG_R - x;
    }
  }

  /** Fill `out` with N(mean, std^2) samples. */
  fillNormal(out: { length: number; [i: number]: number }, mean = 0, std = 1): void {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
  }

  /** Fill `out` with samples uniform on [low, high). */
  fillUniform(out: { length: number; [i: number]: number }, low: number, high: number): void {
    for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * this.uniform();
  }

  /** The generator's state (four 32-bit words), for checkpoints; `setState` restores it. */
  state(): [number, number, number, number] {
    const s = this.s;
    return [s[0]! >>> 0, s[1]! >>> 0, s[2]! >>> 0, s[3]! >>> 0];
  }

  /** Restore a state from `state()`: the generator continues exactly where that one was. */
  setState(state: readonly number[]): void {
    if (state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)) {
      throw new RangeError("rng: a state is four unsigned 32-bit integers");
    }
    for (let k = 0; k < 4; k++) this.s[k] = state[k]! | 0;
  }

  /** An independent generator derived from this one (for per-purpose streams). */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// Ziggurat tables for 128 layers: ZIG_X[i] is the right edge of layer i (ZIG_X[0] the
// pseudo-width of the base layer, which includes the tail), ZIG_RATIO[i] = ZIG_X[i+1]/ZIG_X[i]
// is the fraction of a layer lying wholly under the density.
const ZIG_LAYERS = 128;
const ZIG_R = 3.442619855899;
const ZIG_V = 9.91256303526217e-3;
const ZIG_X = new Float64Array(ZIG_LAYERS + 1);
const ZIG_RATIO = new Float64Array(ZIG_LAYERS);
{
  let f = Math.exp(-0.5 * ZIG_R * ZIG_R);
  ZIG_X[0] = ZIG_V / f;
  ZIG_X[1] = ZIG_R;
  ZIG_X[ZIG_LAYERS] = 0;
  for (let i = 2; i < ZIG_LAYERS; i++) {
    const x = Math.sqrt(-2 * Math.log(ZIG_V / ZIG_X[i - 1]! + f));
    ZIG_X[i] = x;
    f = Math.exp(-0.5 * x * x);
  }
  for (let i = 0; i < ZIG_LAYERS; i++) ZIG_RATIO[i] = ZIG_X[i + 1]! / ZIG_X[i]!;
}
