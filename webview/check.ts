/**
 * The "Check for Deepfake" panel: the verdict (never stated as fact), the timeline of the fake probability per
 * second as inline SVG (no external requests; click a second to seek) with the smoothed signal the verdict reads as
 * a line over the bars and the flagged segments shaded, the flagged segments as a list that seeks the <video> to
 * their start, the worst frames as thumbnails that seek it to their moment, the seconds with no face, and warnings. It saves where the report is (webview
 * state) so VS Code can restore the panel after a reload; a restored panel whose report is gone says so.
 */
import "@vscode-elements/elements/dist/vscode-button/index.js";
import { parseCheckToWebview, type CheckFromWebview, type CheckLostView, type CheckPanelState, type CheckSegmentView, type CheckToWebview, type CheckView } from "../src/shared/check-protocol";
import { connect, h, percent, svg } from "./vscode-api";

const app = document.getElementById("app") as HTMLElement;
let player: HTMLVideoElement | undefined;
/** More flagged segments than this are counted, not listed (the report lists them all). */
const MAX_LISTED_SEGMENTS = 50;

const channel = connect<CheckFromWebview, CheckToWebview, CheckPanelState>(parseCheckToWebview, receive);
channel.post({ type: "check/ready" });

function receive(message: CheckToWebview): void {
  // Only the paths are kept: the extension re-reads and checks the report when it restores the panel.
  if (message.state) channel.setState(message.state);
  switch (message.type) {
    case "check/view":
      render(message.view);
      break;
    case "check/lost":
      renderLost(message.lost);
      break;
    default: {
      const unreachable: never = message;
      void unreachable;
    }
  }
}

/** A restored panel whose report cannot be shown: why, and a way to check the file again. */
function renderLost(lost: CheckLostView): void {
  app.replaceChildren();
  app.removeAttribute("aria-busy");
  player = undefined;
  app.append(h("div", { class: "header" }, h("h1", {}, lost.fileName)), h("p", { class: "notice", id: "lost", role: "status" }, lost.reason));
  if (lost.canCheckAgain) {
    const again = h("vscode-button", { id: "check-again" }, "Check again");
    again.addEventListener("click", () => channel.post({ type: "check/checkAgain" }));
    app.append(h("p", {}, again));
  }
}

function render(view: CheckView): void {
  app.replaceChildren();
  app.removeAttribute("aria-busy");
  player = undefined;
  app.append(
    h("div", { class: "header" }, h("h1", {}, view.fileName), h("span", { class: `verdict verdict-${view.verdict.level}`, id: "verdict" }, view.verdict.headline), actions()),
    h("p", { class: "verdict-text", id: "verdict-text" }, view.verdict.text),
    h("p", { class: "notice", id: "counts" }, countsOf(view)),
  );
  if (view.kind === "video") {
    const video = h("video", { id: "player", src: view.mediaSrc, controls: true, preload: "metadata", "aria-label": `Video ${view.fileName}` });
    const fallback = h("p", { class: "notice", hidden: true }, "VS Code cannot play this file here (its webviews play H.264 MP4 and WebM video without sound). The worst frames below show the moments.");
    video.addEventListener("error", () => fallback.removeAttribute("hidden"));
    player = video;
    app.append(h("div", { class: "media" }, video), fallback);
    if (view.perSecond.length > 0) app.append(h("figure", {}, timeline(view), caption(view)));
    if (view.flaggedSegments && view.counts.faces > 0) app.append(h("h2", { id: "segments-heading" }, "Flagged segments"), segmentList(view));
  } else {
    const src = view.worst[0]?.src ?? view.mediaSrc;
    app.append(h("div", { class: "media" }, h("img", { src, alt: `${view.fileName}${view.worst[0] ? ", the face boxed with its score" : ""}`, class: "still" })));
  }
  if (view.worst.length > 0 && view.kind === "video") app.append(h("h2", {}, "Worst moments"), worstList(view));
  if (view.noFaceRanges.length > 0 && view.kind === "video") {
    app.append(h("h2", {}, "No face found"), h("ul", { id: "no-face" }, ...view.noFaceRanges.slice(0, 50).map((range) => h("li", {}, range.frames > 1 ? `${clock(range.start)}–${clock(range.end)} (${range.frames} frames)` : `${clock(range.start)} (1 frame)`))));
  }
  if (view.warnings.length > 0) app.append(h("h2", {}, "Warnings"), h("ul", { class: "warnings" }, ...view.warnings.map((warning) => h("li", {}, warning))));
}

