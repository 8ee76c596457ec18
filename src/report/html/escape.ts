/**
 * HTML escaping. Every piece of text the report did not write itself (config values, file
 * names, diagnosis strings) goes through `escapeHtml` before it lands in the page, in element
 * content and in quoted attribute values alike.
 */
const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/**
 * An SVG figure made ready for inlining in an HTML page: the XML prolog (if any) dropped, and
 * Observable Plot's <style> blocks removed. Inline, those rules would apply to the whole page
 * (and set `height: auto` on the nested plot <svg> elements, which some browsers then size to
 * the outer figure); the page's own stylesheet supplies the one rule that matters
 * (`white-space: pre` for SVG text).
 */
export function inlineSvg(svg: string): string {
  return svg
    .replace(/^\s*<\?xml[^>]*>\s*/, "")
    .replace(/<style>[\s\S]*?<\/style>/g, "")
    .trim();
}
