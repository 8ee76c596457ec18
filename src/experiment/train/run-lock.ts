import {
  closeSync,
  existsSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../config.ts";

/**
 * One writer per run directory. Two `train --resume` on one directory would interleave their
 * records and unlink each other's files, so a writer takes `.gradscope.lock` first: a file
 * created with O_EXCL that names its owner (pid, host, start time). A lock whose owner is gone
 * (killed with -9, or a crash) is stale and is taken over; the takeover renames the lock to a
 * name of our own first, so of two processes recovering the same stale lock only one wins.
 */
export const LOCK_FILE = ".gradscope.lock";

export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the owner took the lock. */
  since: string;
  /** What the owner is doing, for the message a second writer gets. */
  purpose: string;
}

export interface RunLock {
  readonly dir: string;
  readonly owner: LockOwner;
  /** Give the lock back (idempotent); leaves another process's lock alone. */
  release(): void;
}

/** The owner recorded in `dir`'s lock file, or null when there is none (or it is unreadable). */
export function readLockOwner(dir: string): LockOwner | null {
  return parseOwner(readText(join(dir, LOCK_FILE)));
}

/**
 * Whether the process that holds `dir`'s lock still runs. A lock taken on another host cannot
 * be checked from here and counts as live (the safe answer for a shared file system).
 */
export function lockIsLive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  return processIsAlive(owner.pid);
}

/** Whether some live process is writing `dir` now. */
export function runDirInUse(dir: string): LockOwner | null {
  const owner = readLockOwner(dir);
  return owner && lockIsLive(owner) ? owner : null;
}

/**
 * Take `dir`'s lock (the directory must exist) or throw a one-line ConfigError naming the
 * live owner. A stale lock (owner gone) is recovered.
 */
export function acquireRunLock(dir: string, purpose: string): RunLock {
  const path = join(dir, LOCK_FILE);
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    purpose,
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(path, owner)) return heldLock(dir, path, owner);
    const current = parseOwner(readText(path));
    if (current === null && existsSync(path)) {
      // being written this very moment, or a torn file from a crash mid-write: look again
      // once; a torn file that stays torn is recovered as stale below
      if (attempt === 0) continue;
    } else if (current !== null && lockIsLive(current)) {
      throw inUse(dir, current);
    }
    recoverStale(path, current);
  }
  const current = parseOwner(readText(path));
  throw current ? inUse(dir, current) : new ConfigError(`cannot lock run directory ${dir}`);
}

function heldLock(dir: string, path: string, owner: LockOwner): RunLock {
  let held = true;
  return {
    dir,
    owner,
    release(): void {
      if (!held) return;
      held = false;
      const current = parseOwner(readText(path));
      if (current && current.pid === owner.pid && current.since === owner.since) {
        try {
          unlinkSync(path);
        } catch {
          // already gone (the directory was removed): nothing to give back
        }
      }
    },
  };
}

function inUse(dir: string, owner: LockOwner): ConfigError {
  const where =
    owner.host === hostname() ? `process ${owner.pid}` : `process ${owner.pid} on ${owner.host}`;
  return new ConfigError(
    `run directory ${dir} is in use by ${where} (${owner.purpose}, since ${owner.since}): wait for it to finish or stop it`,
  );
}

/** Create the lock file exclusively with `owner` in it; false when it already exists. */
function tryCreate(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    writeSync(fd, `${JSON.stringify(owner)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Move a stale lock out of the way. The rename is atomic, so of several processes only one
 * moves a given file; if what it moved turns out to be a live lock (another process recovered
 * the stale one and created its own in between), it is put back.
 */
function recoverStale(path: string, seen: LockOwner | null): void {
  const aside = `${path}.stale-${process.pid}-${Date.now()}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return; // someone else moved it
    throw err;
  }
  const moved = parseOwner(readText(aside));
  const same =
    seen === null
      ? moved === null
      : moved !== null && moved.pid === seen.pid && moved.since === seen.since;
  if (!same && moved !== null && lockIsLive(moved)) {
    try {
      linkSync(aside, path); // put the live lock back, unless a newer one took the place
    } catch {
      // the place is taken again: that owner holds the lock now
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // gone already
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

function parseOwner(text: string | null): LockOwner | null {
  if (text === null) return null;
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid !== "number" || typeof o.host !== "string") return null;
    return {
      pid: o.pid,
      host: o.host,
      since: typeof o.since === "string" ? o.since : "?",
      purpose: typeof o.purpose === "string" ? o.purpose : "?",
    };
  } catch {
    return null;
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
