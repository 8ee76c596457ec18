import { Command } from "commander";
import type { WorkerEvent } from "../../experiment/sweep/queue.ts";
import { parseRedisUrl } from "../../experiment/sweep/redis-url.ts";
import { UsageError } from "../errors.ts";
import type { Output } from "../output.ts";

function positiveInt(flag: string, text: unknown, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `${flag} must be a whole number from ${min} to ${max} (got '${String(text)}')`,
    );
  }
  return n;
}

export function workerCommand(output: Output): Command {
  const command = new Command("worker")
    .description(
      "process sweep points from a Redis queue (submitted by `gradscope sweep --queue`) until stopped",
    )
    .requiredOption("--queue <url>", "the queue's Redis: redis://HOST:PORT")
    .option(
      "--concurrency <n>",
      "points at once in this worker, each in its own child process",
      "1",
    )
    .option(
      "--lock-ms <ms>",
      "job lock time: a killed worker's points return to the queue after it",
      "30000",
    )
    .option(
      "--stalled-ms <ms>",
      "how often to look for points of dead workers (default: half --lock-ms)",
    )
    .option("--quiet", "no line per point on stderr");
  command.addHelpText(
    "after",
    `
Each point runs in a sandboxed child process: a point that crashes fails that job (retried
twice with exponential backoff), not the worker. Run several workers per machine (or
--concurrency N), on as many machines as reach the Redis server. Ctrl-C (or SIGTERM)
finishes the points in hand and stops; a worker killed with -9 loses no point: its jobs go
back to the queue once their locks expire (--lock-ms) and another worker runs them.

Examples:
  gradscope worker --queue redis://127.0.0.1:6379
  gradscope worker --queue redis://10.0.0.5:6379 --concurrency 2`,
  );
  command.action(async (opts: Record<string, unknown>) => {
    const target = parseRedisUrl(String(opts["queue"]));
    const concurrency = positiveInt("--concurrency", opts["concurrency"], 1, 64);
    const lockMs = positiveInt("--lock-ms", opts["lockMs"], 1000, 3_600_000);
    const stalledMs =
      opts["stalledMs"] === undefined
        ? undefined
        : positiveInt("--stalled-ms", opts["stalledMs"], 100, 3_600_000);
    const quiet = opts["quiet"] === true;
    const controller = new AbortController();
    let stops = 0;
    const stop = (): void => {
      stops++;
      if (stops > 1) process.exit(130);
      output.err("gradscope worker: stopping after the points in hand (again: quit at once)\n");
      controller.abort();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    const log = (e: WorkerEvent): void => {
      if (e.type === "ready") {
        output.err(
          `gradscope worker: pid ${process.pid}, ${concurrency} at once, waiting for points on ${String(opts["queue"])}\n`,
        );
      } else if (e.type === "error") output.err(`gradscope worker: ${e.error}\n`);
      else if (quiet) return;
      else if (e.type === "completed") {
        output.err(`worker: ${e.id}: ${e.status} (${(e.elapsedMs / 1000).toFixed(1)} s)\n`);
      } else if (e.type === "failed") {
        output.err(
          `worker: ${e.id}: failed (attempt ${e.attempt}${e.final ? ", giving up" : ", will retry"}): ${e.error}\n`,
        );
      }
    };
    try {
      const { runQueueWorker } = await import("../../experiment/sweep/queue.ts");
      await runQueueWorker(target, {
        concurrency,
        lockDurationMs: lockMs,
        ...(stalledMs === undefined ? {} : { stalledIntervalMs: stalledMs }),
        signal: controller.signal,
        onEvent: log,
      });
    } finally {
      process.removeListener("SIGINT", stop);
      process.removeListener("SIGTERM", stop);
    }
  });
  return command;
}
