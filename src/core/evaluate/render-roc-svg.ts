/** The ROC curve as a self-contained SVG (evaluation/roc.svg; sharp rasterises it to roc.png), with the operating points marked. */
import type { BootstrapInterval } from "./bootstrap-interval";
import type { RocPoint } from "./roc-curve";
import { CHART, CHART_COLOURS, chartDiagonal, chartText, chartX, chartY, openUnitSquareChart } from "./unit-square-chart";

/** A threshold to mark on the curve. */
export interface OperatingPoint {
  name: string;
  threshold: number;
  fpr: number;
  tpr: number;
}

/** Parameters of renderRocSvg. */
export interface RenderRocSvgParams {
  points: readonly RocPoint[];
  auc: number;
  interval?: BootstrapInterval;
  fakeLabel: string;
  positives: number;
  negatives: number;
  operatingPoints: readonly OperatingPoint[];
}

const MARK_COLOURS = [CHART_COLOURS.fake, CHART_COLOURS.current];

export function renderRocSvg(params: RenderRocSvgParams): string {
  const interval = params.interval ? ` (${Math.round(params.interval.level * 100)}% CI ${params.interval.low.toFixed(3)}–${params.interval.high.toFixed(3)})` : "";
  const parts = openUnitSquareChart({
    title: `ROC curve: "${params.fakeLabel}" vs the rest`,
    subtitle: `AUC ${params.auc.toFixed(3)}${interval} · ${params.positives} fake, ${params.negatives} real pictures`,
    xTitle: "False-positive rate (real pictures flagged)",
    yTitle: "True-positive rate (fakes caught)",
  });
  const line = params.points.map((point) => `${chartX(point.fpr).toFixed(1)},${chartY(point.tpr).toFixed(1)}`).join(" ");
  parts.push(`<polyline class="roc" points="${line}" fill="none" stroke="${CHART_COLOURS.line}" stroke-width="2.5" stroke-linejoin="round"/>`);
  params.operatingPoints.forEach((point, index) => {
    const colour = MARK_COLOURS[index % MARK_COLOURS.length];
    parts.push(`<circle class="operating-point" cx="${chartX(point.fpr).toFixed(1)}" cy="${chartY(point.tpr).toFixed(1)}" r="5" fill="${colour}" stroke="#ffffff" stroke-width="1.5"/>`);
    parts.push(chartText(CHART.right - 8, CHART.bottom - 12 - 18 * (params.operatingPoints.length - 1 - index), `● ${point.name}: threshold ${point.threshold.toFixed(3)}, FPR ${pct(point.fpr)}, TPR ${pct(point.tpr)}`, { size: 11, anchor: "end", fill: colour }));
  });
  parts.push(chartDiagonal(), "</svg>");
  return parts.join("\n");
}

function pct(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}
