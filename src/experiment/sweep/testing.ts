/**
 * Test helpers: a throwaway redis-server on 127.0.0.1 at a free port with a temporary
 * directory (nothing saved), stopped by the caller. Where redis-server is missing, tests
 * skip, except in CI (CI=true), where they fail: a missing server must not pass silently.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function redisServerPath(): string | null {
  try {
    return (
      execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim() || null
    );
  } catch {
    return null;
  }
}

/** Whether tests that need Redis should run: yes when redis-server exists, and always in CI. */
export function redisTestsEnabled(): boolean {
  return redisServerPath() !== null || process.env["CI"] === "true";
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const bin = redisServerPath();
  if (bin === null) {
    throw new Error(
      "redis-server is not installed (apt-get install redis-server): the queue tests need it",
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "gradscope-redis-"));
  const port = await freePort();
  const child: ChildProcess = spawn(
    bin,
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "no",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  child.stdout?.on("data", (d: Buffer) => {
    log += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${log}`)), 10_000);
    const check = (): void => {
      if (log.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      } else if (child.exitCode !== null) {
        clearTimeout(timer);
        reject(new Error(`redis-server exited: ${log}`));
      } else setTimeout(check, 50);
    };
    check();
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
