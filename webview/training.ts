/**
 * The Training panel: fastai's epoch table, loss curves (train/valid) and error rate per epoch, and the confusion
 * matrix of the validation split, all drawn as inline SVG (no external requests). Live rows arrive per epoch.
 */
import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-progress-ring/index.js";
import "@vscode-elements/elements/dist/vscode-table/index.js";
import "@vscode-elements/elements/dist/vscode-table-body/index.js";
import "@vscode-elements/elements/dist/vscode-table-cell/index.js";
import "@vscode-elements/elements/dist/vscode-table-header/index.js";
import "@vscode-elements/elements/dist/vscode-table-header-cell/index.js";
import "@vscode-elements/elements/dist/vscode-table-row/index.js";
import { assertNever, parseTrainingToWebview, type EpochView, type RunView, type TrainingFromWebview, type TrainingProgress, type TrainingToWebview } from "../src/shared/protocol";
import { connect, h, percent, svg } from "./vscode-api";

const app = document.getElementById("app") as HTMLElement;
let run: RunView | undefined;
/** The running training's latest phase and count (before the first epoch). */
let progress: TrainingProgress | undefined;

const channel = connect<TrainingFromWebview, TrainingToWebview, { runId: string }>(parseTrainingToWebview, (message) => {
  switch (message.type) {
    case "training/run":
      run = message.run;
      if (run.status !== "running") progress = undefined;
      break;
    case "training/progress":
      progress = message.progress;
      if (!run) return;
      break;
    case "training/epoch":
      if (!run || run.runId !== message.runId) run = { runId: message.runId, status: "running", epochs: [] };
      run = { ...run, totalEpochs: message.totalEpochs ?? run.totalEpochs, epochs: [...run.epochs.filter((e) => e.epoch !== message.epoch.epoch), message.epoch] };
      break;
    default:
      assertNever(message);
  }
  if (run.status !== "running") channel.setState({ runId: run.runId });
  scheduleRender();
});

/**
 * Short epochs can send hundreds of rows a second, and every render redraws the table and both charts: while a run
 * is live, draw at most this often (otherwise the whole window stalls); a finished run is drawn at once.
 */
const LIVE_RENDER_INTERVAL_MS = 250;
let renderTimer: ReturnType<typeof setTimeout> | undefined;
let lastRender = 0;

function scheduleRender(): void {
  if (run?.status !== "running") {
    clearTimeout(renderTimer);
    renderTimer = undefined;
    render();
    return;
  }
  if (renderTimer !== undefined) return;
  renderTimer = setTimeout(() => {
    renderTimer = undefined;
    render();
  }, Math.max(0, lastRender + LIVE_RENDER_INTERVAL_MS - performance.now()));
}

function render(): void {
  lastRender = performance.now();
  app.replaceChildren();
  app.removeAttribute("aria-busy");
  if (!run) {
    app.append(h("p", { class: "notice" }, "Loading…"));
    return;
  }
  app.append(header(run));
  if (run.message) app.append(h("p", { class: run.status === "failed" ? "error" : "notice", id: "message" }, run.message));
  const epochs = [...run.epochs].sort((a, b) => a.epoch - b.epoch);
  if (epochs.length > 0) {
    app.append(
      h("div", { class: "charts" }, figure("Loss per epoch", lossChart(epochs)), figure("Error rate per epoch (validation)", errorChart(epochs))),
      epochTable(epochs, run.status === "done" ? run.keptEpoch : undefined),
    );
  } else if (run.status === "running") {
    app.append(preparing(progress));
  }
  if (run.sameIdentityBlends && run.status === "done") app.append(findingsSection(run.sameIdentityBlends, "same-person-blends", "Same-person manipulations"));
  if (run.audit && run.status === "done") app.append(auditSection(run.audit));
  if (run.whereItLooked && run.status === "done") app.append(findingsSection(run.whereItLooked, "where-it-looked", "Where the model looked"));
  if (run.confusion && run.status === "done") app.append(figure("Confusion matrix (validation)", confusionMatrix(run.confusion)));
}

/** Before the first epoch: the phase in words and, while features are computed, a bar with the counts. */
function preparing(current: TrainingProgress | undefined): HTMLElement {
  const box = h("div", { class: "preparing", id: "preparing" });
  box.append(h("p", { class: "notice", id: "phase" }, current?.message ? `${current.message}…` : "Preparing the data…"));
  if (current?.total) {
    const done = Math.min(current.done ?? 0, current.total);
    box.append(
      h("progress", { id: "feature-progress", max: current.total, value: done, "aria-label": current.unit ?? "progress" }),
      h("p", { class: "notice", id: "feature-count" }, `${done} / ${current.total} ${current.unit ?? ""} (${Math.floor((done / current.total) * 100)} %)`.trim()),
    );
  }
  box.append(h("p", { class: "notice" }, "The first epoch row appears when the features are ready and that epoch ends."));
  return box;
}

