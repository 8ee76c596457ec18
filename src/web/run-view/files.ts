/**
 * Which dropped file is which (DOM-free): metrics.jsonl by its .jsonl extension (or a name
 * with "metrics"), summary.json by "summary" in its name, any other .json as config.json.
 */
export interface NamedFile {
  name: string;
}

export interface RunFiles<F extends NamedFile> {
  metrics: F | null;
  config: F | null;
  summary: F | null;
  ignored: F[];
}

export function classifyFiles<F extends NamedFile>(files: readonly F[]): RunFiles<F> {
  const out: RunFiles<F> = { metrics: null, config: null, summary: null, ignored: [] };
  for (const f of files) {
    const name = f.name.toLowerCase();
    if (
      !out.metrics &&
      (name.endsWith(".jsonl") ||
        name.endsWith(".ndjson") ||
        (name.includes("metrics") && !name.endsWith(".json")))
    )
      out.metrics = f;
    else if (!out.summary && name.endsWith(".json") && name.includes("summary")) out.summary = f;
    else if (!out.config && name.endsWith(".json")) out.config = f;
    else out.ignored.push(f);
  }
  return out;
}
