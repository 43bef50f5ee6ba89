/**
 * `check` end to end, offline: the demo's project and export (real face crops vs local face swaps) are built once;
 * videos are made locally with ffmpeg from real and swapped faces (test/fixtures/make-clip.ts). Covers the
 * timeline of a partly swapped clip, every container, frames with no face, damaged, truncated, empty and
 * unsupported files, stills, the report folder, the CLI's output and exit codes, and the crop framing.
 * Video tests are skipped (with the reason) where ffmpeg is not installed; CI installs it (`apt-get install ffmpeg`).
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { checkMedia } from "../src/core/check/check-media";
import type { CheckResult, MediaCheck, MediaCheckError } from "../src/core/check/check-types";
import { cropTrainingFace, TRAINING_MARGIN } from "../src/core/face-crop/crop-training-face";
import { describeVerdict } from "../src/core/check/describe-verdict";
import { findFfmpeg } from "../src/core/check/find-ffmpeg";
import { probeVideo } from "../src/core/check/probe-video";
import { readVideoFrames } from "../src/core/check/read-video-frames";
import { resolveFakeLabel } from "../src/core/check/resolve-fake-label";
import { summariseCheck } from "../src/core/check/summarise-check";
import { runDemo } from "../src/core/demo/run-demo";
import { loadSourceFaces } from "../src/core/reference-data/load-source-faces";
import { renderFaceSample } from "../src/core/reference-data/render-face-sample";
import { CancelledError, StudioError } from "../src/core/shared/errors";
import { encodeFrames, ffmpeg, hasFfmpeg, makeFaceSwapClip, makeGradientClip, type FaceSwapClip } from "./fixtures/make-clip";
import { makeTempDir, removeDir, setEnv } from "./support/temp-dir";

const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "out", "src", "cli", "main.js");
const verbose = Boolean(process.env.CHECK_TEST_VERBOSE);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

function checked(result: CheckResult | undefined): MediaCheck {
  assert.ok(result, "no result");
  assert.ok(!("error" in result), `expected a check, got the error: ${"error" in result ? result.error : ""}`);
  return result;
}

function failed(result: CheckResult | undefined): MediaCheckError {
  assert.ok(result, "no result");
  assert.ok("error" in result, "expected an error entry");
  return result;
}

/** Mean fake probability of the faces in frames with start <= time < end. */
function meanIn(check: MediaCheck, [start, end]: [number, number]): { mean: number; faces: number } {
  const probabilities = check.frames.filter((frame) => frame.time >= start && frame.time < end).flatMap((frame) => frame.faces.map((face) => face.probability));
  return { mean: probabilities.reduce((sum, p) => sum + p, 0) / Math.max(1, probabilities.length), faces: probabilities.length };
}