function actions(): HTMLElement {
  const open = h("vscode-button", { id: "open-report" }, "Open report");
  open.addEventListener("click", () => channel.post({ type: "check/openReport" }));
  const reveal = h("vscode-button", { id: "reveal-report", secondary: true }, "Reveal report folder");
  reveal.addEventListener("click", () => channel.post({ type: "check/revealReport" }));
  return h("span", { class: "actions" }, open, reveal);
}

function countsOf(view: CheckView): string {
  const { counts } = view;
  const sampled = view.kind === "video" ? `${counts.frames} frames sampled${view.fps ? ` at ${view.fps} fps` : ""}; ` : "";
  const share = counts.faces > 0 ? ` (${percent(counts.facesAboveThreshold / counts.faces)})` : "";
  return `${sampled}${counts.faces} face(s) in ${counts.framesWithFaces} frame(s), ${counts.facesAboveThreshold} at or above ${Math.round(view.threshold * 100)}% "${view.fakeLabel}"${share}; ${counts.framesWithoutFaces} frame(s) without a face.`;
}

/** Where the chart draws: x of a time in seconds, y of a probability. */
interface Plot {
  left: number;
  right: number;
  top: number;
  bottom: number;
  x: (seconds: number) => number;
  y: (probability: number) => number;
}

/**
 * Bars per second: height = probability, red at or above the threshold, grey where no face was seen; the smoothed
 * signal as a line over them; the flagged segments as shaded columns with a strip along the top.
 */
function timeline(view: CheckView): SVGElement {
  const width = 720;
  const height = 184;
  const seconds = Math.max(view.perSecond.length, Math.ceil(view.durationSeconds ?? 0), 1);
  const left = 36;
  const right = width - 8;
  const top = 14;
  const bottom = height - 22;
  const slot = (right - left) / seconds;
  const plot: Plot = { left, right, top, bottom, x: (t) => left + Math.min(Math.max(t, 0), seconds) * slot, y: (p) => bottom - p * (bottom - top) };
  const { y } = plot;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "timeline", role: "img", "aria-label": chartLabel(view) });
  if (view.flaggedSegments) chart.append(...segmentBands(view.flaggedSegments, view.fps, plot));
  for (const tick of [0, 0.5, 1]) {
    chart.append(svg("line", { x1: left, x2: right, y1: y(tick), y2: y(tick), class: "grid-line" }), svg("text", { x: left - 4, y: y(tick) + 3, class: "axis-label", "text-anchor": "end" }, `${tick * 100}%`));
  }
  for (const { second, probability } of view.perSecond) {
    const x = left + second * slot;
    const bar = probability === null
      ? svg("rect", { x: x + 0.5, y: top, width: Math.max(1, slot - 1), height: bottom - top, class: "bar no-face" })
      : svg("rect", { x: x + 0.5, y: y(probability), width: Math.max(1, slot - 1), height: Math.max(1, bottom - y(probability)), class: `bar ${probability >= view.threshold ? "flagged" : "clear"}` });
    bar.append(svg("title", {}, probability === null ? `${clock(second)}: no face` : `${clock(second)}: ${percent(probability)}`));
    bar.addEventListener("click", () => seek(second));
    chart.append(bar);
  }
  chart.append(svg("line", { x1: left, x2: right, y1: y(view.threshold), y2: y(view.threshold), class: "threshold" }));
  if (view.smoothedPerSecond) chart.append(...smoothedLine(view.smoothedPerSecond, plot));
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].find((s) => seconds / s <= 12) ?? 7200;
  for (let t = 0; t <= seconds; t += step) {
    // The last label would hang past the right edge when centred.
    const anchor = t === 0 ? "start" : seconds - t < step / 2 ? "end" : "middle";
    chart.append(svg("text", { x: left + t * slot, y: height - 6, class: "axis-label", "text-anchor": anchor }, clock(t).replace(/\.0$/, "")));
  }
  view.worst.forEach((moment, rank) => {
    // On top of the bar of the moment's second (that bar is the second's highest score, so at least the moment's).
    const second = Math.floor(moment.time);
    const cx = left + second * slot + slot / 2;
    const cy = Math.max(top + 8, y(view.perSecond[second]?.probability ?? moment.probability) - 9);
    chart.append(svg("circle", { cx, cy, r: 7, class: "marker" }), svg("text", { x: cx, y: cy + 3, class: "marker-label", "text-anchor": "middle" }, String(rank + 1)));
  });
  return chart;
}

