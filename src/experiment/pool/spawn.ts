/**
 * Starting a pool worker from source or from dist. From dist the worker is plain worker.js.
 * From source (tsx, vitest) worker.ts needs a TypeScript loader, and on Node 20 a worker does
 * not inherit tsx's hooks (nor vitest's transform), and `execArgv: ["--import", "tsx"]` is
 * not reliable under vitest: a tiny eval script registers tsx's ESM API in the worker, then
 * imports worker.ts (the same way src/wasm-threads/node.ts starts its helper).
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { RuntimeSnapshot } from "./runtime.ts";

function workerUrl(): URL {
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./worker${ext}`, import.meta.url);
}

let tsxApi: string | undefined;

export function spawnPoolWorker(runtime: RuntimeSnapshot): Worker {
  const url = workerUrl();
  if (!url.pathname.endsWith(".ts")) return new Worker(url, { workerData: runtime });
  tsxApi ??= pathToFileURL(
    createRequire(import.meta.url)
      .resolve("tsx/esm/api")
      .replace(/\.cjs$/, ".mjs"),
  ).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((t) => { t.register(); return import(${JSON.stringify(url.href)}); });`;
  // execArgv [] : the parent's flags (e.g. vitest's or tsx's loaders) do not apply here
  return new Worker(code, { eval: true, execArgv: [], workerData: runtime });
}