describe("check: videos and images → faces → a fake-probability timeline", function () {
  this.timeout(240_000);
  let tmp: string;
  let modelDir: string;
  let withFfmpeg = false;
  let clip: FaceSwapClip;
  let restoreEnv: () => void;

  before(async function () {
    this.timeout(240_000);
    tmp = await makeTempDir("dds-check-");
    restoreEnv = setEnv({ DEEPFAKE_STUDIO_CACHE: path.join(tmp, "cache"), DEEPFAKE_STUDIO_FFMPEG: undefined, DEEPFAKE_STUDIO_FFPROBE: undefined });
    let started = Date.now();
    // The demo's own pipeline: reference face crops and local swaps → import → train → export (with metrics.json).
    const demo = await runDemo({ projectDir: path.join(tmp, "demo"), cacheDir: path.join(tmp, "cache") });
    modelDir = demo.exported.outDir;
    if (verbose) console.log(`      demo export in ${((Date.now() - started) / 1000).toFixed(1)} s, error rate ${demo.train.metrics.errorRate}`);
    withFfmpeg = await hasFfmpeg();
    if (!withFfmpeg) {
      console.log("      ffmpeg/ffprobe are not installed: the video tests are skipped (Debian: apt-get install ffmpeg)");
      return;
    }
    started = Date.now();
    clip = await makeFaceSwapClip({ dir: tmp, perSegment: 8, width: 640, height: 480 });
    if (verbose) console.log(`      clip made in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  after(async () => {
    restoreEnv?.();
    if (tmp) await removeDir(tmp);
  });

  function needsFfmpeg(context: Mocha.Context): void {
    if (!withFfmpeg) context.skip();
  }

  describe("the face crop", () => {
    it("frames a face exactly as the reference dataset's training crops (margin 1.55, upright, ±1 level)", async () => {
      const { photos, faces } = await loadSourceFaces();
      for (const face of faces.slice(0, 6)) {
        for (const flip of [false, true]) {
          const reference = renderFaceSample({ photos, face, variation: { margin: TRAINING_MARGIN, offsetX: 0, offsetY: 0, rotation: 0, flip, brightness: 1 }, size: 224 });
          const crop = cropTrainingFace({ image: photos[face.photo].image, landmarks: face.landmarks, flip });
          assert.equal(crop.pixels.length, reference.pixels.length);
          let worst = 0;
          for (let i = 0; i < crop.pixels.length; i++) worst = Math.max(worst, Math.abs(crop.pixels[i] - reference.pixels[i]));
          assert.ok(worst <= 1, `crop of ${face.source} face ${face.faceIndex} differs by ${worst} levels`);
        }
      }
    });
  });

  describe("videos", () => {
    let result: MediaCheck;

    before(async function () {
      if (!withFfmpeg) return;
      const started = Date.now();
      result = checked((await checkMedia({ inputs: [clip.file], modelDir }))[0]);
      if (verbose) {
        console.log(`      checked ${result.summary.frames} frames in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        console.log(`      ${result.frames.map((frame) => (frame.faces[0] ? frame.faces[0].probability.toFixed(2) : "--")).join(" ")}`);
      }
    });

    it("samples a timestamped frame every 1/fps seconds and finds the faces", function () {
      needsFfmpeg(this);
      assert.equal(result.kind, "video");
      assert.equal(result.video?.container, "mp4");
      assert.equal(result.video?.sampledFps, 2);
      assert.deepEqual([result.video?.frameWidth, result.video?.frameHeight], [640, 480]);
      assert.equal(result.summary.frames, 32, "16 s at 2 fps");
      assert.deepEqual(result.frames.map((frame) => frame.time), Array.from({ length: 32 }, (_, i) => i / 2));
      // The clip's faces were chosen so the fast detector finds them (make-clip.ts); video coding may still hide a few.
      assert.ok(result.summary.framesWithFaces >= 28, `faces found in only ${result.summary.framesWithFaces} of 32 frames`);
      for (const frame of result.frames) {
        for (const face of frame.faces) {
          assert.ok(face.probability >= 0 && face.probability <= 1);
          assert.ok(Math.abs(face.probabilities.Real + face.probabilities.Deepfake - 1) < 1e-4, "probabilities sum to 1");
          assert.equal(face.probability, face.probabilities.Deepfake);
          assert.ok(face.box.width > 60 && face.box.x >= -10 && face.box.x + face.box.width <= 650, "a face-sized box inside the frame");
        }
      }
      assert.equal(result.summary.perSecond.length, 16);
      assert.equal(result.model.fakeLabel, "Deepfake");
      assert.equal(result.model.fakeLabelReason, "contains-fake");
      assert.equal(typeof result.model.validationErrorRate, "number");
    });

    it("marks the swapped segment: its faces score clearly higher than the real ones", function () {
      needsFfmpeg(this);
      const real = meanIn(result, clip.real);
      const swapped = meanIn(result, clip.swapped);
      if (verbose) console.log(`      mean fake probability: real ${real.mean.toFixed(3)} (${real.faces} faces), swapped ${swapped.mean.toFixed(3)} (${swapped.faces} faces)`);
      assert.ok(real.faces >= 12 && swapped.faces >= 12, "both segments have faces");
      // The demo model misclassifies about a quarter of its validation crops, so single frames are noisy; the segment means are not.
      assert.ok(swapped.mean - real.mean >= 0.15, `swapped ${swapped.mean.toFixed(3)} vs real ${real.mean.toFixed(3)}`);
      const worst = result.summary.worst[0];
      assert.ok(worst.time >= clip.swapped[0], `the worst moment (${worst.time} s) is in the swapped segment`);
      // The worst moments are distinct moments (≥ 1 s apart), highest first.
      const times = result.summary.worst.map((moment) => moment.time);
      for (let i = 0; i < times.length; i++) for (let j = i + 1; j < times.length; j++) assert.ok(Math.abs(times[i] - times[j]) >= 1);
      assert.deepEqual(result.summary.worst.map((m) => m.probability), [...result.summary.worst.map((m) => m.probability)].sort((a, b) => b - a));
    });

    it("states the verdict by the model's standards, with its validation error, never as fact", function () {
      needsFfmpeg(this);
      const { verdict, model } = result;
      assert.ok(["likely-manipulated", "some-moments-flagged"].includes(verdict.level), verdict.level);
      assert.match(verdict.text, /by this model's standards/);
      assert.ok(verdict.text.includes(`${Math.round((model.validationErrorRate ?? 0) * 100)}%`), "quotes the validation error");
      assert.match(verdict.text, /metrics\.json/);
      assert.doesNotMatch(verdict.text, /\b(is|are) (a )?(deepfake|fake|manipulated|genuine|real)\b/i);
    });

    it("reads WebM, MKV and MOV too", async function () {
      needsFfmpeg(this);
      const framesDir = path.dirname(clip.frames[0]);
      const files: string[] = [];
      for (const container of ["webm", "mkv", "mov"] as const) {
        const out = path.join(tmp, `containers.${container}`);
        await encodeFrames({ pattern: path.join(framesDir, "frame-%03d.png"), secondsPerImage: 1, frameRate: 10, container, out });
        files.push(out);
      }
      const results = (await checkMedia({ inputs: files, modelDir, fps: 0.5 })).map(checked);
      assert.deepEqual(results.map((r) => r.video?.container), ["webm", "mkv", "mov"]);
      for (const r of results) {
        assert.equal(r.summary.frames, 8, `${r.file}: 16 s at 0.5 fps`);
        assert.ok(r.summary.faces >= 5, `${r.file}: ${r.summary.faces} faces`);
      }
    });

    it("reports a clip with no faces as such, every frame listed, no verdict on manipulation", async function () {
      needsFfmpeg(this);
      const file = await makeGradientClip({ dir: tmp, seconds: 3 });
      const r = checked((await checkMedia({ inputs: [file], modelDir }))[0]);
      assert.equal(r.summary.frames, 6);
      assert.equal(r.summary.faces, 0);
      assert.equal(r.summary.framesWithoutFaces, 6);
      assert.deepEqual(r.summary.noFaceRanges, [{ start: 0, end: 2.5, frames: 6 }]);
      assert.equal(r.frames.length, 6, "frames without a face are kept in the timeline");
      assert.equal(r.verdict.level, "no-faces");
      assert.match(r.verdict.text, /No faces were found in 6 sampled frame/);
      assert.equal(r.summary.shareAboveThreshold, null);
      assert.deepEqual(r.summary.perSecond.map((s) => s.probability), [null, null, null]);
    });

    it("checks what a truncated MKV holds and says it is cut short", async function () {
      needsFfmpeg(this);
      const mkv = path.join(tmp, "whole.mkv");
      await ffmpeg(["-y", "-loglevel", "error", "-i", clip.file, "-c", "copy", mkv]);
      const bytes = await fs.readFile(mkv);
      const cut = path.join(tmp, "cut.mkv");
      await fs.writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * 0.5)));
      const r = checked((await checkMedia({ inputs: [cut], modelDir }))[0]);
      assert.ok(r.summary.frames >= 8 && r.summary.frames < 32, `${r.summary.frames} frames`);
      assert.ok(r.warnings.some((w) => /cut short or damaged/.test(w)), r.warnings.join("\n"));
    });

    it("explains an MP4 cut before its index, and an MP4 with damaged data still gives its frames", async function () {
      needsFfmpeg(this);
      const bytes = await fs.readFile(clip.file);
      const cut = path.join(tmp, "cut.mp4");
      await fs.writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      const corrupt = path.join(tmp, "corrupt.mp4");
      const damaged = Buffer.from(bytes);
      // Overwrite three stretches of the picture data with a fixed pattern (the index at the end stays intact).
      for (const at of [0.3, 0.5, 0.7]) damaged.fill(0x5a, Math.floor(bytes.length * at), Math.floor(bytes.length * at) + 3000);
      await fs.writeFile(corrupt, damaged);
      const [cutResult, corruptResult] = await checkMedia({ inputs: [cut, corrupt], modelDir });
      const error = failed(cutResult);
      assert.equal(error.code, "media-damaged");
      assert.match(error.error, /cut short/);
      assert.match(error.error, /moov atom/);
      const r = checked(corruptResult);
      assert.ok(r.summary.frames >= 28, `${r.summary.frames} frames read from the damaged file`);
      assert.ok(r.warnings.some((w) => /damaged data/.test(w)), r.warnings.join("\n"));
    });

    it("refuses an empty file, an unsupported container and a file that is no video, each with a clear message", async function () {
      needsFfmpeg(this);
      const empty = path.join(tmp, "empty.mp4");
      await fs.writeFile(empty, "");
      const avi = path.join(tmp, "call.avi");
      await encodeFrames({ pattern: path.join(path.dirname(clip.frames[0]), "frame-%03d.png"), secondsPerImage: 1, frameRate: 5, container: "avi", out: avi });
      const text = path.join(tmp, "notes.mp4");
      await fs.writeFile(text, "This is not a video.\n".repeat(50));
      const missing = path.join(tmp, "missing.mp4");
      const results = await checkMedia({ inputs: [empty, avi, text, missing], modelDir });
      const [e, a, t, m] = results.map(failed);
      assert.equal(e.code, "media-empty");
      assert.match(e.error, /empty \(0 bytes\)/);
      assert.equal(a.code, "media-unsupported-container");
      assert.match(a.error, /AVI/);
      assert.match(a.error, /MP4, MOV, WebM and MKV/);
      assert.match(a.hint ?? "", /ffmpeg -i/);
      assert.equal(t.code, "media-unreadable");
      assert.match(t.error, /cannot read it as a video/);
      assert.equal(m.code, "media-missing");
    });

    it("streams frames lazily: stopping early ends ffmpeg, and a cancelled check stops with CancelledError", async function () {
      needsFfmpeg(this);
      const tools = await findFfmpeg();
      const info = await probeVideo({ file: clip.file, tools });
      let seen = 0;
      for await (const frame of readVideoFrames({ file: clip.file, tools, info, fps: 2, maxSide: 320 })) {
        assert.deepEqual([frame.width, frame.height], [320, 240]);
        assert.equal(frame.data.length, 320 * 240 * 3);
        if (++seen === 3) break;
      }
      assert.equal(seen, 3);
      const controller = new AbortController();
      const pending = checkMedia({
        inputs: [clip.file],
        modelDir,
        signal: controller.signal,
        onProgress: (event) => {
          if (event.event === "progress" && event.done >= 2) controller.abort();
        },
      });
      await assert.rejects(pending, CancelledError);
    });

    it("reports a missing ffmpeg clearly, and still checks images without it", async function () {
      const image = path.join(tmp, "still.jpg");
      const { photos, faces } = await loadSourceFaces();
      const face = faces[1];
      const still = renderFaceSample({ photos, face, variation: { margin: 2.6, offsetX: 0, offsetY: 0.08, rotation: 0, flip: false, brightness: 1 }, size: 400 });
      await sharp(still.pixels, { raw: { width: 400, height: 400, channels: 3 } }).jpeg({ quality: 92 }).toFile(image);
      const restore = setEnv({ DEEPFAKE_STUDIO_FFMPEG: path.join(tmp, "no-such-ffmpeg") });
      try {
        const video = withFfmpeg ? clip.file : path.join(tmp, "any.mp4");
        if (!withFfmpeg) await fs.writeFile(video, "x");
        const [v, i] = await checkMedia({ inputs: [video, image], modelDir });
        const error = failed(v);
        assert.equal(error.code, "ffmpeg-missing");
        assert.match(error.error, /DEEPFAKE_STUDIO_FFMPEG/);
        assert.match(error.hint ?? "", /apt-get install ffmpeg/);
        const r = checked(i);
        assert.equal(r.kind, "image");
        assert.equal(r.summary.frames, 1);
        assert.equal(r.summary.faces, 1);
        assert.deepEqual(r.frames.map((f) => f.time), [0]);
      } finally {
        restore();
      }
    });
  });

  describe("the command line and the report folder", () => {
    it("prints a summary, writes worst frames with boxes and a timeline chart (SVG + PNG), and --json for machines", async function () {
      needsFfmpeg(this);
      const out = path.join(tmp, "report");
      const human = await runCli(["check", clip.file, "--model", modelDir, "--out", out]);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, /32 frames sampled at 2 fps/);
      assert.match(human.stdout, /worst moments:/);
      assert.match(human.stdout, /by this model's standards/);
      assert.match(human.stdout, /validation images/);
      const dir = path.join(out, "clip.mp4");
      const names = await fs.readdir(dir);
      for (const name of ["report.json", "report.md", "timeline.svg", "timeline.png"]) assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
      const worstFrames = names.filter((name) => /^worst-\d+-at-.*\.jpg$/.test(name));
      assert.ok(worstFrames.length >= 3, `worst frames: ${worstFrames.join(", ")}`);
      const meta = await sharp(path.join(dir, worstFrames[0])).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ["jpeg", 640, 480]);
      const png = await sharp(path.join(dir, "timeline.png")).metadata();
      assert.deepEqual([png.format, png.width, png.height], ["png", 960, 360]);
      const svg = await fs.readFile(path.join(dir, "timeline.svg"), "utf8");
      assert.match(svg, /^<svg xmlns/);
      assert.match(svg, /threshold 50%/);
      assert.match(svg, /clip\.mp4/);
      const markdown = await fs.readFile(path.join(dir, "report.md"), "utf8");
      assert.match(markdown, /!\[Timeline/);
      assert.match(markdown, /## Worst moments/);

      const machine = await runCli(["check", clip.file, "--model", modelDir, "--json", "--no-report", "--fps", "1"]);
      assert.equal(machine.code, 0, machine.stderr);
      const [parsed] = JSON.parse(machine.stdout) as MediaCheck[];
      assert.equal(parsed.summary.frames, 16);
      assert.equal(parsed.report, undefined);
      assert.equal(parsed.verdict.level.length > 0, true);
    });

    it("exits 1 with the reason when nothing could be checked", async function () {
      needsFfmpeg(this);
      const empty = path.join(tmp, "zero.webm");
      await fs.writeFile(empty, "");
      const r = await runCli(["check", empty, "--model", modelDir, "--no-report"]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /empty \(0 bytes\)/);
      assert.match(r.stderr, /could not be checked/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    });
  });

  describe("labels, summaries and verdicts", () => {
    it("finds the fake label: given, containing \"fake\", else the second", () => {
      assert.deepEqual(resolveFakeLabel({ labels: ["Real", "Deepfake"] }), { label: "Deepfake", index: 1, reason: "contains-fake" });
      assert.deepEqual(resolveFakeLabel({ labels: ["Deepfake Tom Cruise", "Real Tom Cruise"] }), { label: "Deepfake Tom Cruise", index: 0, reason: "contains-fake" });
      assert.deepEqual(resolveFakeLabel({ labels: ["genuine", "swapped"] }), { label: "swapped", index: 1, reason: "second-label" });
      assert.deepEqual(resolveFakeLabel({ labels: ["genuine", "swapped"], requested: "GENUINE" }), { label: "genuine", index: 0, reason: "given" });
      assert.throws(() => resolveFakeLabel({ labels: ["a", "b"], requested: "c" }), /no label "c"; its labels are "a", "b"/);
      assert.throws(() => resolveFakeLabel({ labels: ["fake A", "fake B", "real"] }), (error: StudioError) => /unclear which one/.test(error.message) && /--fake-label/.test(error.hint ?? ""));
    });

    it("never overclaims: each level names the model's standards and its error, or that it could not judge", () => {
      const face = (probability: number) => ({ box: { x: 0, y: 0, width: 10, height: 10 }, detectorScore: 0.9, crop: { centre: { x: 5, y: 5 }, side: 15 }, probability, probabilities: { Real: 1 - probability, Deepfake: probability } });
      const frames = (ps: Array<number | null>) => ps.map((p, index) => ({ index, time: index / 2, faces: p === null ? [] : [face(p)] }));
      const verdictOf = (ps: Array<number | null>, errorRate?: number) => {
        const summary = summariseCheck({ frames: frames(ps), threshold: 0.5, worst: [] });
        return describeVerdict({ summary, threshold: 0.5, fakeLabel: "Deepfake", validationErrorRate: errorRate, validImages: 52, kind: "video" });
      };
      const likely = verdictOf([0.9, 0.8, 0.7, 0.2], 0.25);
      assert.equal(likely.level, "likely-manipulated");
      assert.match(likely.text, /^Likely manipulated by this model's standards/);
      assert.match(likely.text, /misclassifies 25% of its 52 validation images/);
      assert.match(likely.text, /not as proof/);
      const some = verdictOf([0.9, 0.1, 0.2, null], 0.05);
      assert.equal(some.level, "some-moments-flagged");
      assert.match(some.text, /5\.0%/);
      const none = verdictOf([0.1, 0.2], 0.25);
      assert.equal(none.level, "not-flagged");
      assert.match(none.text, /not proof it is genuine/);
      const unknown = verdictOf([0.9]);
      assert.match(unknown.text, /validation error is unknown/);
      assert.equal(verdictOf([null, null]).level, "no-faces");
      const summary = summariseCheck({ frames: frames([null, 0.3, null, null, 0.6]), threshold: 0.5, worst: [] });
      assert.deepEqual(summary.noFaceRanges, [{ start: 0, end: 0, frames: 1 }, { start: 1, end: 1.5, frames: 2 }]);
      assert.deepEqual(summary.perSecond, [{ second: 0, probability: 0.3 }, { second: 1, probability: null }, { second: 2, probability: 0.6 }]);
      assert.equal(summary.shareAboveThreshold, 0.5);
    });
  });
});
