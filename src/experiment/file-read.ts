import { closeSync, constants, openSync, readSync, type Stats, statSync } from "node:fs";

/*
 * Reading files that can be large or that are not files at all, synchronously and in bounded
 * memory. Every file argument goes through `checkRegularFile` first: a FIFO nobody writes
 * would block the read forever and /dev/zero would never end, so anything but a regular file
 * is refused before it is opened. Large files (metrics.jsonl, CSV) are read in fixed chunks
 * (`forEachChunk`, `forEachLine`): memory stays at one chunk plus the longest line, however
 * large the file.
 */

/** Bytes read per chunk. */
export const CHUNK_BYTES = 1 << 20;

/** Why a file cannot be read; `code` is the errno code or "not-file" / "too-large". */
export class FileReadError extends Error {
  override readonly name = "FileReadError";
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return "a directory";
  if (s.isFIFO()) return "a FIFO (named pipe)";
  if (s.isCharacterDevice()) return "a character device";
  if (s.isBlockDevice()) return "a block device";
  if (s.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * Stat `path` (symlinks followed) and return its size when it is a regular file of at most
 * `maxBytes`; otherwise throw a one-line FileReadError naming `what` (e.g. "csv file"). Nothing
 * is opened, so a FIFO cannot block and a device cannot be read.
 */
export function checkRegularFile(path: string, what: string, maxBytes = Infinity): number {
  let s: Stats;
  try {
    s = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "EIO";
    throw new FileReadError(
      code === "ENOENT" ? `${what} not found: ${path}` : `cannot read ${what} ${path}: ${code}`,
      code,
    );
  }
  if (!s.isFile()) {
    const kind = kindOf(s);
    throw new FileReadError(
      `${what} ${path} is ${kind}, not a regular file`,
      s.isDirectory() ? "EISDIR" : "not-file",
    );
  }
  if (s.size > maxBytes) {
    throw new FileReadError(
      `${what} ${path} is ${s.size} bytes, over the ${maxBytes} bytes such a file may have`,
      "too-large",
    );
  }
  return s.size;
}

/** Read a small regular file whole (at most `maxBytes`), checked as `checkRegularFile` does. */
export function readSmallFile(path: string, what: string, maxBytes: number): string {
  checkRegularFile(path, what, maxBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  forEachChunk(path, (buf, len) => {
    total += len;
    // the file may have grown since stat: stop at the limit rather than read on
    if (total > maxBytes) {
      throw new FileReadError(
        `${what} ${path} grew past the ${maxBytes} bytes such a file may have`,
        "too-large",
      );
    }
    chunks.push(Buffer.from(buf.subarray(0, len)));
  });
  return Buffer.concat(chunks, total).toString("utf8");
}

/**
 * Call `onChunk(buffer, length)` for each chunk of the file, in order, until the end (or up
 * to `limitBytes`, the size at which to stop: a file still being appended to is read as it
 * was). The buffer is reused: copy what must outlive the call. Opened with O_NONBLOCK, so a
 * FIFO that appeared since the check reads as empty instead of blocking.
 */
export function forEachChunk(
  path: string,
  onChunk: (buf: Buffer, length: number) => void,
  limitBytes = Infinity,
): void {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let read = 0;
    for (;;) {
      const want = Math.min(CHUNK_BYTES, limitBytes - read);
      if (want <= 0) break;
      let n: number;
      try {
        n = readSync(fd, buf, 0, want, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") break;
        throw e;
      }
      if (n === 0) break;
      read += n;
      onChunk(buf, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** What `forEachLine` hands over for each line. */
export interface LineInfo {
  /** 1-based line number. */
  number: number;
  /** False for a last line with no newline after it (possibly cut short by a killed writer). */
  terminated: boolean;
  /** Byte offset of the line's first byte in the file. */
  offset: number;
  /** Length of the line in bytes, without its "\n". */
  bytes: number;
}

/** Lines longer than this are refused (a record of 10,000 layers is a few MB). */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;

/**
 * Call `onLine(text, info)` for every line of the file ("\n"-separated; a "\r" before it is
 * kept in `text`), reading in chunks: memory holds one chunk and one line, never the file.
 * A line longer than `maxLineBytes` throws a FileReadError. Returns the number of lines.
 */
export function forEachLine(
  path: string,
  onLine: (text: string, info: LineInfo) => void,
  options: { maxLineBytes?: number; limitBytes?: number } = {},
): number {
  const maxLine = options.maxLineBytes ?? MAX_LINE_BYTES;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineStart = 0;
  let fileOffset = 0;
  let number = 0;
  const tooLong = (): never => {
    throw new FileReadError(
      `${path} line ${number + 1} is longer than ${maxLine} bytes: not a line of this format`,
      "too-large",
    );
  };
  forEachChunk(
    path,
    (buf, len) => {
      let from = 0;
      for (;;) {
        const nl = buf.indexOf(10, from);
        if (nl === -1 || nl >= len) break;
        let text: string;
        const bytes = pendingBytes + nl - from;
        if (bytes > maxLine) tooLong();
        if (pendingBytes > 0) {
          pending.push(buf.subarray(from, nl));
          text = Buffer.concat(pending, bytes).toString("utf8");
          pending = [];
          pendingBytes = 0;
        } else {
          text = buf.toString("utf8", from, nl);
        }
        number++;
        onLine(text, { number, terminated: true, offset: lineStart, bytes });
        lineStart = fileOffset + nl + 1;
        from = nl + 1;
      }
      if (from < len) {
        pendingBytes += len - from;
        if (pendingBytes > maxLine) tooLong();
        pending.push(Buffer.from(buf.subarray(from, len)));
      }
      fileOffset += len;
    },
    options.limitBytes,
  );
  if (pendingBytes > 0) {
    number++;
    onLine(Buffer.concat(pending, pendingBytes).toString("utf8"), {
      number,
      terminated: false,
      offset: lineStart,
      bytes: pendingBytes,
    });
  }
  return number;
}