/** What a screen reader hears for the chart. */
function chartLabel(view: CheckView): string {
  const line = view.smoothedPerSecond ? `, the ${windowText(view.smoothingWindowSeconds)} as a line` : "";
  const segments = view.flaggedSegments ? `, ${view.flaggedSegments.length} flagged segment(s) shaded` : "";
  return `Probability of ${view.fakeLabel} per second${line}${segments}`;
}

/** "median over 3 s", "not smoothed", or (a view without the window) "smoothed signal". */
function windowText(windowSeconds: number | undefined): string {
  if (windowSeconds === undefined) return "smoothed signal";
  return windowSeconds > 0 ? `median over ${windowSeconds} s` : "signal (not smoothed)";
}

/**
 * The smoothed value of each second at the middle of its bar, joined second to second; a second without a face
 * (null) breaks the line, which never joins across it. A lone second is a dot, so it does not vanish.
 */
function smoothedLine(points: NonNullable<CheckView["smoothedPerSecond"]>, plot: Plot): SVGElement[] {
  const runs: Array<Array<[number, number]>> = [];
  let previous = Number.NEGATIVE_INFINITY;
  for (const { second, probability } of points) {
    if (probability === null) continue;
    if (second !== previous + 1) runs.push([]);
    runs[runs.length - 1].push([plot.x(second + 0.5), plot.y(probability)]);
    previous = second;
  }
  return runs.flatMap((run) => {
    if (run.length === 1) return [svg("circle", { cx: run[0][0].toFixed(1), cy: run[0][1].toFixed(1), r: 2.5, class: "smoothed-dot" })];
    const points = run.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" ");
    // A halo in the editor's background keeps the line readable over bars of any colour.
    return [svg("polyline", { points, class: "smoothed-halo" }), svg("polyline", { points, class: "smoothed-line" })];
  });
}

/** Each flagged segment as a shaded column from its first frame to the end of its last, and a strip along the top that seeks to its start. */
function segmentBands(segments: readonly CheckSegmentView[], fps: number | undefined, plot: Plot): SVGElement[] {
  const frameSeconds = fps !== undefined && fps > 0 ? 1 / fps : 0;
  return segments.flatMap((segment) => {
    const x = plot.x(segment.start);
    const width = Math.max(2, plot.x(segment.end + frameSeconds) - x).toFixed(1);
    const band = svg("rect", { x: x.toFixed(1), y: plot.top, width, height: plot.bottom - plot.top, class: "segment-band" });
    const strip = svg("rect", { x: x.toFixed(1), y: plot.top - 6, width, height: 5, class: "segment-strip" }, svg("title", {}, `Flagged ${spanText(segment)}, mean ${percent(segment.meanProbability)}: click to go to its start`));
    strip.addEventListener("click", () => seek(segment.start));
    return [band, strip];
  });
}

