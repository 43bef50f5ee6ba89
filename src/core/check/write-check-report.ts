/**
 * Writes one input's report folder: the worst frames as JPEGs with the face boxes drawn, the timeline chart as SVG
 * and PNG (videos), report.md to read at a glance and report.json for machines. The folder is assembled next to
 * its destination and renamed into place, so a report is never half-written; an older report of ours is replaced.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { describeFsError, StudioError } from "../shared/errors";
import type { CheckedFace, CheckReportFiles, MediaCheck, Verdict } from "./check-types";
import { escapeXml } from "../shared/escape-xml";
import { drawCamOverlay } from "../cam/draw-overlay";
import type { UnitBox } from "../cam/unit-box";
import { removeStaleTemps, tempName } from "../shared/stale-temps";
import { formatTimestamp } from "../video/format-timestamp";
import { renderTimelineSvg } from "./render-timeline-svg";

/** A worst moment's frame, kept in memory by check until the report is written. */
export interface WorstFramePixels {
  data: Uint8Array;
  width: number;
  height: number;
  faces: CheckedFace[];
  /** The worst face as the model saw it and its map (exports with maps); drawn side by side in the report. */
  faceMap?: { input: Float32Array; map: ArrayLike<number>; height: number; width: number; face?: UnitBox; faceShare?: number };
}

/** Parameters of writeCheckReport. */
export interface WriteCheckReportParams {
  /** The folder to (re)place. */
  dir: string;
  /** The finished check, without its `report` (filled in here). */
  check: MediaCheck;
  /** Pixels of `check.summary.worst[i]`, same order. */
  worstFrames: readonly WorstFramePixels[];
}

const REPORT_JSON = "report.json";
/** Report folders are assembled under this name beside their destination; a killed check's are removed at the next. */
export const REPORT_TEMP_PREFIX = ".deepfake-studio-report.tmp-";
const FRAME_QUALITY = 88;

/** Writes the folder and returns the check with `report` and each worst moment's `image` set. */
export async function writeCheckReport(params: WriteCheckReportParams): Promise<MediaCheck> {
  const dir = path.resolve(params.dir);
  await refuseForeignFolder(dir);
  await removeStaleTemps(path.dirname(dir), REPORT_TEMP_PREFIX);
  const staging = path.join(path.dirname(dir), tempName(REPORT_TEMP_PREFIX));
  try {
    await fs.mkdir(staging, { recursive: true });
    const { check } = params;
    const worstNames: string[] = [];
    const faceNames: Array<string | undefined> = [];
    for (const [rank, moment] of check.summary.worst.entries()) {
      const pixels = params.worstFrames[rank];
      if (!pixels) continue;
      const name = check.kind === "video" ? `worst-${rank + 1}-at-${formatTimestamp(moment.time).replace(/:/g, "m")}s.jpg` : `worst-${rank + 1}.jpg`;
      await fs.writeFile(path.join(staging, name), await annotateFrame(pixels, moment.faceIndex, check.model.fakeLabel));
      worstNames.push(name);
      if (pixels.faceMap) {
        const faceName = name.replace(/\.jpg$/, "-where-it-looked.png");
        await fs.writeFile(path.join(staging, faceName), await faceBesideMap(pixels.faceMap));
        faceNames[rank] = faceName;
      }
    }
    let timeline: { svg: string; png: string } | undefined;
    if (check.kind === "video" && check.video) {
      const svg = renderTimelineSvg({
        title: path.basename(check.file),
        frames: check.frames,
        summary: check.summary,
        verdict: check.verdict,
        threshold: check.threshold,
        fakeLabel: check.model.fakeLabel,
        fps: check.video.sampledFps,
        durationSeconds: check.video.durationSeconds,
        footnote: footnoteOf(check),
      });
      await fs.writeFile(path.join(staging, "timeline.svg"), svg);
      await sharp(Buffer.from(svg)).png().toFile(path.join(staging, "timeline.png"));
      timeline = { svg: "timeline.svg", png: "timeline.png" };
    }
    const files: CheckReportFiles = {
      dir,
      json: path.join(dir, REPORT_JSON),
      markdown: path.join(dir, "report.md"),
      ...(timeline ? { timelineSvg: path.join(dir, timeline.svg), timelinePng: path.join(dir, timeline.png) } : {}),
      worstFrames: worstNames.map((name) => path.join(dir, name)),
    };
    const finished: MediaCheck = {
      ...check,
      summary: {
        ...check.summary,
        worst: check.summary.worst.map((moment, rank) => {
          const faceMap = params.worstFrames[rank]?.faceMap;
          return {
            ...moment,
            ...(worstNames[rank] ? { image: path.join(dir, worstNames[rank]) } : {}),
            ...(faceNames[rank] ? { whereItLooked: { image: path.join(dir, faceNames[rank] as string), ...(faceMap?.faceShare !== undefined ? { faceShare: Math.round(faceMap.faceShare * 1000) / 1000 } : {}) } } : {}),
          };
        }),
      },
      report: files,
    };
    await fs.writeFile(path.join(staging, "report.md"), renderMarkdown(finished, worstNames, timeline?.png, faceNames));
    await fs.writeFile(path.join(staging, REPORT_JSON), `${JSON.stringify(finished, null, 2)}\n`);
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(staging, dir);
    return finished;
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw describeFsError(error, dir);
  }
}

