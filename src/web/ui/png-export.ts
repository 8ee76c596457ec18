/**
 * Figures as PNG in the browser: the figure's standalone SVG (with its own style sheets) is
 * loaded as an image and drawn onto a white canvas at `scale` times its size. The SVG names
 * its fonts (DejaVu Sans, Verdana, sans-serif) and an SVG image may only use installed
 * fonts, which is what those are; text sizes are in px, so scaling keeps the layout.
 */

/** The width and height attributes of an SVG document (what the figure was drawn at). */
export function svgSize(svg: string): { width: number; height: number } {
  const root = new DOMParser().parseFromString(svg, "image/svg+xml").documentElement;
  const num = (name: string) => Number.parseFloat(root.getAttribute(name) ?? "");
  let width = num("width");
  let height = num("height");
  if (!(width > 0 && height > 0)) {
    const box = (root.getAttribute("viewBox") ?? "").split(/[\s,]+/).map(Number);
    width = box[2] ?? Number.NaN;
    height = box[3] ?? Number.NaN;
  }
  if (!(width > 0 && height > 0)) throw new Error("the figure's SVG has no size");
  return { width, height };
}

export async function svgToPngBlob(svg: string, scale = 2): Promise<Blob> {
  const { width, height } = svgSize(svg);
  const url = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
  try {
    const image = new Image(width, height);
    image.src = url;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("this browser cannot draw on a canvas");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.scale(scale, scale);
    ctx.drawImage(image, 0, 0, width, height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob(
        (blob) => (blob ? resolve(blob) : reject(new Error("the canvas gave no PNG"))),
        "image/png",
      ),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
