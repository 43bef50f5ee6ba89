/**
 * The "Evaluate on Folder" panel: the headline numbers (accuracy, balanced accuracy, ROC AUC with its interval, the
 * threshold for the target false-positive rate, ECE), both confusion matrices, the ROC curve and the reliability
 * diagram as inline SVG built from numbers (no external requests, no inline styles), and the pictures not scored.
 * It saves where evaluation.json is (webview state) so VS Code can restore the panel after a reload; a restored
 * panel whose evaluation is gone says so.
 */
import "@vscode-elements/elements/dist/vscode-button/index.js";
import { parseEvaluationToWebview, type ConfusionView, type EvaluationFromWebview, type EvaluationLostView, type EvaluationPanelState, type EvaluationToWebview, type EvaluationView } from "../src/shared/evaluation-protocol";
import { connect, h, percent, svg } from "./vscode-api";

const app = document.getElementById("app") as HTMLElement;
const channel = connect<EvaluationFromWebview, EvaluationToWebview, EvaluationPanelState>(parseEvaluationToWebview, receive);
channel.post({ type: "evaluation/ready" });

function receive(message: EvaluationToWebview): void {
  // Only the path is kept: the extension re-reads and checks evaluation.json when it restores the panel.
  if (message.state) channel.setState(message.state);
  switch (message.type) {
    case "evaluation/view":
      render(message.view);
      break;
    case "evaluation/lost":
      renderLost(message.lost);
      break;
    default: {
      const unreachable: never = message;
      void unreachable;
    }
  }
}

/** A restored panel whose evaluation cannot be shown: why. */
function renderLost(lost: EvaluationLostView): void {
  app.replaceChildren();
  app.removeAttribute("aria-busy");
  app.append(h("div", { class: "header" }, h("h1", {}, `Evaluation: ${lost.title}`)), h("p", { class: "notice", id: "lost", role: "status" }, lost.reason));
}

/** Square chart geometry, in SVG units. */
const SIZE = 320;
const PAD = { left: 44, right: 12, top: 12, bottom: 40 };
const px = (value: number): number => PAD.left + value * (SIZE - PAD.left - PAD.right);
const py = (value: number): number => SIZE - PAD.bottom - value * (SIZE - PAD.top - PAD.bottom);

function render(view: EvaluationView): void {
  app.replaceChildren();
  app.removeAttribute("aria-busy");
  const currentName = view.current.rule === "export-threshold" ? `the export's threshold ${(view.current.threshold ?? 0).toFixed(3)}` : "the largest probability (arg-max)";
  app.append(
    h("div", { class: "header" }, h("h1", {}, `Evaluation: ${view.title}`), actions(view)),
    h("p", { class: "notice", id: "counts" }, `${view.counts.scored} pictures scored: ${view.counts.fake} "${view.fakeLabel}", ${view.counts.real} other${view.counts.noFace > 0 ? `; ${view.counts.noFace} without a face` : ""}${view.counts.unreadable > 0 ? `; ${view.counts.unreadable} unreadable` : ""}. Model ${view.model}.`),
    h("table", { class: "numbers", id: "numbers" },
      row(`Accuracy (${currentName})`, pct(view.accuracy), "accuracy"),
      row("Balanced accuracy", pct(view.balancedAccuracy), "balanced-accuracy"),
      row("ROC AUC", view.auc ? `${view.auc.value.toFixed(3)} (${Math.round(view.auc.level * 100)}% CI ${view.auc.low.toFixed(3)}–${view.auc.high.toFixed(3)}, ${view.auc.resamples} bootstrap resamples)` : "– (needs both fake and real pictures)", "auc"),
      view.atMaxFpr
        ? row(`Threshold for FPR ≤ ${percent(view.atMaxFpr.maxFpr)}`, `${view.atMaxFpr.threshold.toFixed(3)}: flags ${percent(view.atMaxFpr.fpr)} of real pictures, ${view.atMaxFpr.tpr === null ? "fakes caught unknown (none given)" : `catches ${percent(view.atMaxFpr.tpr)} of fakes`}`, "threshold")
        : row("Threshold for a false-positive rate", "– (needs real pictures)", "threshold"),
      row("Expected calibration error", view.ece.toFixed(3), "ece")),
    h("div", { class: "charts" },
      ...(view.auc ? [h("figure", {}, rocChart(view, view.auc.value), h("figcaption", {}, "ROC curve: fakes caught against real pictures flagged, for every threshold; dots mark the two decisions below."))] : []),
      h("figure", {}, reliabilityChart(view), h("figcaption", {}, "Reliability: share of fakes per probability bin; on the dashed line a score of p means p of such pictures are fake."))),
    ...(view.atMaxFpr ? [h("h2", {}, `At the threshold for FPR ≤ ${percent(view.atMaxFpr.maxFpr)} (${view.atMaxFpr.threshold.toFixed(3)})`), confusionTable(view.atMaxFpr.confusion, view.fakeLabel, "confusion-max-fpr")] : []),
    h("h2", {}, `At the model's current decision (${currentName})`),
    confusionTable(view.current.confusion, view.fakeLabel, "confusion-current"),
  );
  if (view.unscored.length > 0) {
    app.append(h("h2", {}, "Not scored"), h("ul", { id: "unscored" },
      ...view.unscored.map((entry) => h("li", {}, `${entry.fileName} (${entry.label}): ${entry.reason === "no-face" ? "no face" : "unreadable"}`)),
      ...(view.unscoredMore > 0 ? [h("li", { class: "notice" }, `and ${view.unscoredMore} more (the report lists them all)`)] : [])));
  }
  if (view.warnings.length > 0) app.append(h("h2", {}, "Warnings"), h("ul", { class: "warnings" }, ...view.warnings.map((warning) => h("li", {}, warning))));
}

