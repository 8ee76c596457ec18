import {
  defaultLabInput,
  LAB_FIELDS,
  type LabErrors,
  type LabInput,
  validateLabInput,
} from "./lab-options.ts";

/**
 * The page's state in the URL hash, so every picture is reproducible from its link (the seed
 * is part of the state). One codec for every option, driven by the lab's option table:
 * `#view=lab&depth=50&width=64&activation=tanh&...`. Decoding validates with the same
 * messages as the CLI and reports each problem by option key, so the page can explain it
 * beside the control. DOM-free.
 */

export const VIEWS = ["lab", "matrix", "activation", "deep", "compare", "time", "norm"] as const;
export type View = (typeof VIEWS)[number];

export interface PageState {
  view: View;
  /** The lab's configuration (config A of the comparison). */
  input: LabInput;
  /** Config B of the comparison. */
  compare: LabInput;
  /** Matrix-power story: W, one row per inner array. */
  matrix: number[][];
  /** Matrix-power and deep-sigmoid stories: number of layers. */
  layers: number;
  /** Activation story: the activation shown. */
  fn: string;
  /** "Through time" page. */
  time: TimeState;
  /** "Where LayerNorm sits" page: blocks per model. */
  blocks: number;
}

/** The "through time" page: a recurrent net probed over T time steps. */
export interface TimeState {
  cell: "rnn" | "lstm" | "gru";
  /** The vanilla RNN's activation (lstm and gru have fixed gates). */
  phi: string;
  /** Recurrent gain rho: every singular value of the orthogonal W_hh. */
  rho: number;
  /** Sequence length T. */
  steps: number;
}

export const TIME_CELLS = ["rnn", "lstm", "gru"] as const;
export const TIME_PHIS = ["tanh", "relu", "sigmoid", "identity"] as const;
export const TIME_LIMITS = { minSteps: 10, maxSteps: 200, minRho: 0.5, maxRho: 1.5 } as const;
export const NORM_LIMITS = { minBlocks: 4, maxBlocks: 48 } as const;

export function defaultTimeState(): TimeState {
  return { cell: "rnn", phi: "tanh", rho: 1, steps: 50 };
}

export const DEFAULT_MATRIX: readonly (readonly number[])[] = [
  [0.9, 0.3],
  [-0.3, 0.9],
];

export function defaultPageState(): PageState {
  return {
    view: "lab",
    input: defaultLabInput(),
    compare: defaultLabInput(),
    matrix: DEFAULT_MATRIX.map((r) => r.slice()),
    layers: 30,
    fn: "sigmoid",
    time: defaultTimeState(),
    blocks: 12,
  };
}

/** Keys of the hash that are not lab options. */
const PAGE_KEYS = new Set([
  "view",
  "b",
  "matrix",
  "layers",
  "fn",
  "cell",
  "phi",
  "rho",
  "T",
  "blocks",
]);
export const MAX_MATRIX_SIZE = 8;
export const MAX_POWER_LAYERS = 200;

/** `key=value` pairs of a lab input: every option that applies, and any non-default one. */
export function encodeInput(input: Readonly<LabInput>): URLSearchParams {
  const params = new URLSearchParams();
  for (const f of LAB_FIELDS) {
    const v = input[f.spec.key];
    if (v === null || v === undefined) continue;
    const applies = f.relevant ? f.relevant(input) : true;
    if (!applies && v === f.spec.default) continue;
    params.set(f.spec.key, String(v));
  }
  return params;
}

/** Longest quoted value in a message; longer ones are cut with an ellipsis. */
const MAX_QUOTED = 40;

/**
 * A value quoted for a one-line message: control characters and line separators escaped as
 * \uXXXX (as ConfigError does), and cut after MAX_QUOTED characters, so a pasted link cannot
 * make a message wrap onto more lines.
 */