/** The legend (what the bars, the line and the shading are) and how to use the chart. */
function caption(view: CheckView): HTMLElement {
  const swatch = (...shapes: SVGElement[]): SVGElement => svg("svg", { viewBox: "0 0 16 10", class: "swatch", "aria-hidden": "true" }, ...shapes);
  const items: Array<[SVGElement, string]> = [[swatch(svg("rect", { x: 2, y: 4, width: 5, height: 6, class: "bar clear" }), svg("rect", { x: 9, y: 1, width: 5, height: 9, class: "bar flagged" })), `bars: highest probability of "${view.fakeLabel}" of any face, per second (grey: no face)`]];
  if (view.smoothedPerSecond) items.push([swatch(svg("line", { x1: 1, x2: 15, y1: 5, y2: 5, class: "smoothed-line" })), `line: ${windowText(view.smoothingWindowSeconds)}, which the verdict reads`]);
  if (view.flaggedSegments) items.push([swatch(svg("rect", { x: 0, y: 0, width: 16, height: 10, class: "segment-band" }), svg("rect", { x: 0, y: 0, width: 16, height: 3, class: "segment-strip" })), "shaded: flagged segments"]);
  items.push([swatch(svg("line", { x1: 1, x2: 15, y1: 5, y2: 5, class: "threshold" })), `dashed: threshold ${Math.round(view.threshold * 100)}%`]);
  return h("figcaption", {},
    h("span", { class: "legend", id: "timeline-legend" }, ...items.map(([shape, text]) => h("span", { class: "legend-item" }, shape, text))),
    h("span", { class: "legend-hint" }, "Click a second to go there."));
}

/** The flagged segments as buttons (keyboard operable) that seek the video to each one's start. */
function segmentList(view: CheckView): HTMLElement {
  const segments = view.flaggedSegments ?? [];
  if (segments.length === 0) return h("p", { class: "notice", id: "segments" }, `None: nowhere does the ${windowText(view.smoothingWindowSeconds)} stay at or above ${Math.round(view.threshold * 100)}%.`);
  const list = h("ul", { class: "segments", id: "segments", "aria-labelledby": "segments-heading" });
  for (const segment of segments.slice(0, MAX_LISTED_SEGMENTS)) {
    const text = `${spanText(segment)}, mean ${percent(segment.meanProbability)}`;
    const button = h("button", { class: "segment", type: "button", title: `Go to ${clock(segment.start)}`, "aria-label": `${text}, highest ${percent(segment.maxProbability)}: go to its start` }, text);
    button.addEventListener("click", () => seek(segment.start));
    list.append(h("li", {}, button));
  }
  if (segments.length > MAX_LISTED_SEGMENTS) list.append(h("li", { class: "notice" }, `and ${segments.length - MAX_LISTED_SEGMENTS} more (the report lists them all)`));
  return list;
}

/** "0:03.0–0:05.5", or one time for a one-frame segment. */
function spanText(segment: CheckSegmentView): string {
  return segment.end > segment.start ? `${clock(segment.start)}–${clock(segment.end)}` : clock(segment.start);
}

/** Thumbnails of the worst frames: buttons (keyboard operable) that seek the video. */
function worstList(view: CheckView): HTMLElement {
  const list = h("div", { class: "worst", id: "worst" });
  view.worst.forEach((moment, rank) => {
    const below = moment.belowThreshold ?? moment.probability < view.threshold;
    // The caption wraps inside the thumbnail's width (check.css), so a long one never runs past it.
    const button = h("button", { class: `moment${below ? " below-threshold" : ""}`, type: "button", title: `Go to ${clock(moment.time)}` },
      h("img", { src: moment.src, alt: `Frame at ${clock(moment.time)}, the face boxed` }),
      h("span", { class: "caption" }, `${rank + 1}. ${clock(moment.time)} · ${percent(moment.probability)}`, ...(below ? [" ", h("span", { class: "below-note" }, `below threshold`)] : [])));
    button.addEventListener("click", () => seek(moment.time));
    list.append(button);
  });
  return list;
}

function seek(time: number): void {
  if (!player) return;
  player.pause();
  player.currentTime = time;
  player.scrollIntoView({ block: "nearest" });
}

/** 75.5 → "1:15.5". */
function clock(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${(seconds - minutes * 60).toFixed(1).padStart(4, "0")}`;
}
