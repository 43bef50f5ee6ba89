/**
 * The timeline chart of a video check as a self-contained SVG (report/timeline.svg; sharp rasterises it to PNG):
 * the fake probability of the worst face in each sampled frame as a bar, the smoothed signal the verdict reads as a
 * line over them, the flagged segments marked, the threshold, the stretches with no face shaded and labelled, the
 * worst moments numbered as in the report's pictures, and the verdict in the title.
 */
import type { CheckedFrame, CheckSummary, Verdict } from "./check-types";
import { svgText, type SvgTextStyle } from "../shared/svg-text";
import { formatTimestamp } from "../video/format-timestamp";

/** Parameters of renderTimelineSvg. */
export interface RenderTimelineSvgParams {
  title: string;
  frames: readonly CheckedFrame[];
  summary: CheckSummary;
  verdict: Verdict;
  threshold: number;
  fakeLabel: string;
  fps: number;
  /** Seconds the x axis spans (default: the last frame plus one sampling step). */
  durationSeconds?: number;
  /** The caveat line under the chart (the model's validation error). */
  footnote?: string;
}

const WIDTH = 960;
const HEIGHT = 360;
const PLOT = { left: 64, right: WIDTH - 24, top: 72, bottom: HEIGHT - 64 };
const COLOURS = { fake: "#c62828", real: "#1565c0", noFace: "#e0e0e0", grid: "#eeeeee", axis: "#616161", text: "#212121", band: "#ffebee", smoothed: "#212121" };
const VERDICT_COLOURS: Record<Verdict["level"], string> = { "likely-manipulated": "#c62828", "some-moments-flagged": "#e65100", "not-flagged": "#2e7d32", "no-faces": "#616161" };

/** Draws the chart; pure string building, so it is the same on every machine. */
export function renderTimelineSvg(params: RenderTimelineSvgParams): string {
  const { frames, threshold, fps } = params;
  const step = 1 / fps;
  const lastTime = frames.reduce((max, frame) => Math.max(max, frame.time), 0);
  const span = Math.max(params.durationSeconds ?? 0, lastTime + step, step);
  const x = (time: number): number => PLOT.left + (Math.min(Math.max(time, 0), span) / span) * (PLOT.right - PLOT.left);
  const y = (p: number): number => PLOT.bottom - p * (PLOT.bottom - PLOT.top);
  const parts: string[] = [];
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  parts.push(text(PLOT.left, 28, params.title, { size: 16, weight: "bold" }));
  parts.push(text(PLOT.left, 52, params.verdict.headline, { size: 14, weight: "bold", fill: VERDICT_COLOURS[params.verdict.level] }));
  const counts = `${params.summary.frames} frames at ${fps} fps · ${params.summary.faces} faces · ${params.summary.framesWithoutFaces} without a face`;
  parts.push(text(PLOT.right, 52, counts, { size: 12, anchor: "end", fill: COLOURS.axis }));
  // The region above the threshold is tinted, so "above the line" reads without a legend.
  parts.push(`<rect x="${PLOT.left}" y="${y(1)}" width="${PLOT.right - PLOT.left}" height="${(y(threshold) - y(1)).toFixed(1)}" fill="${COLOURS.band}"/>`);
  for (const segment of params.summary.flaggedSegments) {
    // Flagged segments: a light column behind the bars and a solid strip along the top, visible even when short.
    const left = x(segment.start - step / 2);
    const width = Math.max(2, x(segment.end + step / 2) - left).toFixed(1);
    parts.push(`<rect class="flagged" x="${left.toFixed(1)}" y="${PLOT.top}" width="${width}" height="${PLOT.bottom - PLOT.top}" fill="${COLOURS.fake}" opacity="0.08"/>`);
    parts.push(`<rect x="${left.toFixed(1)}" y="${PLOT.top - 6}" width="${width}" height="5" fill="${COLOURS.fake}"/>`);
  }
  for (const range of params.summary.noFaceRanges) {
    const left = x(range.start - step / 2);
    const right = x(range.end + step / 2);
    parts.push(`<rect x="${left.toFixed(1)}" y="${PLOT.top}" width="${Math.max(1, right - left).toFixed(1)}" height="${PLOT.bottom - PLOT.top}" fill="${COLOURS.noFace}" opacity="0.8"/>`);
    if (right - left >= 44) parts.push(text((left + right) / 2, PLOT.bottom - 8, "no face", { size: 11, anchor: "middle", fill: COLOURS.axis }));
  }
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${y(tick)}" y2="${y(tick)}" stroke="${COLOURS.grid}"/>`);
    parts.push(text(PLOT.left - 8, y(tick) + 4, `${Math.round(tick * 100)}%`, { size: 11, anchor: "end", fill: COLOURS.axis }));
  }
  const tickStep = niceStep(span);
  for (let t = 0; t <= span + 1e-9; t += tickStep) {
    parts.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${PLOT.bottom}" y2="${PLOT.bottom + 5}" stroke="${COLOURS.axis}"/>`);
    parts.push(text(x(t), PLOT.bottom + 18, formatTick(t), { size: 11, anchor: "middle", fill: COLOURS.axis }));
  }
  parts.push(`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${PLOT.bottom}" y2="${PLOT.bottom}" stroke="${COLOURS.axis}"/>`);
  parts.push(`<line x1="${PLOT.left}" x2="${PLOT.left}" y1="${PLOT.top}" y2="${PLOT.bottom}" stroke="${COLOURS.axis}"/>`);
  parts.push(`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${y(threshold)}" y2="${y(threshold)}" stroke="${COLOURS.fake}" stroke-dasharray="6 4"/>`);
  parts.push(text(PLOT.right - 4, y(threshold) - 5, `threshold ${Math.round(threshold * 100)}%`, { size: 11, anchor: "end", fill: COLOURS.fake }));
  parts.push(text(18, (PLOT.top + PLOT.bottom) / 2, `P("${params.fakeLabel}") of the worst face`, { size: 12, anchor: "middle", fill: COLOURS.axis, rotate: true }));
  parts.push(text((PLOT.left + PLOT.right) / 2, HEIGHT - 26, "time (m:ss)", { size: 11, anchor: "middle", fill: COLOURS.axis }));
  const { windowSeconds } = params.summary.smoothing;
  parts.push(text(PLOT.right, HEIGHT - 26, `bars: each frame · line: ${windowSeconds > 0 ? `median over ${windowSeconds} s` : "not smoothed"} · red strip: flagged`, { size: 11, anchor: "end", fill: COLOURS.axis }));
  parts.push(...bars(frames, x, y, step, threshold));
  parts.push(...smoothedLine(params.summary, x, y));
  params.summary.worst.forEach((moment, rank) => {
    const cx = x(moment.time);
    const cy = Math.max(PLOT.top + 10, y(moment.probability) - 16);
    parts.push(`<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="9" fill="#ffffff" stroke="${COLOURS.fake}" stroke-width="1.5"/>`);
    parts.push(text(cx, cy + 4, String(rank + 1), { size: 11, anchor: "middle", weight: "bold", fill: COLOURS.fake }));
  });
  if (params.footnote) parts.push(text(PLOT.left, HEIGHT - 8, params.footnote, { size: 10.5, fill: COLOURS.axis }));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">\n${parts.join("\n")}\n</svg>\n`;
}

