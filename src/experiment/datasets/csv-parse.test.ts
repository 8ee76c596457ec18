import { describe, expect, it } from "vitest";
import { parseCsv } from "./csv-parse.ts";
import { DatasetError } from "./errors.ts";

describe("parseCsv", () => {
  it("splits plain rows and keeps line numbers", () => {
    expect(parseCsv("a,b\n1,2\n3,4")).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["1", "2"] },
      { line: 3, fields: ["3", "4"] },
    ]);
  });

  it("handles CRLF, lone CR, a trailing newline, blank lines and a BOM", () => {
    const text = "\ufeffa,b\r\n1,2\r\n\r\n  \n3,4\r5,6\r\n";
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["1", "2"] },
      { line: 5, fields: ["3", "4"] },
      { line: 6, fields: ["5", "6"] },
    ]);
  });

  it("reads RFC 4180 quoted fields: commas, doubled quotes, newlines", () => {
    const text = 'name,note\n"Smith, J","said ""hi"""\n"multi\nline",x\n"",y\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ["name", "note"] },
      { line: 2, fields: ["Smith, J", 'said "hi"'] },
      { line: 3, fields: ["multi\nline", "x"] },
      { line: 5, fields: ["", "y"] },
    ]);
  });

  it("keeps empty fields, including a trailing one", () => {
    expect(parseCsv("1,,3\n4,5,\n")).toEqual([
      { line: 1, fields: ["1", "", "3"] },
      { line: 2, fields: ["4", "5", ""] },
    ]);
  });

  it("an empty text has no records", () => {
    expect(parseCsv("")).toEqual([]);
    expect(parseCsv("\n\r\n  \n")).toEqual([]);
  });

  it("an unterminated quote is a DatasetError naming the line where it opened", () => {
    const run = () => parseCsv('a,b\n1,2\n"open,3\n4,5\n', "f.csv");
    expect(run).toThrow(DatasetError);
    expect(run).toThrow("f.csv, line 3: quoted field is never closed");
  });
});