function header(view: RunView): HTMLElement {
  const done = view.epochs.length;
  const progress = view.status === "running" ? `${done}/${view.totalEpochs ?? "?"} epochs` : view.status;
  // A run that never finished has no id of its own yet.
  const titles: Record<RunView["status"], string> = { running: "Training…", cancelled: "Training cancelled", failed: "Training failed", done: `Run ${view.runId}` };
  const title = h("h1", {}, titles[view.status]);
  const parts: Array<Node | string> = [title, h("span", { class: `status status-${view.status}`, id: "run-status" }, progress)];
  if (view.status === "running") parts.push(h("vscode-progress-ring", { "aria-label": "Training" }));
  if (view.errorRate !== undefined && view.status === "done") {
    const kept = view.keptEpoch !== undefined ? ` (epoch ${view.keptEpoch}, the lowest validation loss, kept)` : "";
    parts.push(h("span", { class: "error-rate", id: "error-rate" }, `error rate ${percent(view.errorRate)}${kept}`));
    // The error rate says how well it tells the folders apart; this says whether it sees a manipulated face at all.
    if (view.sameIdentityBlendShare !== undefined) parts.push(h("span", { class: "error-rate", id: "blend-share" }, `catches ${percent(view.sameIdentityBlendShare)} of same-person blends`));
  }
  const bar = h("div", { class: "header" }, ...parts);
  if (view.status === "done") {
    const clean = h("vscode-button", { id: "open-cleaner" }, "Open Cleaner");
    clean.addEventListener("click", () => channel.post({ type: "training/openCleaner" }));
    const exportButton = h("vscode-button", { id: "export", secondary: true }, "Export this run");
    exportButton.addEventListener("click", () => channel.post({ type: "training/export", runId: view.runId }));
    bar.append(h("span", { class: "actions" }, clean, exportButton));
  }
  return bar;
}

function figure(caption: string, content: Node): HTMLElement {
  return h("figure", {}, content, h("figcaption", {}, caption));
}

/** The shortcut audit: the summary, then each finding as a warning a reader cannot miss. */
function auditSection(lines: string[]): HTMLElement {
  return findingsSection(lines, "audit", "Shortcut audit");
}

/** A summary line, then findings; lines starting "Warning: " are shown as errors (the audit's and where-it-looked's style). */
function findingsSection(lines: string[], id: string, label: string): HTMLElement {
  const [summary, ...findings] = lines;
  const flagged = findings.filter((line) => line.startsWith("Warning: "));
  return h(
    "section",
    { class: flagged.length > 0 ? "audit audit-flagged" : "audit", id, "aria-label": label },
    h("p", {}, summary ?? ""),
    ...findings.map((line) => h("p", { class: line.startsWith("Warning: ") ? "error" : "notice" }, line)),
  );
}

/** The epoch table; the row of the kept epoch is marked in words, not only by colour. */
function epochTable(epochs: EpochView[], keptEpoch: number | undefined): HTMLElement {
  const table = h("vscode-table", { zebra: true, "bordered-rows": true, id: "epochs", "aria-label": "Epochs" });
  const head = h("vscode-table-header", { slot: "header" });
  for (const name of ["epoch", "train_loss", "valid_loss", "error_rate", "time"]) head.append(h("vscode-table-header-cell", {}, name));
  const body = h("vscode-table-body", { slot: "body" });
  for (const epoch of epochs) {
    body.append(
      h(
        "vscode-table-row",
        { class: epoch.epoch === keptEpoch ? "epoch-row kept" : "epoch-row", "data-epoch": epoch.epoch },
        h("vscode-table-cell", {}, epoch.epoch === keptEpoch ? `${epoch.epoch} (kept)` : String(epoch.epoch)),
        h("vscode-table-cell", {}, epoch.trainLoss.toFixed(4)),
        h("vscode-table-cell", {}, epoch.validLoss.toFixed(4)),
        h("vscode-table-cell", {}, epoch.errorRate.toFixed(4)),
        h("vscode-table-cell", {}, `${epoch.seconds.toFixed(2)} s`),
      ),
    );
  }
  table.append(head, body);
  return table;
}

const WIDTH = 360;
const HEIGHT = 200;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };

