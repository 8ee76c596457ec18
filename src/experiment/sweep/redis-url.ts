/** The `--queue` URL (kept apart from queue.ts so that parsing it does not load BullMQ). */
import { ConfigError } from "../config.ts";

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
}

/** `redis://[user:password@]host:port[/db]`. */
export function parseRedisUrl(text: string): RedisTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`--queue must be a URL redis://HOST:PORT (got '${text}')`);
  }
  if (url.protocol !== "redis:") {
    throw new ConfigError(`--queue must be a URL redis://HOST:PORT (got '${text}')`);
  }
  const port = url.port === "" ? 6379 : Number(url.port);
  const dbText = url.pathname.replace(/^\//, "");
  const db = dbText === "" ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new ConfigError(`--queue: bad database '${dbText}'`);
  const target: RedisTarget = { host: url.hostname || "127.0.0.1", port, db };
  if (url.username) target.username = decodeURIComponent(url.username);
  if (url.password) target.password = decodeURIComponent(url.password);
  return target;
}
