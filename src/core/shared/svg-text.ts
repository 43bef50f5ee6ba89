/** One <text> element for the report charts (timeline, ROC, reliability), escaped, in fonts librsvg finds on Linux and macOS. */
import { escapeXml } from "./escape-xml";

const FONT = 'font-family="DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"';
const TEXT_COLOUR = "#212121";

/** How a label is set; `rotate` turns it to read bottom-up (a y-axis title). */
export interface SvgTextStyle {
  size: number;
  anchor?: "start" | "middle" | "end";
  weight?: "bold";
  fill?: string;
  rotate?: boolean;
}

export function svgText(x: number, y: number, content: string, style: SvgTextStyle): string {
  const attributes = [
    `x="${x.toFixed(1)}"`,
    `y="${y.toFixed(1)}"`,
    FONT,
    `font-size="${style.size}"`,
    `fill="${style.fill ?? TEXT_COLOUR}"`,
    style.anchor && style.anchor !== "start" ? `text-anchor="${style.anchor}"` : "",
    style.weight ? `font-weight="${style.weight}"` : "",
    style.rotate ? `transform="rotate(-90 ${x.toFixed(1)} ${y.toFixed(1)})"` : "",
  ].filter(Boolean);
  return `<text ${attributes.join(" ")}>${escapeXml(content)}</text>`;
}
