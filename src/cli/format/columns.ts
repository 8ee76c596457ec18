import { type GlossaryEntry, glossaryOf } from "../../experiment/glossary.ts";

/** Columns of each table the CLI prints, by glossary key (src/experiment/glossary.ts). */
export const TABLE_COLUMNS = {
  probe: [
    "layer",
    "q",
    "gradPreactMeanSq",
    "gradWeightNorm",
    "gradToWeight",
    "actStd",
    "saturated",
    "dead",
    "nonfinite",
    "predGradPreactMeanSq",
    "measOverPred",
  ],
  recurrent: [
    "t",
    "stepsBack",
    "gradHiddenNorm",
    "gradHiddenMeanSq",
    "predicted",
    "hiddenStd",
    "saturated",
    "nonfinite",
  ],
  transformer: [
    "block",
    "inputMeanSq",
    "blockOutputMeanSq",
    "gradInputMeanSq",
    "gradFfnOut",
    "attentionEntropy",
    "ffnDead",
    "nonfinite",
  ],
  theory: ["qStar", "chi1", "phase", "chiQ", "cStar", "chiC", "xiQ", "xiC", "xiGrad"],
  compare: ["finalLoss", "testLoss", "testAcc", "stepsToTarget", "initialVerdict", "runVerdict"],
} as const satisfies Record<string, readonly string[]>;

export type TableName = keyof typeof TABLE_COLUMNS;

/** `text` broken into lines of at most `width` characters, at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}

/** One definition per column, the header padded, the text wrapped to fit 80 columns. */
export function definitionLines(entries: readonly GlossaryEntry[], indent = "  "): string[] {
  const pad = Math.min(16, Math.max(...entries.map((e) => e.terminal.length)));
  const width = 80 - indent.length - pad - 2;
  return entries.flatMap((e) => {
    const [first = "", ...rest] = wrap(e.definition, width);
    const head = e.terminal.length > pad ? [`${indent}${e.terminal}`] : [];
    const lead = e.terminal.length > pad ? " ".repeat(pad) : e.terminal.padEnd(pad);
    return [
      ...head,
      `${indent}${lead}  ${first}`,
      ...rest.map((l) => `${indent}${" ".repeat(pad)}  ${l}`),
    ];
  });
}

/** The "Columns" section of a command's --help. */
export function columnsHelp(...tables: TableName[]): string {
  const keys = [...new Set(tables.flatMap((t) => TABLE_COLUMNS[t]))];
  return `\nColumns:\n${definitionLines(glossaryOf(keys)).join("\n")}\n`;
}

/** What --explain prints after a table. */
export function explain(table: TableName): string {
  return `\nwhat the columns mean:\n${definitionLines(glossaryOf(TABLE_COLUMNS[table])).join("\n")}\n`;
}
