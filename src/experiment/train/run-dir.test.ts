import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { TrainConfig } from "../config.ts";
import type { RunSink } from "./recorder.ts";
import { claimFreshRunDir, RunDirWriter, readRunDir } from "./run-dir.ts";
import { acquireRunLock, LOCK_FILE, readLockOwner, runDirInUse } from "./run-lock.ts";
import { train } from "./trainer.ts";

const BASE: Partial<TrainConfig> = {
  depth: 3,
  width: 8,
  batch: 16,
  samples: 100,
  steps: 30,
  recordEvery: 5,
  evalEvery: 10,
  seed: 3,
};

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "gradscope-rundir-"));
}

describe("run directory: one writer, unique names, honest status", () => {
  it("a second lock on a directory is refused with the owner; release gives it back", () => {
    const dir = tempDir();
    const lock = acquireRunLock(dir, "train");
    expect(readLockOwner(dir)?.pid).toBe(process.pid);
    expect(runDirInUse(dir)?.pid).toBe(process.pid);
    expect(() => acquireRunLock(dir, "train --resume")).toThrow(
      /^run directory .* is in use by process \d+ \(train, since .*\): wait for it to finish or stop it$/,
    );
    lock.release();
    lock.release(); // idempotent
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    acquireRunLock(dir, "again").release();
  });

  it("stale locks (owner gone, torn file) are taken over; a lock from another host is respected", () => {
    const dir = tempDir();
    const gone = { pid: 2 ** 22 + 999, host: hostname(), since: "x", purpose: "train" };
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(gone));
    expect(runDirInUse(dir)).toBeNull();
    const lock = acquireRunLock(dir, "train");
    expect(readLockOwner(dir)?.pid).toBe(process.pid);
    lock.release();
    writeFileSync(join(dir, LOCK_FILE), '{"pid":12'); // torn by a crash mid-write
    acquireRunLock(dir, "train").release();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ ...gone, host: "elsewhere" }));
    expect(() => acquireRunLock(dir, "train")).toThrow(/in use by process \d+ on elsewhere/);
    // no stray files from the takeovers
    expect(readdirSync(dir).filter((f) => f !== LOCK_FILE)).toEqual([]);
  });

  it("two processes racing for one stale lock: exactly one wins", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid: 2 ** 22 + 7, host: hostname(), since: "x", purpose: "train" }),
    );
    // each child tries to take the lock and holds it for a moment
    const script = `
      import { acquireRunLock } from ${JSON.stringify(join(import.meta.dirname, "run-lock.ts"))};
      try { const l = acquireRunLock(${JSON.stringify(dir)}, "race"); const t0 = Date.now(); await new Promise(r => setTimeout(r, 400)); const t1 = Date.now(); l.release(); console.log("won " + t0 + " " + t1); }
      catch (e) { console.log("lost"); }`;
    const run = (): Promise<string> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [
          "--import",
          "tsx",
          "--input-type=module",
          "-e",
          script,
        ]);
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
        });
        child.on("close", () => resolve(out.trim()));
      });
    const results = await Promise.all([run(), run(), run(), run()]);
    expect(results.every((r) => r === "lost" || r.startsWith("won "))).toBe(true);
    const held = results
      .filter((r) => r.startsWith("won "))
      .map((r) => r.split(" ").slice(1).map(Number) as [number, number])
      .sort((x, y) => x[0] - y[0]);
    expect(held.length).toBeGreaterThanOrEqual(1);
    // whoever won held it alone: no two holding times overlap
    for (let i = 1; i < held.length; i++)
      expect(held[i]![0]).toBeGreaterThanOrEqual(held[i - 1]![1]);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 30_000);

  it("default names: runs started together with one config get distinct directories", () => {
    const base = join(tempDir(), "runs", "20261207-120000-abcdef12");
    const a = claimFreshRunDir(base);
    const b = claimFreshRunDir(base);
    const c = claimFreshRunDir(base);
    expect([a, b, c]).toEqual([base, `${base}-2`, `${base}-3`]);
  });

  it("a writer that cannot write (full disk) leaves status failed with the reason, and the lock released", async () => {
    const dir = join(tempDir(), "full");
    const writer = new RunDirWriter(dir);
    let appended = 0;
    const full: RunSink = {
      writeConfig: (c) => writer.writeConfig(c),
      appendRecord: (r) => {
        if (++appended > 2) {
          const err = new Error("ENOSPC: no space left on device, write") as NodeJS.ErrnoException;
          err.code = "ENOSPC";
          err.syscall = "write";
          throw err;
        }
        writer.appendRecord(r);
      },
      writeSummary: (s) => writer.writeSummary(s),
      close: () => writer.close(),
    };
    await expect(train(BASE, { sink: full })).rejects.toThrow(/ENOSPC/);
    const run = readRunDir(dir);
    expect(run.summary?.status).toBe("failed");
    expect(run.records.length).toBe(2);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it("'running' left behind by a killed writer reads back as interrupted; a live writer's stays running", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "config.json"), JSON.stringify({ depth: 3 }));
    writeFileSync(join(dir, "summary.json"), JSON.stringify({ status: "running", stepsDone: 4 }));
    expect(readRunDir(dir).summary?.status).toBe("interrupted");
    const lock = acquireRunLock(dir, "train");
    expect(readRunDir(dir).summary?.status).toBe("running");
    lock.release();
    // an imported run (written by the PyTorch hook, which takes no lock) is left as it says
    writeFileSync(join(dir, "config.json"), JSON.stringify({ source: "pytorch-hook" }));
    expect(readRunDir(dir).summary?.status).toBe("running");
    expect(JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")).status).toBe("running");
  });
});
