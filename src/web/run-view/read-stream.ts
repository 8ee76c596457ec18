import { LineSplitter } from "./parse.ts";

/**
 * Read a byte stream (a fetch body, a File) as lines without holding the whole text: chunks
 * are decoded and split as they arrive. `onLine` gets each line with its 1-based number and
 * whether it is the last one without a trailing newline (possibly torn).
 */
export async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string, lineNumber: number, unterminated: boolean) => void,
  onBytes: (bytes: number) => void,
): Promise<void> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const splitter = new LineSplitter();
  let n = 0;
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    for (const line of splitter.push(decoder.decode(value, { stream: true }))) {
      n++;
      if (line.trim() !== "") onLine(line, n, false);
    }
    onBytes(bytes);
  }
  for (const line of splitter.push(decoder.decode())) {
    n++;
    if (line.trim() !== "") onLine(line, n, false);
  }
  const last = splitter.end();
  if (last !== null) onLine(last, n + 1, true);
}