/** One bar per sampled frame with a face: the raw probability of its worst face, red at or above the threshold. */
function bars(frames: readonly CheckedFrame[], x: (t: number) => number, y: (p: number) => number, step: number, threshold: number): string[] {
  const width = Math.max(1, (x(step) - x(0)) * 0.6);
  return frames.filter((frame) => frame.faces.length > 0).map((frame) => {
    const worst = frame.faces.reduce((max, face) => Math.max(max, face.probability), 0);
    const top = y(worst);
    // The first bar starts at the axis rather than across it.
    const left = Math.max(PLOT.left + 1, x(frame.time) - width / 2);
    return `<rect class="frame" x="${left.toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(1, x(frame.time) + width / 2 - left).toFixed(1)}" height="${Math.max(0.5, PLOT.bottom - top).toFixed(1)}" fill="${worst >= threshold ? COLOURS.fake : COLOURS.real}" opacity="0.45"/>`;
  });
}

/** The smoothed signal as a line over the bars, across a missed face or two but broken where the smoothing does not bridge. */
function smoothedLine(summary: CheckSummary, x: (t: number) => number, y: (p: number) => number): string[] {
  const runs: Array<Array<[number, number]>> = [];
  let previousTime = Number.NEGATIVE_INFINITY;
  for (const { time, probability } of summary.smoothedFrames) {
    if (probability === null) continue;
    if (time - previousTime > summary.smoothing.maxGapSeconds + 1e-6) runs.push([]);
    runs[runs.length - 1].push([x(time), y(probability)]);
    previousTime = time;
  }
  return runs.map((run) => {
    // A run of one frame is a dot, so it does not vanish.
    if (run.length === 1) return `<circle class="smoothed" cx="${run[0][0].toFixed(1)}" cy="${run[0][1].toFixed(1)}" r="2.5" fill="${COLOURS.smoothed}"/>`;
    return `<polyline class="smoothed" points="${run.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" ")}" fill="none" stroke="${COLOURS.smoothed}" stroke-width="2.5" stroke-linejoin="round"/>`;
  });
}

/** 1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min …: about eight ticks across. */
function niceStep(span: number): number {
  const steps = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
  return steps.find((s) => span / s <= 10) ?? 7200;
}

/** Tick labels: "0:05", "1:30", "1:02:00". */
function formatTick(seconds: number): string {
  const whole = formatTimestamp(seconds);
  return Number.isInteger(seconds) ? whole.replace(/\.0$/, "") : whole;
}

/** One <text>, escaped; the timeline's text colour unless given. */
function text(x: number, y: number, content: string, style: SvgTextStyle): string {
  return svgText(x, y, content, { ...style, fill: style.fill ?? COLOURS.text });
}