function actions(view: EvaluationView): HTMLElement {
  const box = h("div", { class: "actions" });
  if (!view.hasReport) return box;
  const open = h("vscode-button", { id: "open-report" }, "Open report");
  open.addEventListener("click", () => channel.post({ type: "evaluation/openReport" }));
  const reveal = h("vscode-button", { id: "reveal-report", secondary: true }, "Reveal folder");
  reveal.addEventListener("click", () => channel.post({ type: "evaluation/revealReport" }));
  box.append(open, reveal);
  if (view.canExportThreshold && view.atMaxFpr) {
    const exportButton = h("vscode-button", { id: "export-threshold", secondary: true, title: `Export the model deciding at ${view.atMaxFpr.threshold.toFixed(3)} (export --max-fpr ${view.atMaxFpr.maxFpr})` }, "Export with this threshold");
    exportButton.addEventListener("click", () => channel.post({ type: "evaluation/exportWithThreshold" }));
    box.append(exportButton);
  }
  return box;
}

function row(name: string, value: string, id: string): HTMLElement {
  return h("tr", {}, h("th", { scope: "row" }, name), h("td", { id }, value));
}

function confusionTable(confusion: ConfusionView, fakeLabel: string, id: string): HTMLElement {
  return h("table", { class: "confusion", id },
    h("tr", {}, h("th", {}, ""), h("th", { scope: "col" }, `flagged "${fakeLabel}"`), h("th", { scope: "col" }, "not flagged")),
    h("tr", {}, h("th", { scope: "row" }, `is "${fakeLabel}"`), h("td", { class: "tp" }, String(confusion.truePositives)), h("td", { class: "fn" }, String(confusion.falseNegatives))),
    h("tr", {}, h("th", { scope: "row" }, "is not"), h("td", { class: "fp" }, String(confusion.falsePositives)), h("td", { class: "tn" }, String(confusion.trueNegatives))));
}

/** The frame both charts share: grid, ticks, axis titles, the diagonal. */
function frame(label: string, xTitle: string, yTitle: string): SVGElement {
  const chart = svg("svg", { viewBox: `0 0 ${SIZE} ${SIZE}`, class: "chart", role: "img", "aria-label": label });
  for (let tick = 0; tick <= 10; tick += 2) {
    const value = tick / 10;
    chart.append(svg("line", { class: "grid-line", x1: px(value), x2: px(value), y1: py(0), y2: py(1) }), svg("line", { class: "grid-line", x1: px(0), x2: px(1), y1: py(value), y2: py(value) }));
    chart.append(svg("text", { class: "axis-label", x: px(value), y: py(0) + 14, "text-anchor": "middle" }, value.toFixed(1)), svg("text", { class: "axis-label", x: px(0) - 6, y: py(value) + 3, "text-anchor": "end" }, value.toFixed(1)));
  }
  chart.append(svg("line", { class: "diagonal", x1: px(0), y1: py(0), x2: px(1), y2: py(1) }));
  chart.append(svg("text", { class: "axis-title", x: (px(0) + px(1)) / 2, y: SIZE - 6, "text-anchor": "middle" }, xTitle));
  chart.append(svg("text", { class: "axis-title", x: 12, y: (py(0) + py(1)) / 2, "text-anchor": "middle", transform: `rotate(-90 12 ${(py(0) + py(1)) / 2})` }, yTitle));
  return chart;
}

function rocChart(view: EvaluationView, auc: number): SVGElement {
  const chart = frame(`ROC curve, AUC ${auc.toFixed(3)}`, "False-positive rate", "True-positive rate");
  chart.setAttribute("id", "roc");
  chart.append(svg("polyline", { class: "roc-line", points: view.roc.map(([fpr, tpr]) => `${px(fpr).toFixed(1)},${py(tpr).toFixed(1)}`).join(" ") }));
  const marks: Array<[string, number | null, number | null]> = [["max-fpr", view.atMaxFpr?.fpr ?? null, view.atMaxFpr?.tpr ?? null], ["current", view.current.confusion.fpr, view.current.confusion.tpr]];
  for (const [name, fpr, tpr] of marks) {
    if (fpr === null || tpr === null) continue;
    chart.append(svg("circle", { class: `operating-point ${name}`, cx: px(fpr).toFixed(1), cy: py(tpr).toFixed(1), r: 4.5 }));
  }
  return chart;
}

function reliabilityChart(view: EvaluationView): SVGElement {
  const chart = frame(`Reliability diagram, ECE ${view.ece.toFixed(3)}`, "Predicted fake probability", "Share that is fake");
  chart.setAttribute("id", "reliability");
  for (const bin of view.bins) {
    if (bin.count === 0 || bin.fractionFake === null || bin.meanScore === null) continue;
    const left = px(bin.from) + 1;
    const width = Math.max(1, px(bin.to) - px(bin.from) - 2);
    const bar = svg("rect", { class: "bin", x: left.toFixed(1), y: py(bin.fractionFake).toFixed(1), width: width.toFixed(1), height: Math.max(0, py(0) - py(bin.fractionFake)).toFixed(1) });
    bar.append(svg("title", {}, `${bin.from.toFixed(1)}–${bin.to.toFixed(1)}: ${bin.count} picture(s), mean score ${bin.meanScore.toFixed(3)}, ${percent(bin.fractionFake)} fake`));
    chart.append(bar, svg("circle", { class: "mean-score", cx: px(bin.meanScore).toFixed(1), cy: py(bin.fractionFake).toFixed(1), r: 3 }));
  }
  return chart;
}

function pct(value: number | null): string {
  return value === null ? "–" : percent(value);
}