/** Line chart of several series over epochs; classes pick theme colours in training.css. */
function lineChart(epochs: EpochView[], series: Array<{ name: string; className: string; value: (e: EpochView) => number }>, format: (v: number) => string, fixedMax?: number): SVGElement {
  const xs = epochs.map((e) => e.epoch);
  const values = series.flatMap((s) => epochs.map(s.value));
  const maxY = fixedMax ?? Math.max(1e-6, ...values) * 1.1;
  const minX = Math.min(...xs);
  const maxX = Math.max(minX + 1, ...xs);
  const x = (v: number) => PAD.left + ((v - minX) / (maxX - minX)) * (WIDTH - PAD.left - PAD.right);
  const y = (v: number) => HEIGHT - PAD.bottom - (Math.min(v, maxY) / maxY) * (HEIGHT - PAD.top - PAD.bottom);
  const chart = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", class: "chart" });
  const desc = series.map((s) => `${s.name}: ${epochs.map((e) => format(s.value(e))).join(", ")}`).join("; ");
  chart.append(svg("title", {}, desc));
  for (const tick of [0, 0.5, 1]) {
    const value = tick * maxY;
    chart.append(svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value), class: "grid-line" }));
    chart.append(svg("text", { x: PAD.left - 4, y: y(value) + 4, "text-anchor": "end", class: "axis-label" }, format(value)));
  }
  chart.append(svg("text", { x: x(minX), y: HEIGHT - 8, "text-anchor": "start", class: "axis-label" }, `epoch ${minX}`));
  chart.append(svg("text", { x: x(maxX), y: HEIGHT - 8, "text-anchor": "end", class: "axis-label" }, `epoch ${maxX}`));
  series.forEach((s, index) => {
    const points = epochs.map((e) => `${x(e.epoch).toFixed(1)},${y(s.value(e)).toFixed(1)}`).join(" ");
    chart.append(svg("polyline", { points, class: `series ${s.className}`, fill: "none" }));
    for (const e of epochs) chart.append(svg("circle", { cx: x(e.epoch), cy: y(s.value(e)), r: 2.5, class: `dot ${s.className}` }));
    chart.append(svg("text", { x: WIDTH - PAD.right, y: PAD.top + 12 + index * 14, "text-anchor": "end", class: `legend ${s.className}` }, s.name));
  });
  return chart;
}

function lossChart(epochs: EpochView[]): SVGElement {
  return lineChart(epochs, [
    { name: "train loss", className: "train", value: (e) => e.trainLoss },
    { name: "valid loss", className: "valid", value: (e) => e.validLoss },
  ], (v) => v.toFixed(2));
}

function errorChart(epochs: EpochView[]): SVGElement {
  const max = Math.max(0.05, ...epochs.map((e) => e.errorRate)) * 1.1;
  return lineChart(epochs, [{ name: "error rate", className: "error", value: (e) => e.errorRate }], (v) => percent(v), Math.min(1, max));
}

/** matrix[actual][predicted] as a grid of cells whose opacity grows with the count. */
function confusionMatrix(confusion: { labels: string[]; matrix: number[][] }): SVGElement {
  const n = confusion.labels.length;
  const cell = 120;
  const left = 150;
  const top = 40;
  const size = { width: left + n * cell + 10, height: top + n * cell + 40 };
  const max = Math.max(1, ...confusion.matrix.flat());
  const chart = svg("svg", { viewBox: `0 0 ${size.width} ${size.height}`, role: "img", class: "confusion", id: "confusion" });
  chart.append(svg("title", {}, confusion.labels.map((actual, i) => `actual ${actual}: ${confusion.labels.map((predicted, j) => `${confusion.matrix[i]?.[j] ?? 0} predicted ${predicted}`).join(", ")}`).join("; ")));
  chart.append(svg("text", { x: left + (n * cell) / 2, y: 14, "text-anchor": "middle", class: "axis-title" }, "Predicted"));
  chart.append(svg("text", { x: 10, y: top + (n * cell) / 2, class: "axis-title" }, "Actual"));
  confusion.labels.forEach((label, j) => chart.append(svg("text", { x: left + j * cell + cell / 2, y: top - 8, "text-anchor": "middle", class: "axis-label" }, shorten(label))));
  confusion.labels.forEach((label, i) => {
    chart.append(svg("text", { x: left - 6, y: top + i * cell + cell / 2 + 4, "text-anchor": "end", class: "axis-label" }, shorten(label)));
    confusion.labels.forEach((_, j) => {
      const count = confusion.matrix[i]?.[j] ?? 0;
      const level = Math.round((count / max) * 4); // 0..4 → classes, opacity comes from the stylesheet
      chart.append(svg("rect", { x: left + j * cell, y: top + i * cell, width: cell - 2, height: cell - 2, class: `cell level-${level}${i === j ? " diagonal" : ""}` }));
      chart.append(svg("text", { x: left + j * cell + cell / 2 - 1, y: top + i * cell + cell / 2 + 5, "text-anchor": "middle", class: `count level-${level}` }, String(count)));
    });
  });
  return chart;
}

function shorten(label: string): string {
  return label.length > 20 ? `${label.slice(0, 19)}…` : label;
}

render();
channel.post({ type: "training/ready" });
