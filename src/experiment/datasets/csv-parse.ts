import { DatasetError } from "./errors.ts";

/** One CSV record: its fields and the 1-based line on which it starts. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

const COMMA = 44;
const LF = 10;
const CR = 13;
const QUOTE = 34;
const BOM = 0xfeff;

/** Longest field the streaming parser accepts (a cell of a numeric table is a few bytes). */
export const MAX_FIELD_CHARS = 64 * 1024 * 1024;

/**
 * A CSV parser fed in pieces (`push(text)` any number of times, then `end()`), calling
 * `onRecord` once per record as soon as it is complete: memory holds one record, never the
 * table. Comma-separated; a field that starts with a double quote is quoted (RFC 4180): it
 * may contain commas, newlines and doubled quotes `""`. Lines end in LF, CRLF or a lone CR (a
 * CR at the end of one piece and an LF at the start of the next are one CRLF). A leading
 * byte-order mark is dropped, blank (or whitespace-only) lines are skipped and a trailing
 * newline is harmless. Unquoted fields are kept verbatim (no trimming; a stray quote inside
 * one is literal). Throws a DatasetError for a quoted field that never closes.
 */
export class CsvStreamParser {
  private started = false; // past the (optional) BOM
  private inRecord = false; // a character of the current record was consumed
  private quoted = false; // the current record has a quoted field
  private inQuotes = false;
  private quotePending = false; // a '"' inside quotes ended a piece: closes, or is '""'
  private skipLf = false; // the last record ended with CR: an LF right after belongs to it
  private quoteCr = false; // inside quotes, the last character was CR
  private field = "";
  private fields: string[] = [];
  private line = 1;
  private recordLine = 1;
  private openLine = 1;

  constructor(
    private readonly onRecord: (record: CsvRecord) => void,
    private readonly source = "csv",
  ) {}

  push(text: string): void {
    const n = text.length;
    let i = 0;
    if (!this.started && n > 0) {
      this.started = true;
      if (text.charCodeAt(0) === BOM) i = 1;
    }
    while (i < n) {
      if (this.skipLf) {
        this.skipLf = false;
        if (text.charCodeAt(i) === LF) {
          i++;
          continue;
        }
      }
      if (this.quotePending) {
        this.quotePending = false;
        if (text.charCodeAt(i) === QUOTE) {
          this.append('"');
          i++;
          continue; // still inside quotes
        }
        this.inQuotes = false; // the quote closed the field; carry on unquoted
      }
      if (this.inQuotes) {
        // up to the next quote, counting line breaks (CRLF once)
        const from = i;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === QUOTE) break;
          if (c === LF) {
            if (!this.quoteCr) this.line++;
            this.quoteCr = false;
          } else if (c === CR) {
            this.line++;
            this.quoteCr = true;
          } else {
            this.quoteCr = false;
          }
          i++;
        }
        this.append(text.slice(from, i));
        if (i < n) {
          // a quote: doubled, or the end of the quoted part
          this.quoteCr = false;
          if (i + 1 < n) {
            if (text.charCodeAt(i + 1) === QUOTE) {
              this.append('"');
              i += 2;
            } else {
              this.inQuotes = false;
              i++;
            }
          } else {
            this.quotePending = true;
            i++;
          }
        }
        continue;
      }
      if (!this.inRecord) {
        this.inRecord = true;
        this.recordLine = this.line;
      }
      const c = text.charCodeAt(i);
      if (c === QUOTE && this.field === "" && this.atFieldStart) {
        this.atFieldStart = false;
        this.quoted = true;
        this.inQuotes = true;
        this.quoteCr = false;
        this.openLine = this.line;
        i++;
        continue;
      }
      this.atFieldStart = false;
      if (c === COMMA) {
        this.fields.push(this.field);
        this.field = "";
        this.atFieldStart = true;
        i++;
        continue;
      }
      if (c === LF || c === CR) {
        this.finishRecord();
        this.line++;
        if (c === CR) this.skipLf = true;
        i++;
        continue;
      }
      const from = i;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === COMMA || d === LF || d === CR) break;
        i++;
      }
      this.append(text.slice(from, i));
    }
  }

  /** The end of the input: the last record (without a newline) is emitted. */
  end(): void {
    if (this.quotePending) {
      this.quotePending = false;
      this.inQuotes = false;
    }
    if (this.inQuotes) {
      throw new DatasetError(`${this.source}, line ${this.openLine}: quoted field is never closed`);
    }
    if (this.inRecord) this.finishRecord();
  }

  private atFieldStart = true;

  private append(s: string): void {
    if (s === "") return;
    if (this.field.length + s.length > MAX_FIELD_CHARS) {
      throw new DatasetError(
        `${this.source}, line ${this.recordLine}: a field longer than ${MAX_FIELD_CHARS} characters (not a table of numbers)`,
      );
    }
    this.field += s;
  }

  private finishRecord(): void {
    this.fields.push(this.field);
    const fields = this.fields;
    const blank = !this.quoted && fields.length === 1 && fields[0]!.trim() === "";
    const line = this.recordLine;
    this.fields = [];
    this.field = "";
    this.quoted = false;
    this.inRecord = false;
    this.atFieldStart = true;
    if (!blank) this.onRecord({ line, fields });
  }
}

/**
 * Split CSV text into records (CsvStreamParser over one piece; see there for the dialect).
 * Throws a DatasetError for a quoted field that never closes.
 */
export function parseCsv(text: string, source = "csv"): CsvRecord[] {
  const records: CsvRecord[] = [];
  const parser = new CsvStreamParser((r) => records.push(r), source);
  parser.push(text);
  parser.end();
  return records;
}
