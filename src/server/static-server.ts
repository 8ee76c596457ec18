import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { extname, isAbsolute, resolve, sep } from "node:path";
import { RUN_PREFIX, type RunRoute, runRoute, serveRunRoute } from "./run-route.ts";

/**
 * A tiny static file server for the built browser lab (dist-web). It serves only regular
 * files under its root, with GET and HEAD: every request path is decoded once, must be a
 * plain relative path (no "..", ".", backslash, NUL or encoded slash), and must resolve,
 * symlinks followed, inside the root. Everything else is 400, 404 or 405. Responses carry
 * the headers that isolate the page (COOP/COEP, so the workers get a cross-origin-isolated
 * context) and a strict Content-Security-Policy: the lab loads nothing from elsewhere.
 * Dotfiles are never served. With a run directory (`gradscope serve RUN_DIR`), /run/ serves
 * that run's files read-only through a fixed table (run-route.ts).
 */

export const DEFAULT_PORT = 4178;
export const DEFAULT_HOST = "127.0.0.1";

export const MIME_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

/**
 * The page's policy: scripts, workers and data only from this origin (workers may also be
 * blob: URLs); WebAssembly compilation allowed (the SIMD matrix kernel); inline styles
 * allowed because figures are SVG with style attributes; nothing may frame the page.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers on every response, errors included. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "Referrer-Policy": "no-referrer",
};

export class ServeError extends Error {
  override readonly name = "ServeError";
}

/**
 * The file a request URL names under `root`, or null when it names nothing servable. Pure
 * path logic (no file system): `root` must be absolute. "/" and paths ending in "/" mean
 * their index.html.
 */
