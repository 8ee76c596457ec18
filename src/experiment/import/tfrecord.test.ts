import { describe, expect, it } from "vitest";
import { type FramingItem, frameRecord, tfRecords } from "./tfrecord.ts";

const bytes = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const data = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const read = (b: Uint8Array) => [...tfRecords(b)];
const records = (items: FramingItem[]) =>
  items
    .filter((i) => i.kind === "record")
    .map((i) => [i.offset, (i as { data: Uint8Array }).data.length]);
const problems = (items: FramingItem[]) =>
  items
    .filter((i) => i.kind === "problem")
    .map((i) => [i.offset, i.kind === "problem" ? i.message : ""]);

describe("TFRecord framing", () => {
  it("reads framed records back with their offsets (header 12 + data + 4)", () => {
    const file = bytes(frameRecord(data(5, 1)), frameRecord(data(0, 0)), frameRecord(data(300, 7)));
    const items = read(file);
    expect(records(items)).toEqual([
      [0, 5],
      [21, 0],
      [37, 300],
    ]);
    expect(problems(items)).toEqual([]);
  });

  it("skips a record whose data checksum fails and reads on", () => {
    const file = bytes(frameRecord(data(5, 1)), frameRecord(data(10, 2)), frameRecord(data(3, 3)));
    file[21 + 12 + 4] = file[21 + 12 + 4]! ^ 0xff; // a byte inside the second record's data
    const items = read(file);
    expect(records(items)).toEqual([
      [0, 5],
      [47, 3],
    ]);
    expect(problems(items)).toEqual([
      [21, "corrupt record data (data checksum mismatch): the record's 10 bytes are skipped"],
    ]);
  });

  it("resynchronises after a corrupt header at the next valid record", () => {
    const file = bytes(frameRecord(data(5, 1)), frameRecord(data(10, 2)), frameRecord(data(3, 3)));
    file[21] = file[21]! ^ 0x01; // the second record's length
    const items = read(file);
    expect(records(items)).toEqual([
      [0, 5],
      [47, 3],
    ]);
    expect(problems(items)).toEqual([
      [
        21,
        "corrupt record header (length checksum mismatch): skipped 26 bytes to the next valid record at byte 47",
      ],
    ]);
  });

  it("stops a file that ends inside a record or a header", () => {
    const whole = bytes(frameRecord(data(5, 1)), frameRecord(data(10, 2)));
    const cut = whole.subarray(0, whole.length - 6);
    expect(problems(read(cut))).toEqual([
      [
        21,
        "truncated record (the header says 10 bytes of data, the file ends 8 bytes after the header); the rest of the file is ignored",
      ],
    ]);
    expect(records(read(cut))).toEqual([[0, 5]]);
    const inHeader = whole.subarray(0, 21 + 7);
    expect(problems(read(inHeader))).toEqual([
      [
        21,
        "truncated record header (7 bytes left, a header has 12); the rest of the file is ignored",
      ],
    ]);
  });

  it("finds no record in bytes that are not TFRecord", () => {
    const text = new TextEncoder().encode("this is a CSV file,1,2,3\n4,5,6\n");
    const items = read(text);
    expect(records(items)).toEqual([]);
    expect(problems(items)).toEqual([
      [
        0,
        `corrupt record header (length checksum mismatch) and no valid record after it: the last ${text.length} bytes are ignored`,
      ],
    ]);
  });
});
