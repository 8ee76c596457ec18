import { escapeHtml } from "./escape.ts";

/**
 * The page shell of an HTML report: one file with its stylesheet inline, no script, no
 * external asset (fonts are the reader's own sans-serif), so it works offline and can be
 * mailed or archived as is.
 */

export interface PageSection {
  id: string;
  /** Plain text; escaped here. */
  title: string;
  /** HTML, already escaped by whoever built it. */
  html: string;
}

export interface Page {
  /** Plain text. */
  title: string;
  /** HTML lines under the title (already escaped). */
  header: string;
  sections: readonly PageSection[];
  /** HTML (already escaped). */
  footer: string;
}

export const REPORT_CSS = `
:root { --ink: #222; --muted: #5f6368; --line: #e3e3e3; --bg: #f6f7f9;
  --bad: #b3261e; --bad-bg: #fdecea; --warn: #8a5300; --warn-bg: #fff4e0;
  --good: #1e6b2f; --good-bg: #e8f5e9; --info: #174ea6; --info-bg: #e8f0fe; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 28px 28px 64px; background: #fff;
  min-height: 100vh; box-shadow: 0 0 0 1px var(--line); }
h1 { font-size: 1.75rem; line-height: 1.25; margin: 0 0 .3em; }
h2 { font-size: 1.3rem; margin: 2.2em 0 .6em; padding-bottom: .25em; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 0 0 .4em; }
p { margin: .5em 0; }
.sub { color: var(--muted); margin: 0; overflow-wrap: anywhere; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: .9em; }
nav.toc { margin: 1.2em 0 0; padding: .7em 1em; background: var(--bg); border-radius: 6px; font-size: .93rem; }
nav.toc ol { margin: .2em 0 0; padding-left: 1.3em; columns: 2; column-gap: 2em; }
nav.toc a { color: var(--info); text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
figure { margin: 1.6em 0 2.2em; }
figure > svg { display: block; width: 100%; max-width: 960px; height: auto; }
svg text, svg tspan { white-space: pre; }
figcaption { color: var(--muted); font-size: .93rem; margin-top: .5em; max-width: 75ch; }
.scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.data { font-size: .84rem; width: 100%; }
table.data th, table.data td { padding: .3em .4em; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
table.data thead th { background: #fafafa; font-weight: 600; font-size: .76rem; border-bottom: 2px solid #ccc; white-space: normal;
  vertical-align: bottom; line-height: 1.25; }
table.data tbody tr:nth-child(even) { background: #fbfbfc; }
table.data td.bad { color: var(--bad); background: var(--bad-bg); font-weight: 600; }
table.data td.warn { color: var(--warn); background: var(--warn-bg); }
table.kv { font-size: .9rem; }
table.kv th { text-align: left; font-weight: 500; color: var(--muted); padding: .25em 1.5em .25em 0; vertical-align: top; white-space: nowrap; }
table.kv td { padding: .25em 0; overflow-wrap: anywhere; }
.kv-columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 0 3em; align-items: start; }
.kv-columns > table { justify-self: start; }
.null { color: #aaa; }
.badge { display: inline-block; padding: .05em .55em; border-radius: 999px; font-size: .78rem; font-weight: 600;
  letter-spacing: .02em; text-transform: uppercase; vertical-align: .1em; }
.badge.bad { color: var(--bad); background: var(--bad-bg); }
.badge.warn { color: var(--warn); background: var(--warn-bg); }
.badge.good { color: var(--good); background: var(--good-bg); }
.badge.info { color: var(--info); background: var(--info-bg); }
ul.verdicts { list-style: none; padding: 0; margin: .6em 0; }
ul.verdicts li { padding: .55em .9em; margin: .45em 0; border-left: 4px solid var(--line); background: var(--bg); border-radius: 0 6px 6px 0; }
ul.verdicts li.bad, article.finding.bad { border-left-color: var(--bad); }
ul.verdicts li.warn, article.finding.warn { border-left-color: var(--warn); }
ul.verdicts li.good, article.finding.good { border-left-color: var(--good); }
ul.verdicts li.info, article.finding.info { border-left-color: var(--info); }
article.finding { padding: .8em 1.1em; margin: .9em 0; border-left: 4px solid var(--line); background: var(--bg); border-radius: 0 6px 6px 0; }
article.finding .where { color: var(--muted); font-size: .9rem; margin-top: 0; }
table.evidence { font-size: .9rem; margin: .4em 0 .6em; }
table.evidence th { text-align: left; font-weight: 500; color: var(--muted); padding: .15em 1.5em .15em 0; }
table.evidence td { text-align: right; padding: .15em 0; }
.label { font-weight: 600; margin-right: .4em; }
ul.remedies { margin: .2em 0 .2em; padding-left: 1.3em; }
.note { color: var(--muted); font-size: .93rem; }
details { margin: .8em 0; }
summary { cursor: pointer; color: var(--info); }
dl.defs { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1.2em; font-size: .9rem; margin: .6em 0; }
dl.defs dt { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: .88em; }
dl.defs dd { margin: 0; color: var(--muted); }
footer { margin-top: 3em; padding-top: 1em; border-top: 1px solid var(--line); color: var(--muted); font-size: .85rem; }
footer a { color: inherit; }
@media (max-width: 700px) { main { padding: 18px 14px 48px; } nav.toc ol { columns: 1; } }
@media print { body { background: #fff; } main { box-shadow: none; max-width: none; padding: 0; }
  nav.toc { display: none; } figure, article.finding { break-inside: avoid; } }
`;

/** The whole document. */
export function renderPage(page: Page): string {
  const toc = page.sections
    .map((s) => `<li><a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a></li>`)
    .join("");
  const body = page.sections
    .map(
      (s) =>
        `<section id="${escapeHtml(s.id)}">\n<h2>${escapeHtml(s.title)}</h2>\n${s.html}\n</section>`,
    )
    .join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gradscope">
<title>${escapeHtml(page.title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(page.title)}</h1>
${page.header}
<nav class="toc" aria-label="contents"><strong>Contents</strong><ol>${toc}</ol></nav>
</header>
${body}
<footer>${page.footer}</footer>
</main>
</body>
</html>
`;
}