export function quoteValue(text: string): string {
  let out = "";
  let n = 0;
  for (const c of text) {
    if (n === MAX_QUOTED) {
      out += "…";
      break;
    }
    const code = c.charCodeAt(0);
    out +=
      code < 0x20 || (code >= 0x7f && code < 0xa0) || code === 0x2028 || code === 0x2029
        ? `\\u${code.toString(16).padStart(4, "0")}`
        : c;
    n++;
  }
  return `'${out}'`;
}

export function encodeMatrix(matrix: readonly (readonly number[])[]): string {
  return matrix.map((row) => row.map((v) => String(v)).join(",")).join(";");
}

/** Parse `a,b;c,d` (rows separated by ';' or new lines, entries by ',' or spaces). */
export function parseMatrix(text: string): number[][] {
  const rows = text
    .trim()
    .split(/\s*[;\n]\s*/)
    .filter((r) => r !== "");
  if (rows.length === 0) throw new RangeError("the matrix is empty");
  if (rows.length > MAX_MATRIX_SIZE) {
    throw new RangeError(`at most ${MAX_MATRIX_SIZE} rows (got ${rows.length})`);
  }
  const matrix = rows.map((row, i) =>
    row.split(/[\s,]+/).map((word, j) => {
      const v = word.trim() === "" ? Number.NaN : Number(word);
      if (!Number.isFinite(v)) {
        throw new RangeError(
          `entry (${i + 1}, ${j + 1}) is not a number (got ${quoteValue(word)})`,
        );
      }
      return v;
    }),
  );
  matrix.forEach((row, i) => {
    if (row.length !== matrix.length) {
      throw new RangeError(
        `the matrix must be square: row ${i + 1} has ${row.length} ${row.length === 1 ? "entry" : "entries"}, expected ${matrix.length}`,
      );
    }
  });
  return matrix;
}

/** The hash (with its leading '#') of a page state. */
export function encodeState(state: Readonly<PageState>): string {
  const params = new URLSearchParams();
  params.set("view", state.view);
  switch (state.view) {
    case "matrix":
      params.set("matrix", encodeMatrix(state.matrix));
      params.set("layers", String(state.layers));
      break;
    case "activation":
      params.set("fn", state.fn);
      break;
    case "deep":
      params.set("layers", String(state.layers));
      break;
    case "time":
      params.set("cell", state.time.cell);
      if (state.time.cell === "rnn") params.set("phi", state.time.phi);
      params.set("rho", String(state.time.rho));
      params.set("T", String(state.time.steps));
      break;
    case "norm":
      params.set("blocks", String(state.blocks));
      break;
    default:
      for (const [k, v] of encodeInput(state.input)) params.set(k, v);
      if (state.view === "compare") params.set("b", encodeInput(state.compare).toString());
  }
  return `#${params.toString()}`;
}

export interface DecodedState {
  state: PageState;
  /** Problems by option key ("" for the whole config; "b.<key>" for config B; page keys too). */
  errors: LabErrors;
  /** The raw text of each value that failed, to show it where it was typed. */
  rejected: Map<string, string>;
}

function decodeInput(
  params: URLSearchParams,
  prefix: string,
  errors: LabErrors,
  rejected: Map<string, string>,
): LabInput {
  const raw: Record<string, string> = {};
  for (const [k, v] of params) if (!PAGE_KEYS.has(k) || prefix !== "") raw[k] = v;
  const result = validateLabInput(raw);
  for (const [key, message] of result.errors) {
    errors.set(prefix + key, message);
    if (key !== "" && raw[key] !== undefined) rejected.set(prefix + key, raw[key]!);
  }
  return result.input;
}

/**
 * Decode a hash (with or without '#'). Never throws: every problem is reported in `errors`
 * and the state keeps the default for each value that failed.
 */