/** An existing folder is only replaced when it is one of our reports (or empty): never a user's folder by accident. */
async function refuseForeignFolder(dir: string): Promise<void> {
  const stat = await fs.lstat(dir).catch(() => undefined);
  if (!stat) return;
  if (!stat.isDirectory()) throw new StudioError(`${dir} exists and is not a folder, so the report cannot be written there.`, "report-folder-taken", ["Move it away", { cliOnly: ", or choose another folder with --out" }, "."]);
  const entries = await fs.readdir(dir);
  if (entries.length > 0 && !entries.includes(REPORT_JSON)) {
    throw new StudioError(`${dir} already exists and is not a check report, so it was left alone.`, "report-folder-taken", ["Move that folder away", { cliOnly: ", or choose another folder with --out" }, "."]);
  }
}

/** The face as the model saw it, and beside it the same face with its map (and the landmarks' box), as one PNG. */
async function faceBesideMap(faceMap: NonNullable<WorstFramePixels["faceMap"]>): Promise<Buffer> {
  const { input, height, width } = faceMap;
  const overlay = drawCamOverlay({ picture: input, map: faceMap.map, height, width, face: faceMap.face });
  const both = Buffer.alloc(height * width * 2 * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width * 3; x++) {
      both[(y * width * 2) * 3 + x] = Math.round(input[y * width * 3 + x]);
      both[(y * width * 2 + width) * 3 + x] = overlay[y * width * 3 + x];
    }
  }
  return sharp(both, { raw: { width: width * 2, height, channels: 3 } }).png({ compressionLevel: 6 }).toBuffer();
}

