import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisTestsEnabled, startRedis, type TestRedis } from "../../experiment/sweep/testing.ts";
import {
  comparableResults,
  resultLines,
  testSweepArgs,
} from "../../experiment/sweep/testing-sweep.ts";
import { main } from "../main.ts";
import { captureOutput } from "../test-output.ts";

const repo = fileURLToPath(new URL("../../..", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "gradscope-queue-"));
// longer points than the local test, so the kill lands while points are in flight
const ARGS = testSweepArgs(300);

interface Proc {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function cli(...args: string[]): Proc {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/run.ts", ...args], {
    cwd: repo,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  child.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, stderr: () => err, exited };
}

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Skipped only where redis-server is missing outside CI; in CI (CI=true) startRedis throws.
describe.runIf(redisTestsEnabled())(
  "gradscope sweep --queue and gradscope worker (BullMQ on Redis)",
  () => {
    let redis: TestRedis;
    const procs: Proc[] = [];
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      for (const p of procs)
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
      await Promise.all(procs.map((p) => p.exited));
      await redis?.stop();
      rmSync(root, { recursive: true, force: true });
    });

    it("a worker killed with -9 mid-sweep loses no point: all 24 once, equal to the local run", async () => {
      // the reference: the same sweep run locally by the CLI (which loads the same kernels as
      // a worker's sandbox: native when built, else WebAssembly), at the same time as the queue
      const local = join(root, "local");
      const reference = cli("sweep", ...ARGS, "--jobs", "1", "--out", local);
      procs.push(reference);

      const worker = (): Proc => {
        const p = cli("worker", "--queue", redis.url, "--lock-ms", "2000", "--stalled-ms", "500");
        procs.push(p);
        return p;
      };
      const a = worker();
      const b = worker();
      const dir = join(root, "queue");
      const submit = cli("sweep", ...ARGS, "--queue", redis.url, "--poll-ms", "100", "--out", dir);
      procs.push(submit);
      const completions = (p: Proc) => (p.stderr().match(/: completed \(/g) ?? []).length;
      await until("worker a to finish 2 points", () => completions(a) >= 2, 90_000);
      a.child.kill("SIGKILL");
      await a.exited;
      const c = worker();
      const code = await Promise.race([
        submit.exited,
        new Promise<null>((r) => setTimeout(() => r(null), 90_000)),
      ]);
      expect(code, submit.stderr()).toBe(0);
      expect(await reference.exited, reference.stderr()).toBe(0);
      const text = readFileSync(join(dir, "results.jsonl"), "utf8");
      expect(resultLines(text)).toEqual({ lines: 24, hashes: 24 });
      expect(comparableResults(dir)).toEqual(comparableResults(local));
      // the killed worker did some points, and the others did the rest (its lost one included)
      const ranOn = text
        .split("\n")
        .filter(Boolean)
        .map((l) => String(JSON.parse(l).ranOn));
      expect(ranOn.some((w) => w.endsWith(`:${a.child.pid}`))).toBe(true);
      expect(completions(b) + completions(c)).toBe(
        24 - ranOn.filter((w) => w.endsWith(`:${a.child.pid}`)).length,
      );

      // re-submitting the same points (another directory) adds no job: they are keyed by hash
      const again = join(root, "again");
      const output2 = captureOutput();
      expect(
        await main(["sweep", ...ARGS, "--queue", redis.url, "--no-wait", "--out", again], output2),
      ).toBe(0);
      expect(output2.stdout()).toMatch(/submitted 0 jobs \(24 already queued\)/);
      const collected = captureOutput();
      expect(
        await main(
          ["sweep", ...ARGS, "--queue", redis.url, "--poll-ms", "100", "--out", again],
          collected,
        ),
      ).toBe(0);
      expect(comparableResults(again)).toEqual(comparableResults(local));
      expect(existsSync(join(again, "sweep.json"))).toBe(true);
      for (const p of [b, c]) p.child.kill("SIGTERM");
      await Promise.all([b.exited, c.exited]);
    }, 240_000);
  },
);
