/**
 * Where the model looked, end to end on synthetic face crops: the same real faces in both classes, told apart either by
 * a caption-like block in a corner or by a blurred, discoloured patch on the middle of the face. Train
 * (with the inner-face poolings, so the faces' place is known), read the run's report, export, predict --cam.
 */
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { writeOfflineBackbone } from "../src/core/backbone/write-offline-backbone";
import { CAM_MAX_POOLING_NOTE } from "../src/core/cam/cam-parts";
import { classMapAt } from "../src/core/cam/resize-map";
import { LOOKS_ELSEWHERE_WARNING, massShareInside, MOSTLY_ELSEWHERE_SHARE, STUDIO_CROP_FACE_BOX, type UnitBox } from "../src/core/cam/map-mass";
import { computeRunMaps } from "../src/core/clean/run-maps";
import { EXPORT_FILES } from "../src/core/export/export-format";
import { exportModel } from "../src/core/export/export-model";
import { createOnnxSession, runOnnx } from "../src/core/onnx/onnx-session";
import { loadExport } from "../src/core/predict/load-export";
import { loadImageTensor } from "../src/core/shared/load-image-tensor";
import type { Prediction } from "../src/core/predict/predict";
import { CONFIG_FILE_NAME, parseProjectConfig, type ProjectConfig } from "../src/core/project/project-config";
import type { RunMetrics } from "../src/core/train/run-files";
import { train } from "../src/core/train/train";
import { runViewOf } from "../src/extension/webviews/run-view";
import { buildFaceDatasetInChild } from "./support/build-face-dataset-in-child";
import { runCli } from "./support/run-cli";
import { makeTempDir, removeDir, setEnv } from "./support/temp-dir";
import { openWebviewBundle } from "./support/webview-harness";

const PER_CLASS = 60;
const LABELS = ["Real", "Deepfake"];
/** The caption block, as fractions of the 224 px crop: the top-left corner, above the face box (which starts at 0.27). */
const CAPTION: UnitBox = { x: 0, y: 0, width: 0.5, height: 0.2 };

const PROJECT_FILE = { categories: LABELS.map((label) => ({ label })), train: { facePooling: true, augmentViews: 0, epochs: 8 } };

function configWith(): ProjectConfig {
  return parseProjectConfig(PROJECT_FILE);
}


/** A caption bar with text-like stripes in the top-left corner: blue and white for Real, red and yellow for Deepfake. */
async function withCaption(from: string, to: string, label: string): Promise<void> {
  const { width = 224, height = 224 } = await sharp(from).metadata();
  const [w, h] = [Math.round(CAPTION.width * width), Math.round(CAPTION.height * height)];
  const [bar, ink] = label === "Real" ? ["#1d3fbf", "#ffffff"] : ["#c81e1e", "#ffe14a"];
  const strokes = Array.from({ length: 6 }, (_, i) => `<rect x="${6 + i * (w - 12) / 6}" y="${h * 0.35}" width="${(w - 12) / 6 - 5}" height="${h * 0.3}" fill="${ink}"/>`).join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${h}" fill="${bar}"/>${strokes}</svg>`;
  await sharp(from).composite([{ input: Buffer.from(svg), left: 0, top: 0 }]).jpeg({ quality: 90 }).toFile(to);
}

/** The middle of the face (eyes to mouth), inside the face box: blurred and tinted for Deepfake, untouched for Real. */
const FACE_PATCH: UnitBox = { x: 0.32, y: 0.42, width: 0.36, height: 0.36 };

async function withFacePatch(from: string, to: string, label: string): Promise<void> {
  if (label === "Real") {
    await fs.copyFile(from, to);
    return;
  }
  const { width = 224, height = 224 } = await sharp(from).metadata();
  const region = { left: Math.round(FACE_PATCH.x * width), top: Math.round(FACE_PATCH.y * height), width: Math.round(FACE_PATCH.width * width), height: Math.round(FACE_PATCH.height * height) };
  const patch = await sharp(from).extract(region).blur(5).modulate({ saturation: 0.3, brightness: 1.15 }).toBuffer();
  await sharp(from).composite([{ input: patch, left: region.left, top: region.top }]).jpeg({ quality: 90 }).toFile(to);
}

/** A project whose two classes are the same faces, each picture made by `make`. */
async function projectOf(dir: string, faces: string[], make: (from: string, to: string, label: string) => Promise<void>): Promise<void> {
  for (const label of LABELS) {
    await fs.mkdir(path.join(dir, "data", label), { recursive: true });
    for (const face of faces) await make(face, path.join(dir, "data", label, path.basename(face)), label);
  }
}

