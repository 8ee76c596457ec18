import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { basename, dirname, join } from "node:path";

/**
 * The run route of `gradscope serve RUN_DIR`: the lab reads one run directory, read-only,
 * through fixed URLs. Only these names are ever served, looked up in a table, so no request
 * path reaches the file system: nothing else in the directory (checkpoints, dotfiles, other
 * files, subfolders) can be read, and ".." or encoded tricks have nothing to resolve.
 *
 *   /run/manifest.json   {"name": <directory name>, "files": [the run files present]}
 *   /run/config.json     /run/metrics.jsonl     /run/summary.json
 */

export const RUN_PREFIX = "/run/";

export const RUN_ROUTE_FILES: Readonly<Record<string, string>> = {
  "config.json": "application/json; charset=utf-8",
  "metrics.jsonl": "application/x-ndjson; charset=utf-8",
  "summary.json": "application/json; charset=utf-8",
};

export interface RunRoute {
  /** The run directory, symlinks resolved. */
  dir: string;
  name: string;
}

/** Resolve a run directory for serving (throws when it is not a directory). */
export async function runRoute(dir: string): Promise<RunRoute> {
  const real = await realpath(dir);
  if (!(await stat(real)).isDirectory()) throw new Error(`${dir} is not a directory`);
  return { dir: real, name: basename(real) };
}

/** The path of a run file, or null when it is missing or not a regular file inside the run. */
async function runFile(route: RunRoute, name: string): Promise<string | null> {
  try {
    const real = await realpath(join(route.dir, name));
    // a run file that is a symlink out of the directory is not served
    if (dirname(real) !== route.dir) return null;
    return (await stat(real)).isFile() ? real : null;
  } catch {
    return null;
  }
}

/**
 * Answer a request under /run/ (the path without query, as sent). `send` writes an error or
 * small body with the server's security headers; `headers` are those headers.
 */
export async function serveRunRoute(
  route: RunRoute,
  path: string,
  head: boolean,
  res: ServerResponse,
  send: (status: number, body: string, headers?: Record<string, string>) => void,
  headers: Readonly<Record<string, string>>,
): Promise<void> {
  const name = path.slice(RUN_PREFIX.length);
  if (name === "manifest.json") {
    const files: string[] = [];
    for (const f of Object.keys(RUN_ROUTE_FILES)) if (await runFile(route, f)) files.push(f);
    send(200, `${JSON.stringify({ name: route.name, files })}\n`, {
      "Content-Type": "application/json; charset=utf-8",
    });
    return;
  }
  const type = Object.hasOwn(RUN_ROUTE_FILES, name) ? RUN_ROUTE_FILES[name] : undefined;
  if (type === undefined) {
    send(404, "not found\n");
    return;
  }
  const file = await runFile(route, name);
  if (file === null) {
    send(404, "not found\n");
    return;
  }
  const info = await stat(file);
  // A run may still be training: never cached, the length is what is there now.
  res.writeHead(200, {
    ...headers,
    "Content-Type": type,
    "Content-Length": info.size,
    "Cache-Control": "no-store",
  });
  if (head) {
    res.end();
    return;
  }
  // Stop at the size announced: a live run keeps appending to metrics.jsonl.
  const stream = createReadStream(file, { start: 0, end: Math.max(0, info.size - 1) });
  if (info.size === 0) {
    stream.destroy();
    res.end();
    return;
  }
  stream.on("error", () => res.destroy());
  stream.pipe(res);
}