export function decodeState(hash: string): DecodedState {
  const state = defaultPageState();
  const errors: LabErrors = new Map();
  const rejected = new Map<string, string>();
  const text = hash.startsWith("#") ? hash.slice(1) : hash;
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(text);
  } catch {
    errors.set("", "the link's settings could not be read");
    return { state, errors, rejected };
  }
  const view = params.get("view");
  if (view !== null) {
    if ((VIEWS as readonly string[]).includes(view)) state.view = view as View;
    else errors.set("view", `view must be one of: ${VIEWS.join(", ")} (got ${quoteValue(view)})`);
  }
  const matrix = params.get("matrix");
  if (matrix !== null) {
    try {
      state.matrix = parseMatrix(matrix);
    } catch (err) {
      errors.set("matrix", `matrix: ${(err as Error).message}`);
      rejected.set("matrix", matrix);
    }
  }
  const layers = params.get("layers");
  if (layers !== null) {
    const n = Number(layers);
    if (Number.isInteger(n) && n >= 1 && n <= MAX_POWER_LAYERS) state.layers = n;
    else {
      errors.set(
        "layers",
        `layers must be an integer between 1 and ${MAX_POWER_LAYERS} (got ${quoteValue(layers)})`,
      );
      rejected.set("layers", layers);
    }
  }
  const fn = params.get("fn");
  if (fn !== null) {
    const choices = LAB_FIELDS.find((f) => f.spec.key === "activation")!.spec;
    if (choices.kind === "choice" && choices.choices.includes(fn)) state.fn = fn;
    else {
      errors.set("fn", `fn must be an activation name (got ${quoteValue(fn)})`);
      rejected.set("fn", fn);
    }
  }
  decodeDeepPages(params, state, errors, rejected);
  state.input = decodeInput(params, "", errors, rejected);
  const b = params.get("b");
  state.compare =
    b === null ? { ...state.input } : decodeInput(new URLSearchParams(b), "b.", errors, rejected);
  return { state, errors, rejected };
}

/** The keys of the "through time" and "where LayerNorm sits" pages. */
function decodeDeepPages(
  params: URLSearchParams,
  state: PageState,
  errors: LabErrors,
  rejected: Map<string, string>,
): void {
  const bad = (key: string, text: string, message: string) => {
    errors.set(key, message);
    rejected.set(key, text);
  };
  const cell = params.get("cell");
  if (cell !== null) {
    if ((TIME_CELLS as readonly string[]).includes(cell))
      state.time.cell = cell as TimeState["cell"];
    else
      bad("cell", cell, `cell must be one of: ${TIME_CELLS.join(", ")} (got ${quoteValue(cell)})`);
  }
  const phi = params.get("phi");
  if (phi !== null) {
    if ((TIME_PHIS as readonly string[]).includes(phi)) state.time.phi = phi;
    else bad("phi", phi, `phi must be one of: ${TIME_PHIS.join(", ")} (got ${quoteValue(phi)})`);
  }
  const rho = params.get("rho");
  if (rho !== null) {
    const v = rho.trim() === "" ? Number.NaN : Number(rho);
    if (v >= TIME_LIMITS.minRho && v <= TIME_LIMITS.maxRho) state.time.rho = v;
    else
      bad(
        "rho",
        rho,
        `rho must be a number between ${TIME_LIMITS.minRho} and ${TIME_LIMITS.maxRho} (got ${quoteValue(rho)})`,
      );
  }
  const steps = params.get("T");
  if (steps !== null) {
    const n = Number(steps);
    if (Number.isInteger(n) && n >= TIME_LIMITS.minSteps && n <= TIME_LIMITS.maxSteps)
      state.time.steps = n;
    else
      bad(
        "T",
        steps,
        `T must be an integer between ${TIME_LIMITS.minSteps} and ${TIME_LIMITS.maxSteps} (got ${quoteValue(steps)})`,
      );
  }
  const blocks = params.get("blocks");
  if (blocks !== null) {
    const n = Number(blocks);
    if (Number.isInteger(n) && n >= NORM_LIMITS.minBlocks && n <= NORM_LIMITS.maxBlocks)
      state.blocks = n;
    else
      bad(
        "blocks",
        blocks,
        `blocks must be an integer between ${NORM_LIMITS.minBlocks} and ${NORM_LIMITS.maxBlocks} (got ${quoteValue(blocks)})`,
      );
  }
}