/** The frame as JPEG with every face boxed and labelled; the worst face in red and thicker. */
async function annotateFrame(frame: WorstFramePixels, worstIndex: number, fakeLabel: string): Promise<Buffer> {
  const scale = Math.max(1, Math.max(frame.width, frame.height) / 640);
  const shapes = frame.faces.map((face, index) => {
    const worst = index === worstIndex;
    const colour = worst ? "#ff1744" : face.probability >= 0.5 ? "#ff9100" : "#00e676";
    const { x, y, width, height } = face.box;
    const stroke = (worst ? 3 : 2) * scale;
    const label = `${Math.round(face.probability * 100)}% ${fakeLabel}`;
    const size = 13 * scale;
    const labelY = y - 6 * scale > size ? y - 6 * scale : y + height + size + 2 * scale;
    return [
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${width.toFixed(1)}" height="${height.toFixed(1)}" fill="none" stroke="${colour}" stroke-width="${stroke.toFixed(1)}"/>`,
      `<text x="${x.toFixed(1)}" y="${labelY.toFixed(1)}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="${size.toFixed(1)}" font-weight="bold" fill="${colour}" stroke="#000000" stroke-width="${(0.6 * scale).toFixed(1)}" paint-order="stroke">${escapeXml(label)}</text>`,
    ].join("");
  });
  const overlay = `<svg xmlns="http://www.w3.org/2000/svg" width="${frame.width}" height="${frame.height}">${shapes.join("")}</svg>`;
  return sharp(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength), { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .composite([{ input: Buffer.from(overlay), top: 0, left: 0 }])
    .jpeg({ quality: FRAME_QUALITY })
    .toBuffer();
}

/** The chart's caveat line. */
function footnoteOf(check: MediaCheck): string {
  const rate = check.model.validationErrorRate;
  const error = rate === undefined ? "validation error unknown" : `validation error ${(rate * 100).toFixed(1)}%`;
  return `A screening signal, not proof. Model ${path.basename(check.model.dir)} (${error}); faces found by the ${check.detector} detector; numbered circles = worst frames.`;
}

/** The flagged segments of a video, or that there are none. */
function flaggedSection(check: MediaCheck): string[] {
  const { flaggedSegments, smoothing } = check.summary;
  const percent = (value: number): string => `${Math.round(value * 100)}%`;
  const smoothed = smoothing.windowSeconds > 0 ? `, smoothed over ${smoothing.windowSeconds} s,` : "";
  const lead = `Where the probability of "${check.model.fakeLabel}"${smoothed} stays at or above ${percent(check.threshold)}`;
  if (flaggedSegments.length === 0) return ["## Flagged segments", "", `None: nowhere does the probability of "${check.model.fakeLabel}"${smoothed} stay at or above ${percent(check.threshold)}.`];
  return [
    "## Flagged segments",
    "",
    `${lead}:`,
    "",
    ...flaggedSegments.map((segment) => `- ${formatTimestamp(segment.start)}${segment.end > segment.start ? `–${formatTimestamp(segment.end)}` : ""} (${segment.frames} frame${segment.frames === 1 ? "" : "s"} with a face): mean ${percent(segment.meanProbability)}, highest ${percent(segment.maxProbability)}`),
  ];
}

/** The verdict stated once: its text, which opens with the headline, with the headline in bold. */
function verdictLine(verdict: Verdict): string {
  if (verdict.text.startsWith(verdict.headline)) return `**${verdict.headline}**${verdict.text.slice(verdict.headline.length)}`;
  return `**${verdict.headline}.** ${verdict.text}`;
}

/** report.md: the verdict, the chart, the flagged segments, the worst frames, the gaps and the settings. */
function renderMarkdown(check: MediaCheck, worstNames: readonly string[], timelinePng: string | undefined, faceNames: ReadonlyArray<string | undefined>): string {
  const { summary } = check;
  const percent = (value: number | null): string => (value === null ? "–" : `${(value * 100).toFixed(1)}%`);
  const lines = [`# Deepfake check: ${path.basename(check.file)}`, "", verdictLine(check.verdict), ""];
  const { windowSeconds, maxGapSeconds } = summary.smoothing;
  if (timelinePng) lines.push(`![Timeline: probability of "${check.model.fakeLabel}" per sampled frame (bars) and ${windowSeconds > 0 ? `its median over ${windowSeconds} s` : "the same, not smoothed"} (line)](${timelinePng})`, "");
  lines.push(
    "| | |",
    "|---|---|",
    `| file | \`${check.file}\` |`,
    ...(check.video ? [`| video | ${check.video.container.toUpperCase()}, ${check.video.codec}, ${check.video.width}x${check.video.height}${check.video.durationSeconds !== undefined ? `, ${formatTimestamp(check.video.durationSeconds)}` : ""} |`, `| sampled | ${summary.frames} frames at ${check.video.sampledFps} fps, analysed at ${check.video.frameWidth}x${check.video.frameHeight} |`] : []),
    `| frames with a face | ${summary.framesWithFaces} of ${summary.frames} |`,
    `| faces | ${summary.faces}; ${summary.facesAboveThreshold} at or above ${Math.round(check.threshold * 100)}% "${check.model.fakeLabel}" (${percent(summary.shareAboveThreshold)}) |`,
    ...(check.model.thresholdSource === "export" ? [`| threshold | ${check.threshold.toFixed(3)}, the export's decision threshold (preprocess.json) |`] : []),
    `| mean / highest | ${percent(summary.meanProbability)} / ${percent(summary.maxProbability)} |`,
    `| model | \`${check.model.dir}\`${check.model.runId ? ` (run ${check.model.runId})` : ""}, validation error ${check.model.validationErrorRate === undefined ? "unknown" : percent(check.model.validationErrorRate)} |`,
    `| method | ${check.detector} face detector (detections scoring ${Math.round(check.minFaceScore * 100)}% or more whose landmarks are laid out like a face); each face cropped as the training crops were (margin ${check.margin} × the landmarks' box)${check.tta ? ", scored as the mean of a plain and a mirrored view (TTA)" : ""} by the exported model |`,
    ...(check.kind === "video" ? [`| smoothing | ${windowSeconds > 0 ? `the worst face's probability per frame, as a median over a centred ${windowSeconds} s window (not across more than ${maxGapSeconds} s without a face); the flagged segments and the verdict read this, not single frames` : "off: the flagged segments and the verdict read single frames"} |`] : []),
    "",
  );
  if (check.kind === "video" && summary.faces > 0) lines.push(...flaggedSection(check), "");
  if (summary.worst.length > 0) {
    lines.push("## Worst moments", "");
    summary.worst.forEach((moment, rank) => {
      const when = check.kind === "video" ? `at ${formatTimestamp(moment.time)}` : "";
      const below = moment.belowThreshold ? ` (below the ${Math.round(check.threshold * 100)}% threshold: the highest there is, not flagged)` : "";
      lines.push(`${rank + 1}. ${when} — face ${moment.faceIndex + 1}: ${percent(moment.probability)} "${check.model.fakeLabel}"${below}`, "");
      if (worstNames[rank]) lines.push(`   ![worst ${rank + 1}](${worstNames[rank]})`, "");
      const looked = moment.whereItLooked;
      if (faceNames[rank] && looked) {
        const share = looked.faceShare !== undefined ? ` ${Math.round(looked.faceShare * 100)}% of the map lies inside the face box.` : "";
        lines.push(`   ![worst ${rank + 1}: the face as the model saw it, and where it looked](${faceNames[rank]})`, "", `   The face as the model saw it, and beside it where it looked: warm colours mark what pushed it towards "${check.model.fakeLabel}".${share}`, "");
      }
    });
  }
  if (summary.noFaceRanges.length > 0) {
    lines.push("## Frames with no face", "", "These frames were sampled but no face was found, so the model did not score them:", "");
    for (const range of summary.noFaceRanges) lines.push(`- ${formatTimestamp(range.start)}${range.frames > 1 ? `–${formatTimestamp(range.end)}` : ""} (${range.frames} frame${range.frames === 1 ? "" : "s"})`);
    lines.push("");
  }
  if (check.warnings.length > 0) lines.push("## Warnings", "", ...check.warnings.map((warning) => `- ${warning}`), "");
  return `${lines.join("\n")}\n`;
}
