/** The frame both evaluation charts share: a white 0-1 × 0-1 plot with a grid, axis titles and a title, as SVG strings. */
import { svgText, type SvgTextStyle } from "../shared/svg-text";

export const CHART = { width: 560, height: 560, left: 72, right: 536, top: 72, bottom: 488 } as const;
export const CHART_COLOURS = { fake: "#c62828", real: "#1565c0", line: "#1565c0", band: "#bbdefb", grid: "#eeeeee", axis: "#616161", text: "#212121", diagonal: "#9e9e9e", current: "#2e7d32" } as const;

/** Data (0-1) to SVG x. */
export const chartX = (value: number): number => CHART.left + value * (CHART.right - CHART.left);
/** Data (0-1) to SVG y. */
export const chartY = (value: number): number => CHART.bottom - value * (CHART.bottom - CHART.top);

/** The opening of the chart: background, title lines, grid, ticks and axis titles; the caller adds the marks and closes it with `</svg>`. */
export function openUnitSquareChart(params: { title: string; subtitle: string; xTitle: string; yTitle: string }): string[] {
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${CHART.width}" height="${CHART.height}" viewBox="0 0 ${CHART.width} ${CHART.height}">`];
  parts.push(`<rect width="${CHART.width}" height="${CHART.height}" fill="#ffffff"/>`);
  parts.push(chartText(CHART.left, 28, params.title, { size: 16, weight: "bold" }));
  parts.push(chartText(CHART.left, 50, params.subtitle, { size: 12 }));
  for (let tick = 0; tick <= 10; tick++) {
    const value = tick / 10;
    parts.push(`<line x1="${chartX(value).toFixed(1)}" x2="${chartX(value).toFixed(1)}" y1="${CHART.top}" y2="${CHART.bottom}" stroke="${CHART_COLOURS.grid}"/>`);
    parts.push(`<line x1="${CHART.left}" x2="${CHART.right}" y1="${chartY(value).toFixed(1)}" y2="${chartY(value).toFixed(1)}" stroke="${CHART_COLOURS.grid}"/>`);
    if (tick % 2 === 0) {
      parts.push(chartText(chartX(value), CHART.bottom + 18, value.toFixed(1), { size: 11, anchor: "middle", fill: CHART_COLOURS.axis }));
      parts.push(chartText(CHART.left - 8, chartY(value) + 4, value.toFixed(1), { size: 11, anchor: "end", fill: CHART_COLOURS.axis }));
    }
  }
  parts.push(`<rect x="${CHART.left}" y="${CHART.top}" width="${CHART.right - CHART.left}" height="${CHART.bottom - CHART.top}" fill="none" stroke="${CHART_COLOURS.axis}"/>`);
  parts.push(chartText((CHART.left + CHART.right) / 2, CHART.bottom + 44, params.xTitle, { size: 13, anchor: "middle" }));
  parts.push(chartText(CHART.left - 44, (CHART.top + CHART.bottom) / 2, params.yTitle, { size: 13, anchor: "middle", rotate: true }));
  return parts;
}

/** The dashed diagonal, drawn last so no mark hides it: chance for a ROC curve, perfect calibration for a reliability diagram. */
export function chartDiagonal(): string {
  return `<line x1="${chartX(0)}" y1="${chartY(0)}" x2="${chartX(1)}" y2="${chartY(1)}" stroke="${CHART_COLOURS.diagonal}" stroke-dasharray="5 4"/>`;
}

/** One <text>, escaped, in the charts' text colour unless given. */
export function chartText(x: number, y: number, content: string, style: SvgTextStyle): string {
  return svgText(x, y, content, { ...style, fill: style.fill ?? CHART_COLOURS.text });
}
