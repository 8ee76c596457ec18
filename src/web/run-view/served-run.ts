/**
 * Whether the server offers a run (gradscope serve RUN_DIR): its fixed run route answers
 * run/manifest.json with the run's name. Any other answer (404, a development server's HTML
 * fallback) means no run. Asked once per page.
 */
let asked: Promise<string | null> | null = null;

export function servedRunBase(): Promise<string | null> {
  asked ??= (async () => {
    const base = new URL("run/", new URL(".", location.href)).href;
    try {
      const res = await fetch(`${base}manifest.json`, { cache: "no-store" });
      if (!res.ok || !(res.headers.get("Content-Type") ?? "").includes("json")) return null;
      const body = (await res.json()) as { name?: unknown };
      return typeof body.name === "string" ? base : null;
    } catch {
      return null;
    }
  })();
  return asked;
}
