import { DatasetError } from "./errors.ts";

/** One CSV record: its fields and the 1-based line on which it starts. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * Split CSV text into records. Comma-separated; a field that starts with a double quote is
 * quoted (RFC 4180): it may contain commas, newlines and doubled quotes `""`. Lines end in
 * LF, CRLF or a lone CR. A leading byte-order mark is dropped, blank (or whitespace-only)
 * lines are skipped and a trailing newline is harmless. Unquoted fields are kept verbatim
 * (no trimming; a stray quote inside one is literal). Throws a DatasetError for a quoted
 * field that never closes.
 */
export function parseCsv(text: string, source = "csv"): CsvRecord[] {
  const records: CsvRecord[] = [];
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let quoted = false;
    for (;;) {
      let field = "";
      if (text[i] === '"') {
        quoted = true;
        const open = line;
        i++;
        for (;;) {
          if (i >= n) {
            throw new DatasetError(`${source}, line ${open}: quoted field is never closed`);
          }
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === "\n" || (c === "\r" && text[i + 1] !== "\n")) line++;
          field += c;
          i++;
        }
      }
      const from = i;
      while (i < n) {
        const c = text[i];
        if (c === "," || c === "\n" || c === "\r") break;
        i++;
      }
      field += text.slice(from, i);
      fields.push(field);
      if (i >= n) break;
      if (text[i] === ",") {
        i++;
        continue;
      }
      i += text[i] === "\r" && text[i + 1] === "\n" ? 2 : 1;
      line++;
      break;
    }
    const blank = !quoted && fields.length === 1 && fields[0]!.trim() === "";
    if (!blank) records.push({ line: start, fields });
  }
  return records;
}