/** The decided label's maps of the given pictures, through the export's own graph. */
async function shareInside(exportDir: string, files: string[], box: UnitBox): Promise<number[]> {
  const exported = await loadExport({ modelDir: exportDir });
  const [height, width] = exported.preprocess.size;
  const session = await createOnnxSession(exported.modelBytes);
  try {
    const shares: number[] = [];
    for (const file of files) {
      const tensor = await loadImageTensor({ source: file, preprocess: exported.preprocess });
      const { probabilities, cam, camShape } = await runOnnx(session, tensor, 1, height, width, { outputs: ["probabilities", "cam"] });
      assert.ok(probabilities && cam && camShape);
      const k = probabilities[0] >= probabilities[1] ? 0 : 1;
      shares.push(massShareInside(classMapAt(cam, camShape, 0, k, height, width), height, width, box) ?? 0);
    }
    return shares;
  } finally {
    await session.release();
  }
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

describe("where the model looked (class activation maps after training and in predict)", function () {
  this.timeout(600_000);
  let tmp: string;
  let backbone: string;
  let restoreEnv: () => void;
  let captioned: string;
  let patched: string;

  before(async () => {
    tmp = await makeTempDir("dds-cam-train-");
    const cacheDir = path.join(tmp, "cache");
    restoreEnv = setEnv({ DEEPFAKE_STUDIO_CACHE: cacheDir, DEEPFAKE_STUDIO_BACKBONE: undefined });
    backbone = await writeOfflineBackbone({ cacheDir });
    const reference = path.join(tmp, "reference");
    await buildFaceDatasetInChild(reference, PER_CLASS);
    const real = path.join(reference, "Real");
    const faces = (await fs.readdir(real)).filter((name) => name.endsWith(".jpg")).sort().map((name) => path.join(real, name));
    captioned = path.join(tmp, "captioned");
    await projectOf(captioned, faces, withCaption);
    patched = path.join(tmp, "patched");
    await projectOf(patched, faces, withFacePatch);
  });

  after(async () => {
    restoreEnv();
    await removeDir(tmp);
  });

  it("a caption in a corner gives the class away: the maps' mass lies in the corner, the report warns in words (CLI summary, Training panel, model card), predict --cam writes overlays", async () => {
    // Trained by the CLI, so its summary is checked as a person reads it.
    await fs.writeFile(path.join(captioned, CONFIG_FILE_NAME), JSON.stringify(PROJECT_FILE));
    const cli = await runCli(["--project", captioned, "train", "--backbone", backbone]);
    assert.equal(cli.code, 0, cli.stderr);
    const [runId] = await fs.readdir(path.join(captioned, "runs"));
    const metrics = JSON.parse(await fs.readFile(path.join(captioned, "runs", runId, "metrics.json"), "utf8")) as RunMetrics;
    const run = { runId, metrics };
    assert.ok(run.metrics.errorRate <= 0.1, `error rate ${run.metrics.errorRate}`);
    const looked = run.metrics.whereItLooked;
    assert.ok(looked, "no whereItLooked in metrics");
    assert.equal(looked.pictures, run.metrics.counts.valid.Real + run.metrics.counts.valid.Deepfake);
    assert.ok(looked.faceShare < MOSTLY_ELSEWHERE_SHARE, `face share ${looked.faceShare}`);
    assert.equal(looked.warning, LOOKS_ELSEWHERE_WARNING);
    const finding = `Where the model looked: on average ${Math.round(looked.faceShare * 100)}% of each validation picture's activation map lies inside the face`;
    assert.ok(cli.stdout.includes(finding), cli.stdout);
    assert.ok(cli.stdout.includes(`Warning: ${LOOKS_ELSEWHERE_WARNING}`), cli.stdout);

    // The Training panel (its webview bundle, fed the view the extension builds from this run's metrics.json).
    const violations: string[] = [];
    const webview = await openWebviewBundle({ dir: await fs.mkdtemp(path.join(tmp, "panel-")), bundle: "training.js", style: "training.css", violations });
    try {
      await webview.page.evaluate((message) => window.postMessage(message, "*"), { type: "training/run", run: runViewOf(run.metrics) });
      const section = webview.page.locator("#where-it-looked");
      await section.waitFor({ timeout: 10_000 });
      assert.ok(((await section.textContent()) ?? "").includes(finding), await section.textContent() ?? "");
      assert.equal(await section.locator("p.error").textContent(), `Warning: ${LOOKS_ELSEWHERE_WARNING}`);
      assert.deepEqual(violations, []);
    } finally {
      await webview.browser.close();
    }

    const exportDir = path.join(tmp, "captioned-export");
    await exportModel({ projectDir: captioned, config: configWith(), outDir: exportDir });
    const card = await fs.readFile(path.join(exportDir, EXPORT_FILES.readme), "utf8");
    assert.ok(card.includes(LOOKS_ELSEWHERE_WARNING) && card.includes("Where the model looked:"), card);
    const files = LABELS.map((label) => path.join(captioned, "data", label, "real-0001.jpg"));
    // The caption covers 10 % of the picture; its share of the map is several times that.
    const corner = await shareInside(exportDir, files, CAPTION);
    assert.ok(mean(corner) >= 0.4, `corner shares ${corner}`);

    // predict --cam as a script calls it (--json), then as a person reads it.
    const camDir = path.join(tmp, "overlays");
    const json = await runCli(["predict", ...files, "--model", exportDir, "--cam", camDir, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const results = JSON.parse(json.stdout) as Prediction[];
    const human = await runCli(["predict", ...files, "--model", exportDir, "--cam", path.join(tmp, "overlays-again")]);
    assert.equal(human.code, 0, human.stderr);
    assert.ok(human.stdout.includes(`Where it looked: overlays in ${path.join(tmp, "overlays-again")}; on average`), human.stdout);
    assert.ok(human.stdout.includes(CAM_MAX_POOLING_NOTE), human.stdout);
    for (const result of results) {
      assert.ok(result.cam?.overlay, JSON.stringify(result));
      assert.ok(result.cam.faceShare !== undefined && result.cam.faceShare < MOSTLY_ELSEWHERE_SHARE, JSON.stringify(result.cam));
      const png = await sharp(result.cam.overlay).metadata();
      assert.deepEqual([png.format, png.width, png.height], ["png", 224, 224]);
      // The face box (these models' faces sit in the studio crop's box) is outlined in cyan, one pixel wide.
      const { data } = await sharp(result.cam.overlay).raw().toBuffer({ resolveWithObject: true });
      const box = STUDIO_CROP_FACE_BOX;
      const [x0, y0, x1, y1] = [Math.round(box.x * 224), Math.round(box.y * 224), Math.round((box.x + box.width) * 224) - 1, Math.round((box.y + box.height) * 224) - 1];
      const at = (x: number, y: number) => Array.from(data.subarray((y * 224 + x) * 3, (y * 224 + x) * 3 + 3));
      for (const [x, y] of [[x0, y0], [x1, y0], [x0, y1], [x1, y1], [(x0 + x1) >> 1, y0], [x0, (y0 + y1) >> 1]]) assert.deepEqual(at(x, y), [0, 229, 255], `face box at ${x},${y}`);
      assert.notDeepEqual(at(x0 + 3, y0 + 3), [0, 229, 255], "only the outline");
    }
    assert.notEqual(results[0].cam?.overlay, results[1].cam?.overlay, "two pictures named alike get two overlays");

    // The cleaner's maps (the run's own graph, the predicted label's map on its grid) say what predict --cam says.
    const maps = await computeRunMaps({ projectDir: captioned, config: configWith(), runId: run.runId, pictures: results.map((result, i) => ({ file: `${LABELS[i]}/real-0001.jpg`, predicted: result.label })) });
    assert.ok(maps.available, JSON.stringify(maps));
    assert.deepEqual(maps.face, STUDIO_CROP_FACE_BOX);
    assert.deepEqual(maps.items.map((item) => item.file), ["Real/real-0001.jpg", "Deepfake/real-0001.jpg"]);
    for (const [i, item] of maps.items.entries()) {
      assert.equal(item.map.length, maps.height * maps.width);
      assert.equal(item.elsewhere, true, JSON.stringify({ ...item, map: undefined }));
      assert.ok(Math.abs((item.faceShare ?? NaN) - (results[i].cam?.faceShare ?? NaN)) <= 0.002, `cleaner ${item.faceShare} vs predict ${results[i].cam?.faceShare}`);
    }
  });

  it("a difference in the face: the maps' mass lies in the face box and no warning fires", async () => {
    const run = await train({ projectDir: patched, config: configWith(), backbone });
    assert.ok(run.metrics.errorRate <= 0.1, `error rate ${run.metrics.errorRate}`);
    const looked = run.metrics.whereItLooked;
    assert.ok(looked, "no whereItLooked in metrics");
    assert.ok(looked.faceShare >= MOSTLY_ELSEWHERE_SHARE, `face share ${looked.faceShare} (error rate ${run.metrics.errorRate})`);
    assert.equal(looked.warning, undefined);
  });
});