export function resolveRequestPath(root: string, url: string | undefined): string | null {
  if (url === undefined || !url.startsWith("/") || url.startsWith("//")) return null;
  const path = url.replace(/[?#].*$/s, "");
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return null;
  // An encoded slash or a second round of encoding never names one of our files.
  if (/%2f|%5c|%00/i.test(path) || /%[0-9a-f]{2}/i.test(decoded)) return null;
  const segments = decoded.split("/").slice(1);
  if (segments.some((s) => s === "." || s === "..")) return null;
  // dotfiles and dot-folders (.git, .env, ...) are never part of the lab
  if (segments.some((s) => s.startsWith("."))) return null;
  if (segments.slice(0, -1).some((s) => s === "")) return null;
  const relative = segments.join("/") + (decoded.endsWith("/") ? "index.html" : "");
  if (isAbsolute(relative) || /^[a-z]:/i.test(relative)) return null;
  const file = resolve(root, relative);
  return file.startsWith(root.endsWith(sep) ? root : root + sep) ? file : null;
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  headers: OutgoingHttpHeaders = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** An IPv4 address in 127.0.0.0/8, dotted decimal (no leading zeros, octets 0-255). */
const LOOPBACK_V4 = /^127(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * True for a loopback name or address exactly: localhost, 127.x.y.z or ::1 (bracketed or
 * not). Used for the address the server listens on.
 */
export function isLoopbackAddress(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "::1" || h === "[::1]" || LOOPBACK_V4.test(h);
}

/**
 * True when a Host header names this loopback server: exactly localhost, an address in
 * 127.0.0.0/8 or [::1], each with an optional port (1-5 digits, at most 65535), any case.
 * Everything else (other names, "127.0.0.1.evil.example", "localhost.", userinfo, a second
 * colon) may be DNS rebinding and is refused.
 */
export function isLoopbackHostHeader(header: string | undefined): boolean {
  if (header === undefined) return false;
  const m = /^(localhost|\[::1\]|[0-9.]+)(?::(\d{1,5}))?$/i.exec(header);
  if (m === null) return false;
  if (m[2] !== undefined && Number(m[2]) > 65535) return false;
  const name = m[1]!.toLowerCase();
  return name === "localhost" || name === "[::1]" || LOOPBACK_V4.test(name);
}

/** True when a path relative to the root has a segment starting with "." (.git, .env). */
function hasDotSegment(relativePath: string): boolean {
  return relativePath.split(/[\\/]/).some((s) => s.startsWith("."));
}

async function handle(
  realRoot: string,
  run: RunRoute | null,
  loopbackOnly: boolean,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (loopbackOnly) {
    if (!isLoopbackHostHeader(req.headers.host)) {
      send(res, 421, "misdirected request: this server answers to localhost only\n");
      return;
    }
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    send(res, 405, "method not allowed\n", { Allow: "GET, HEAD" });
    return;
  }
  if (run !== null && req.url?.startsWith(RUN_PREFIX)) {
    await serveRunRoute(
      run,
      req.url.replace(/[?#].*$/s, ""),
      req.method === "HEAD",
      res,
      (status, body, headers) => send(res, status, body, headers),
      SECURITY_HEADERS,
    );
    return;
  }
  const file = resolveRequestPath(realRoot, req.url);
  if (file === null) {
    send(res, 400, "bad request path\n");
    return;
  }
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    send(res, 404, "not found\n");
    return;
  }
  // inside the root, and no dotfile or dot-folder reached through a symlink either
  if (!real.startsWith(realRoot + sep) || hasDotSegment(real.slice(realRoot.length + 1))) {
    send(res, 404, "not found\n");
    return;
  }
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(real);
  } catch {
    send(res, 404, "not found\n");
    return;
  }
  if (!info.isFile()) {
    send(res, 404, "not found\n");
    return;
  }
  const type = MIME_TYPES[extname(real).toLowerCase()] ?? "application/octet-stream";
  // Vite names bundles by content hash: they never change. Everything else is revalidated.
  const immutable = /[\\/]assets[\\/][^\\/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/.test(real);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    "Content-Type": type,
    "Content-Length": info.size,
    "Cache-Control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    "Last-Modified": info.mtime.toUTCString(),
  });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const stream = createReadStream(real);
  stream.on("error", () => res.destroy());
  stream.pipe(res);
}

export interface StaticServerOptions {
  /** Directory to serve (absolute or relative to the working directory). */
  root: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** A run directory to offer read-only under /run/ (gradscope serve RUN_DIR). */
  run?: string;
  /** Limits (defaults: SERVER_LIMITS); tests shorten them. */
  limits?: Partial<ServerLimits>;
}

/** How long a connection may take or idle, and how many there may be at once. */
export interface ServerLimits {
  /** A connection with no byte in either direction for this long is closed. */
  idleMs: number;
  /** Between requests on a kept-alive connection. */
  keepAliveMs: number;
  /** To receive a request's headers (slowloris). */
  headersMs: number;
  /** To receive a whole request. */
  requestMs: number;
  /** Open connections at once; more are closed on arrival (file descriptors stay available). */
  maxConnections: number;
}

export const SERVER_LIMITS: Readonly<ServerLimits> = {
  idleMs: 30_000,
  keepAliveMs: 5_000,
  headersMs: 20_000,
  requestMs: 60_000,
  maxConnections: 256,
};

export interface StaticServer {
  server: Server;
  host: string;
  port: number;
  /** http://host:port/ (IPv6 hosts in brackets; 0.0.0.0 shown as 127.0.0.1). */
  url: string;
  close(): Promise<void>;
}

function urlHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

/** Listen on host:port and serve `root`. Rejects with a one-line ServeError on failure. */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const root = resolve(options.root);
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    throw new ServeError(`cannot serve ${root}: no such directory`);
  }
  let run: RunRoute | null = null;
  if (options.run !== undefined) {
    try {
      run = await runRoute(options.run);
    } catch {
      throw new ServeError(`cannot serve the run ${options.run}: no such directory`);
    }
  }
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  const loopbackOnly = isLoopbackAddress(host);
  const limits = { ...SERVER_LIMITS, ...options.limits };
  const server = createServer(
    {
      // the headers and request timeouts are enforced by a check this often
      connectionsCheckingInterval: Math.max(10, Math.min(1000, limits.headersMs / 2)),
      headersTimeout: limits.headersMs,
      requestTimeout: limits.requestMs,
      keepAliveTimeout: limits.keepAliveMs,
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      handle(realRoot, run, loopbackOnly, req, res).catch(() => {
        if (!res.headersSent) send(res, 500, "internal error\n");
        else res.destroy();
      });
    },
  );
  // idle sockets are closed (thousands of them would exhaust file descriptors), and there
  // are never more than maxConnections open
  server.timeout = limits.idleMs;
  server.on("timeout", (socket) => socket.destroy());
  server.maxConnections = limits.maxConnections;
  server.maxHeadersCount = 100;
  // A malformed request line or header: answer 400 and drop the connection, keep serving.
  // Headers or request too slow (slowloris): 408, and the connection goes.
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    const status =
      err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "408 Request Timeout" : "400 Bad Request";
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });
  await new Promise<void>((resolvePromise, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      const where = `${host}:${port}`;
      switch (err.code) {
        case "EADDRINUSE":
          reject(
            new ServeError(
              `port ${port} on ${host} is already in use: choose another with --port N (0 picks a free one)`,
            ),
          );
          return;
        case "EACCES":
          reject(new ServeError(`not allowed to listen on ${where}: choose a port above 1023`));
          return;
        case "EADDRNOTAVAIL":
        case "ENOTFOUND":
        case "EAI_AGAIN":
          reject(new ServeError(`cannot listen on host ${host}: no such local address`));
          return;
        default:
          reject(new ServeError(`cannot listen on ${where}: ${err.code ?? err.message}`));
      }
    };
    const onListening = () => {
      server.off("error", onError);
      resolvePromise();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    host,
    port: address.port,
    url: `http://${urlHost(host)}:${address.port}/`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}
