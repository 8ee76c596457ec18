import { crc32c, maskCrc } from "./crc32c.ts";

/**
 * TFRecord framing, the container of TensorBoard event files. Each record is
 *   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes |
 *   `length` bytes of data      | uint32 masked CRC-32C of the data.
 * Pure: bytes in, records and problems out, with byte offsets for the messages.
 */

/** One record's data and where its header starts in the file. */
export interface TfRecord {
  offset: number;
  data: Uint8Array;
}

/** Something wrong with the framing at `offset` (the start of the record's header). */
export interface FramingProblem {
  offset: number;
  message: string;
}

export type FramingItem = ({ kind: "record" } & TfRecord) | ({ kind: "problem" } & FramingProblem);

const HEADER = 12;
const FOOTER = 4;
/** Larger than any record a TensorBoard writer makes: a length above it is garbage. */
const MAX_RECORD = 2 ** 31;

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** The data length of a header at `at` whose length checksum holds, else null. */
function checkedLength(b: Uint8Array, at: number): number | null {
  if (maskCrc(crc32c(b, at, at + 8)) !== u32(b, at + 8)) return null;
  const high = u32(b, at + 4);
  const low = u32(b, at);
  return high === 0 && low < MAX_RECORD ? low : null;
}

function dataOk(b: Uint8Array, at: number, length: number): boolean {
  const start = at + HEADER;
  return maskCrc(crc32c(b, start, start + length)) === u32(b, start + length);
}

/**
 * The next offset after `from` where a whole record with both checksums valid starts, or -1.
 * Checking the 8-byte length's CRC at every byte is cheap; a false match (1 in 2^32) must also
 * pass the data CRC.
 */
function resync(b: Uint8Array, from: number): number {
  for (let at = from; at + HEADER + FOOTER <= b.length; at++) {
    const length = checkedLength(b, at);
    if (length !== null && at + HEADER + length + FOOTER <= b.length && dataOk(b, at, length)) {
      return at;
    }
  }
  return -1;
}

/**
 * The records of a TFRecord file, in order, with a problem for each corrupt or truncated one:
 * - a record whose data checksum fails is skipped (its length was checksummed, so the next
 *   record starts right after it);
 * - a header whose length checksum fails gives no trustworthy length: reading resumes at the
 *   next offset where a whole valid record starts (or stops when there is none);
 * - a file that ends inside a header or a record ends the file (a writer killed mid-write).
 */
export function* tfRecords(bytes: Uint8Array): Generator<FramingItem> {
  let at = 0;
  while (at < bytes.length) {
    const left = bytes.length - at;
    if (left < HEADER) {
      yield {
        kind: "problem",
        offset: at,
        message: `truncated record header (${left} bytes left, a header has ${HEADER}); the rest of the file is ignored`,
      };
      return;
    }
    const length = checkedLength(bytes, at);
    if (length === null) {
      const next = resync(bytes, at + 1);
      yield {
        kind: "problem",
        offset: at,
        message:
          next < 0
            ? `corrupt record header (length checksum mismatch) and no valid record after it: the last ${left} bytes are ignored`
            : `corrupt record header (length checksum mismatch): skipped ${next - at} bytes to the next valid record at byte ${next}`,
      };
      if (next < 0) return;
      at = next;
      continue;
    }
    if (left < HEADER + length + FOOTER) {
      yield {
        kind: "problem",
        offset: at,
        message: `truncated record (the header says ${length} bytes of data, the file ends ${left - HEADER} bytes after the header); the rest of the file is ignored`,
      };
      return;
    }
    if (!dataOk(bytes, at, length)) {
      yield {
        kind: "problem",
        offset: at,
        message: `corrupt record data (data checksum mismatch): the record's ${length} bytes are skipped`,
      };
    } else {
      yield { kind: "record", offset: at, data: bytes.subarray(at + HEADER, at + HEADER + length) };
    }
    at += HEADER + length + FOOTER;
  }
}

/** One record framed as TensorFlow writes it (for tests and fixtures made in code). */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + data.length + FOOTER);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length, true);
  view.setUint32(4, 0, true);
  view.setUint32(8, maskCrc(crc32c(out, 0, 8)), true);
  out.set(data, HEADER);
  view.setUint32(HEADER + data.length, maskCrc(crc32c(data)), true);
  return out;
}
