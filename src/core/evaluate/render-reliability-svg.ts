/** The reliability diagram as a self-contained SVG (evaluation/calibration.svg and .png): per bin, the share of fakes against the mean score. */
import type { Calibration } from "./calibration";
import { CHART, CHART_COLOURS, chartDiagonal, chartText, chartX, chartY, openUnitSquareChart } from "./unit-square-chart";

/** Parameters of renderReliabilitySvg. */
export interface RenderReliabilitySvgParams {
  calibration: Calibration;
  fakeLabel: string;
}

export function renderReliabilitySvg(params: RenderReliabilitySvgParams): string {
  const { bins, ece } = params.calibration;
  const parts = openUnitSquareChart({
    title: `Calibration of the "${params.fakeLabel}" probability`,
    subtitle: `Expected calibration error (ECE) ${ece.toFixed(3)} over ${bins.length} bins · dashed: perfectly calibrated`,
    xTitle: "Predicted fake probability (bin)",
    yTitle: "Share of the bin's pictures that are fake",
  });
  const most = Math.max(1, ...bins.map((bin) => bin.count));
  for (const bin of bins) {
    if (bin.count === 0 || bin.fractionFake === null || bin.meanScore === null) continue;
    const left = chartX(bin.from) + 2;
    const width = chartX(bin.to) - chartX(bin.from) - 4;
    // Bars: the share of fakes in the bin; the count, faint, along the bottom, so a bin of two pictures does not mislead.
    parts.push(`<rect class="bin" x="${left.toFixed(1)}" y="${chartY(bin.fractionFake).toFixed(1)}" width="${width.toFixed(1)}" height="${(chartY(0) - chartY(bin.fractionFake)).toFixed(1)}" fill="${CHART_COLOURS.band}" stroke="${CHART_COLOURS.line}"/>`);
    parts.push(`<circle class="mean-score" cx="${chartX(bin.meanScore).toFixed(1)}" cy="${chartY(bin.fractionFake).toFixed(1)}" r="3.5" fill="${CHART_COLOURS.fake}"/>`);
    parts.push(`<rect x="${left.toFixed(1)}" y="${(CHART.bottom - 6 * (bin.count / most)).toFixed(1)}" width="${width.toFixed(1)}" height="${(6 * (bin.count / most)).toFixed(1)}" fill="${CHART_COLOURS.axis}" opacity="0.5"/>`);
    parts.push(chartText(left + width / 2, chartY(bin.fractionFake) - 6, `n=${bin.count}`, { size: 10, anchor: "middle", fill: CHART_COLOURS.axis }));
  }
  parts.push(chartDiagonal(), "</svg>");
  return parts.join("\n");
}
