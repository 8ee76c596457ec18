import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isLoopbackAddress,
  isLoopbackHostHeader,
  resolveRequestPath,
  SECURITY_HEADERS,
  ServeError,
  type StaticServer,
  startStaticServer,
} from "./static-server.ts";

/** Send raw bytes (no client-side normalization) and return the whole response. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk) => {
      data += chunk;
    });
    socket.on("end", () => resolve(data));
    socket.on("error", reject);
    socket.write(text, "latin1");
  });
}

function statusOf(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? Number.NaN);
}

describe("resolveRequestPath", () => {
  const root = "/srv/lab";
  it("maps plain paths inside the root, / to index.html", () => {
    expect(resolveRequestPath(root, "/")).toBe("/srv/lab/index.html");
    expect(resolveRequestPath(root, "/index.html")).toBe("/srv/lab/index.html");
    expect(resolveRequestPath(root, "/assets/app-1234abcd.js?v=1#x")).toBe(
      "/srv/lab/assets/app-1234abcd.js",
    );
    expect(resolveRequestPath(root, "/a%20b.txt")).toBe("/srv/lab/a b.txt");
  });
  it.each([
    ["parent segments", "/../etc/passwd"],
    ["parent segments deeper", "/assets/../../etc/passwd"],
    ["encoded dots", "/%2e%2e/etc/passwd"],
    ["mixed encoded dots", "/assets/.%2E/.%2e/secret"],
    ["double encoding", "/%252e%252e/etc/passwd"],
    ["encoded slash", "/..%2fetc%2fpasswd"],
    ["backslash", "/..\\..\\etc\\passwd"],
    ["encoded backslash", "/..%5c..%5cetc"],
    ["NUL", "/index.html%00.js"],
    ["raw NUL", "/index.html\0"],
    ["dot segment", "/./index.html"],
    ["empty segment", "/assets//x.js"],
    ["protocol-relative", "//etc/passwd"],
    ["absolute form", "http://127.0.0.1/index.html"],
    ["no leading slash", "index.html"],
    ["malformed escape", "/%E0%A4%A"],
    ["drive letter", "/C:/windows"],
  ])("rejects %s", (_name, url) => {
    expect(resolveRequestPath(root, url)).toBeNull();
  });
  it("rejects an undefined url", () => {
    expect(resolveRequestPath(root, undefined)).toBeNull();
  });
});

describe("startStaticServer", () => {
  let dir: string;
  let root: string;
  let server: StaticServer;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gradscope-serve-"));
    root = join(dir, "site");
    mkdirSync(join(root, "assets"), { recursive: true });
    writeFileSync(join(root, "index.html"), "<!doctype html><title>lab</title>");
    writeFileSync(join(root, "assets", "index-AbCd1234.js"), "export {};\n");
    writeFileSync(join(root, "assets", "style.css"), "body{}\n");
    writeFileSync(join(root, "assets", "data.bin"), "\x00\x01");
    writeFileSync(join(dir, "secret.txt"), "secret\n");
    symlinkSync(join(dir, "secret.txt"), join(root, "link.txt"));
    server = await startStaticServer({ root, port: 0 });
    base = server.url;
  });
  afterAll(async () => {
    await server?.close();
  });

  it("serves files with their MIME type and the isolation headers", async () => {
    const res = await fetch(base);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      expect(res.headers.get(name)).toBe(value);
    }
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(await res.text()).toContain("<title>lab</title>");
    const js = await fetch(`${base}assets/index-AbCd1234.js`);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toContain("immutable");
    const css = await fetch(`${base}assets/style.css`);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    const bin = await fetch(`${base}assets/data.bin`);
    expect(bin.headers.get("content-type")).toBe("application/octet-stream");
  });

  it("prints a URL on loopback by default", () => {
    expect(server.host).toBe("127.0.0.1");
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it("answers 404 for missing files, directories and symlinks leaving the root", async () => {
    expect((await fetch(`${base}missing.js`)).status).toBe(404);
    expect((await fetch(`${base}assets`)).status).toBe(404);
    const link = await fetch(`${base}link.txt`);
    expect(link.status).toBe(404);
    expect(await link.text()).not.toContain("secret");
    // Error responses carry the security headers too.
    expect(link.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it.each([
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/assets/..%2f..%2fsecret.txt",
    "/%252e%252e/secret.txt",
    "/index.html%00",
    "/..\\secret.txt",
    "http://127.0.0.1/../secret.txt",
  ])("refuses %s without leaking the file", async (path) => {
    const response = await rawRequest(
      server.port,
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
    );
    expect([400, 404]).toContain(statusOf(response));
    expect(response).not.toContain("secret\n");
  });

  it("allows only GET and HEAD", async () => {
    const post = await fetch(base, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const head = await fetch(base, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBeGreaterThan(0);
    expect(await head.text()).toBe("");
  });

  it("answers only to loopback host names (DNS rebinding)", async () => {
    const response = await rawRequest(
      server.port,
      "GET / HTTP/1.1\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n",
    );
    expect(statusOf(response)).toBe(421);
    const ok = await rawRequest(
      server.port,
      `GET / HTTP/1.1\r\nHost: localhost:${server.port}\r\nConnection: close\r\n\r\n`,
    );
    expect(statusOf(ok)).toBe(200);
  });

  it("survives malformed requests and keeps serving", async () => {
    const garbage = await rawRequest(server.port, "HELLO THERE\r\n\r\n");
    expect(statusOf(garbage)).toBe(400);
    const badHeader = await rawRequest(server.port, "GET / HTTP/1.1\r\nBad Header\r\n\r\n");
    expect(statusOf(badHeader)).toBe(400);
    const halfOpen = connect(server.port, "127.0.0.1");
    halfOpen.write("GET / HT");
    halfOpen.destroy();
    const malformedEscape = await rawRequest(
      server.port,
      "GET /%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    expect(statusOf(malformedEscape)).toBe(400);
    expect((await fetch(base)).status).toBe(200);
  });

  it("explains in one line when the port is taken", async () => {
    const error = await startStaticServer({ root, port: server.port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServeError);
    expect((error as Error).message).toBe(
      `port ${server.port} on 127.0.0.1 is already in use: choose another with --port N (0 picks a free one)`,
    );
  });

  it("refuses a missing root", async () => {
    await expect(startStaticServer({ root: join(dir, "nope"), port: 0 })).rejects.toThrow(
      /no such directory/,
    );
  });
});

describe("serve hardening (issue #17, class 8)", () => {
  it("the Host check takes exact loopback names and addresses with an optional port only", () => {
    for (const ok of [
      "localhost",
      "LOCALHOST:4178",
      "127.0.0.1",
      "127.0.0.1:80",
      "127.1.2.3:65535",
      "127.255.255.255",
      "[::1]",
      "[::1]:4178",
    ]) {
      expect(isLoopbackHostHeader(ok), ok).toBe(true);
    }
    for (const bad of [
      undefined,
      "",
      "127.evil.example",
      "127.0.0.1.evil.example",
      "127.attacker.com:80",
      "localhost.",
      "localhost.evil.example",
      "evil-localhost",
      "127.0.0.256",
      "127.0.0.01",
      "127.0.0",
      "127.0.0.1:65536",
      "127.0.0.1:",
      "127.0.0.1:80:80",
      "user@127.0.0.1",
      "::1",
      "[::2]",
      "0.0.0.0",
      "10.0.0.1",
      " 127.0.0.1",
    ]) {
      expect(isLoopbackHostHeader(bad), String(bad)).toBe(false);
    }
    expect(isLoopbackAddress("127.0.0.1")).toBe(true);
    expect(isLoopbackAddress("::1")).toBe(true);
    expect(isLoopbackAddress("127.evil")).toBe(false);
    expect(isLoopbackAddress("0.0.0.0")).toBe(false);
  });

  let dir: string;
  let root: string;
  let server: StaticServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gradscope-harden-"));
    root = join(dir, "site");
    mkdirSync(join(root, ".git"), { recursive: true });
    writeFileSync(join(root, "index.html"), "<title>lab</title>");
    writeFileSync(join(root, ".env"), "TOKEN=secret\n");
    writeFileSync(join(root, ".git", "config"), "[core] secret\n");
    symlinkSync(join(root, ".env"), join(root, "env.txt")); // a plain name onto a dotfile
    symlinkSync(join(root, ".git"), join(root, "git")); // a plain folder onto a dot-folder
    server = await startStaticServer({
      root,
      port: 0,
      limits: {
        idleMs: 400,
        headersMs: 600,
        requestMs: 1200,
        keepAliveMs: 300,
        maxConnections: 64,
      },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("dotfiles and dot-folders are never served, also through a symlink", async () => {
    for (const path of ["/.env", "/.git/config", "/%2eenv", "/env.txt", "/git/config"]) {
      const r = await rawRequest(
        server.port,
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      );
      expect([400, 404], path).toContain(statusOf(r));
      expect(r).not.toContain("secret");
    }
  });

  it("the Host check runs on the server: a prefix-alike name gets 421", async () => {
    for (const host of ["127.evil.example", "localhost.evil.example", "127.0.0.1.nip.io"]) {
      const r = await rawRequest(
        server.port,
        `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      expect(statusOf(r), host).toBe(421);
    }
  });

  /** Open `n` connections that send nothing; resolves when all are connected. */
  async function idleSockets(n: number): Promise<{ sockets: Socket[]; closed: () => number }> {
    let closed = 0;
    const sockets = await Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise<Socket>((resolve, reject) => {
            const s = connect(server.port, "127.0.0.1", () => resolve(s));
            s.on("error", () => {});
            s.on("close", () => closed++);
            setTimeout(() => reject(new Error("connect timed out")), 5000);
          }),
      ),
    );
    return { sockets, closed: () => closed };
  }

  it("idle connections time out, connections over the cap are closed, and it keeps serving", async () => {
    const { sockets, closed } = await idleSockets(100); // over the cap of 64
    await new Promise((r) => setTimeout(r, 150));
    expect(closed()).toBeGreaterThanOrEqual(30); // the ones over the cap went at once
    const t0 = performance.now();
    while (closed() < 100 && performance.now() - t0 < 5000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(closed()).toBe(100); // every idle one closed after ~400 ms
    for (const s of sockets) s.destroy();
    const ok = await rawRequest(
      server.port,
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    expect(statusOf(ok)).toBe(200);
  });

  it("a client that sends its headers a byte at a time is cut off (headers timeout)", async () => {
    const socket = connect(server.port, "127.0.0.1");
    let response = "";
    socket.setEncoding("latin1");
    socket.on("data", (d) => {
      response += d;
    });
    socket.on("error", () => {});
    const done = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write("a");
    }, 100); // keeps the socket busy: only the headers timeout can end it
    const t0 = performance.now();
    await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
    clearInterval(drip);
    expect(socket.destroyed || socket.readableEnded, `${performance.now() - t0} ${response}`).toBe(
      true,
    );
    expect(performance.now() - t0).toBeLessThan(4000);
    expect(statusOf(response), response).toBe(408);
    socket.destroy();
  });

  it("the defaults are set", () => {
    const fresh = server.server;
    expect(fresh.timeout).toBe(400);
    expect(fresh.headersTimeout).toBe(600);
    expect(fresh.requestTimeout).toBe(1200);
    expect(fresh.maxConnections).toBe(64);
  });
});
