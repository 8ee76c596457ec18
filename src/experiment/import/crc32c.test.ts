import { describe, expect, it } from "vitest";
import { crc32c, maskCrc } from "./crc32c.ts";

const ascii = (s: string) => new TextEncoder().encode(s);

describe("crc32c", () => {
  it("matches the standard check value and RFC 3720 vectors", () => {
    expect(crc32c(ascii("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    // RFC 3720 B.4: 32 bytes of zeros, of 0xff, ascending 0..31, descending 31..0
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it("checksums a sub-range", () => {
    const b = ascii("xx123456789yy");
    expect(crc32c(b, 2, 11)).toBe(0xe3069283);
  });

  it("masks as TensorFlow does (values from tensorboard's masked_crc32c)", () => {
    expect(maskCrc(crc32c(new Uint8Array(0)))).toBe(0xa282ead8);
    expect(maskCrc(crc32c(ascii("123456789")))).toBe(0xc78ab0e5);
    // the length field of an empty record: 8 zero bytes
    expect(maskCrc(crc32c(new Uint8Array(8)))).toBe(0x07980329);
  });
});
