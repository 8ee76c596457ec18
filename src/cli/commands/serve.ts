import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { defaultLabDir, isBuiltLab } from "../../server/lab-dir.ts";
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  isLoopbackAddress,
  ServeError,
  type StaticServer,
  startStaticServer,
} from "../../server/static-server.ts";
import { UsageError } from "../errors.ts";
import type { Output } from "../output.ts";

export interface ServeOptions {
  port: number;
  host: string;
  /** Directory of the built lab (default: the package's dist-web). */
  dir: string;
  /** A run directory the lab opens on its Run view (read-only, under /run/). */
  run?: string;
}

/** Check a run directory for `serve RUN_DIR`: a directory holding metrics.jsonl or config.json. */
export function checkRunDir(dir: string): void {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(`serve: run directory ${dir} does not exist`);
  }
  if (!isDir) throw new UsageError(`serve: ${dir} is not a directory (give a run directory)`);
  if (!existsSync(join(dir, "metrics.jsonl")) && !existsSync(join(dir, "config.json"))) {
    throw new UsageError(
      `serve: ${dir} holds no run (no metrics.jsonl or config.json): give a directory written by gradscope train or the PyTorch hook`,
    );
  }
}

export function parsePort(raw: string): number {
  const port = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be an integer between 0 and 65535 (got '${raw}')`);
  }
  return port;
}

/**
 * Start serving the lab and print its address. Resolves with the running server; the
 * caller decides when to close it. Throws UsageError (one line) when the lab is not built
 * or the address cannot be used.
 */
export async function startServe(options: ServeOptions, output: Output): Promise<StaticServer> {
  if (!isBuiltLab(options.dir)) {
    throw new UsageError(
      `the browser lab is not built (no index.html in ${options.dir}): run \`npm run build:web\``,
    );
  }
  if (options.run !== undefined) checkRunDir(options.run);
  let server: StaticServer;
  try {
    server = await startStaticServer({
      root: options.dir,
      host: options.host,
      port: options.port,
      ...(options.run !== undefined ? { run: options.run } : {}),
    });
  } catch (err) {
    if (err instanceof ServeError) throw new UsageError(err.message);
    throw err;
  }
  output.out(`gradscope lab: ${server.url}\n`);
  if (options.run !== undefined) {
    output.out(`run: ${options.run} (read-only; the lab opens on it: ${server.url}#view=run)\n`);
  }
  if (!isLoopbackAddress(options.host)) {
    output.err(
      `gradscope serve: listening on ${options.host}: other machines on your network can open the lab\n`,
    );
  }
  output.err("press Ctrl+C to stop\n");
  return server;
}

export function serveCommand(output: Output): Command {
  const command = new Command("serve")
    .description(
      "serve the browser lab (live training, figures, guided stories) on this machine; with RUN_DIR, the lab opens on that run",
    )
    .argument(
      "[run_dir]",
      "a run directory (gradscope train, or the PyTorch hook) to open in the lab's Run view",
    )
    .option("--port <n>", "port to listen on (0 picks a free one)", String(DEFAULT_PORT))
    .option("--host <address>", "address to listen on (loopback by default)", DEFAULT_HOST)
    .option("--dir <path>", "directory of the built lab (default: the package's dist-web)");
  command.addHelpText(
    "after",
    `
Examples:
  gradscope serve                 # http://127.0.0.1:${DEFAULT_PORT}/
  gradscope serve --port 8080
  gradscope serve --port 0        # any free port; the URL is printed
  gradscope serve runs/sigmoid    # the lab opens on this run (verdict, findings, figures)

With RUN_DIR the lab reads that run's config.json, metrics.jsonl and summary.json, read-only,
from /run/ (nothing else in the directory is served). Without it, the lab's Run page still
opens a metrics.jsonl you drop on it; the file is read in the browser, nothing is uploaded.

The lab works offline: everything it needs is in dist-web (built by \`npm run build:web\`,
which \`npm install\` runs).`,
  );
  command.action(
    async (runDir: string | undefined, opts: { port: string; host: string; dir?: string }) => {
      const server = await startServe(
        {
          port: parsePort(opts.port),
          host: opts.host,
          dir: opts.dir ?? defaultLabDir(),
          ...(runDir !== undefined ? { run: runDir } : {}),
        },
        output,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          server.close().then(resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    },
  );
  return command;
}
