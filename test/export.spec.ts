/**
 * export + predict on a realistic run (test/fixtures/fake-run.ts: real images, the offline nsfwjs MobileNetV2,
 * a fitted logistic-regression head): the exported folder, ONNX ≡ tfjs, the CLI's output formats and exit codes,
 * the atomic replacement of an existing export, and refusal of tampered exports.
 */
import { strict as assert } from "node:assert";
import { execFile, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { extractFeaturesTfjs } from "../src/core/backbone/extract-features-tfjs";
import { OFFLINE_BACKBONE_ID } from "../src/core/backbone/known-backbones";
import { loadBackbone, type LoadedBackbone } from "../src/core/backbone/load-backbone";
import { resolveBackbone } from "../src/core/backbone/resolve-backbone";
import { ExportError } from "../src/core/export/export-errors";
import { MANIFEST_FILE_NAME } from "../src/core/dataset/manifest";
import { exportModel, type ExportResult } from "../src/core/export/export-model";
import { EXPORT_MARKER, EXPORT_METADATA_KEYS } from "../src/core/export/export-format";
import { decodeOnnxModel } from "../src/core/onnx/decode-onnx-model";
import { createOnnxSession, runOnnx } from "../src/core/onnx/onnx-session";
import { loadExport } from "../src/core/predict/load-export";
import { loadImageTensor } from "../src/core/shared/load-image-tensor";
import { predict, type Prediction } from "../src/core/predict/predict";
import { InvalidExportError } from "../src/core/predict/predict-errors";
import { ImageReadError } from "../src/core/shared/image-read-error";
import { defaultProjectConfig, initProject, type ProjectConfig } from "../src/core/project/project-config";
import { loadTensorflow } from "../src/core/shared/tensorflow";
import { faceApiSamples, trainFakeRun, writeFakeRun, type FakeRun } from "./fixtures/fake-run";
import { hostileImages, makePhoto } from "./fixtures/make-images";
import { createSpace } from "../src/core/space/create-space";
import { requireSystem } from "./support/require-system";
import { listTree, makeTempDir, removeDir, setEnv } from "./support/temp-dir";
import { mountTmpfs, type Tmpfs } from "./support/tmpfs";

const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "out", "src", "cli", "main.js");
const RUN_ID = "2025-01-01T00-00-00Z";
const verbose = Boolean(process.env.EXPORT_TEST_VERBOSE);

/** Result of one CLI process. */
interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI in a child process. */
function runCli(args: string[], cwd = ROOT): Promise<CliResult> {
  const argv = [CLI, ...args];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { cwd, env: process.env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "lengths differ");
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Writes a project folder with the default two-label config. */
async function makeProject(dir: string): Promise<ProjectConfig> {
  await initProject({ projectDir: dir });
  return defaultProjectConfig();
}

describe("export and predict", function () {
  this.timeout(300_000);
  let tmp: string;
  let cacheDir: string;
  let projectDir: string;
  let config: ProjectConfig;
  let run: FakeRun;
  let exported: ExportResult;
  let restoreEnv: () => void;

  before(async () => {
    tmp = await makeTempDir("dds-export-");
    cacheDir = path.join(tmp, "cache");
    restoreEnv = setEnv({ DEEPFAKE_STUDIO_CACHE: cacheDir, DEEPFAKE_STUDIO_BACKBONE: undefined });
    projectDir = path.join(tmp, "project");
    config = await makeProject(projectDir);
    let started = Date.now();
    run = await trainFakeRun({ dataDir: path.join(projectDir, "data"), cacheDir, runId: RUN_ID });
    if (verbose) console.log(`      fake run trained in ${((Date.now() - started) / 1000).toFixed(1)} s; final error rate ${run.metrics.errorRate}`);
    await writeFakeRun({ projectDir, run });
    started = Date.now();
    exported = await exportModel({ projectDir, config });
    if (verbose) console.log(`      exported in ${((Date.now() - started) / 1000).toFixed(1)} s (at export: max |Δp| ${exported.verification.maxProbabilityDifference.toExponential(2)}, relative feature diff ${exported.verification.maxFeatureDifference.toExponential(2)})`);
  });

  after(async () => {
    restoreEnv();
    await removeDir(tmp);
  });

  it("writes model.onnx, labels.json, preprocess.json, README.md (and metrics.json) with the run's facts", async () => {
    const exportDir = path.join(projectDir, "export");
    assert.equal(exported.outDir, exportDir);
    assert.equal(exported.runId, RUN_ID);
    assert.equal(exported.previousDir, undefined);
    const names = (await fs.readdir(exportDir)).sort();
    assert.deepEqual(names, [".deepfake-studio-export.json", "README.md", "labels.json", "metrics.json", "model.onnx", "preprocess.json"]);
    const marker = JSON.parse(await fs.readFile(path.join(exportDir, EXPORT_MARKER), "utf8"));
    assert.deepEqual({ ...marker, exportedAt: undefined }, { generator: "deepfake-studio", kind: "export", format: 1, runId: RUN_ID, exportedAt: undefined });
    // No staging folder is left next to it.
    assert.deepEqual((await fs.readdir(projectDir)).filter((name) => name.startsWith(".")), []);

    assert.deepEqual(JSON.parse(await fs.readFile(path.join(exportDir, "labels.json"), "utf8")), run.head.labels);
    assert.deepEqual(JSON.parse(await fs.readFile(path.join(exportDir, "preprocess.json"), "utf8")), run.head.preprocess);
    assert.equal(JSON.parse(await fs.readFile(path.join(exportDir, "metrics.json"), "utf8")).errorRate, run.metrics.errorRate);

    const model = decodeOnnxModel(await fs.readFile(path.join(exportDir, "model.onnx")));
    const metadata = Object.fromEntries((model.metadataProps ?? []).map((entry) => [entry.key, entry.value]));
    assert.deepEqual(JSON.parse(metadata[EXPORT_METADATA_KEYS.labels] ?? "null"), run.head.labels);
    assert.equal(metadata[EXPORT_METADATA_KEYS.backboneId], OFFLINE_BACKBONE_ID);
    assert.equal(metadata[EXPORT_METADATA_KEYS.backboneSha256], run.head.backbone.modelJsonSha256);
    assert.equal(metadata[EXPORT_METADATA_KEYS.runId], RUN_ID);
    assert.deepEqual(JSON.parse(metadata[EXPORT_METADATA_KEYS.preprocess] ?? "null"), run.head.preprocess);
    assert.deepEqual(model.graph?.input?.map((input) => input.name), ["image"]);
    assert.deepEqual(model.graph?.output?.map((output) => output.name), ["probabilities", "features", "cam"]);

    const readme = await fs.readFile(path.join(exportDir, "README.md"), "utf8");
    for (const heading of ["## What it is", "## Intended use", "## Data", "## Metrics", "## Backbone", "## Training method", "## Limitations", "## How to run it"]) {
      assert.ok(readme.includes(`\n${heading}\n`), `README lacks "${heading}"`);
    }
    assert.match(readme, /offline MobileNetV2 bundled with the nsfwjs npm package/);
    assert.ok(!/Teachable Machine copy/.test(readme), "the README names the backbone that was not used");
    assert.ok(readme.includes(run.head.backbone.modelJsonSha256));
    assert.ok(readme.includes("Frozen backbone + linear head"));
    assert.match(readme, /not proof/);
    assert.match(readme, /sole evidence/);
    assert.ok(readme.includes(`| Deepfake Tom Cruise | 4 | 2 | 6 |`), "per-label counts table");
    assert.ok(readme.includes('session.run(["probabilities"], {"image": batch})'), "Python snippet feeds the image input");
    assert.ok(readme.includes("[1, height, width, 3]"), "JS snippet uses NHWC");
    assert.ok(!readme.includes(cacheDir), "the README must not reveal local cache paths");
  });

  it("the model card says where the pictures came from and under which licences (the provenance manifest)", async () => {
    const dataDir = path.join(projectDir, "data");
    const manifestFile = path.join(dataDir, MANIFEST_FILE_NAME);
    const before = await fs.readFile(manifestFile, "utf8").catch(() => undefined);
    const record = (index: number, extra: Record<string, string>) => ({ file: `Real/m${index}.jpg`, label: "Real", imageUrl: `https://img.example/${index}.jpg`, sha256: "0".repeat(64), pixelSha256: "0".repeat(64), perceptualHash: "0".repeat(16), width: 400, height: 300, sourceFormat: "jpeg", time: new Date(0).toISOString(), ...extra });
    await fs.writeFile(manifestFile, [record(1, { source: "wikimedia", license: "CC BY-SA 4.0", author: "Jane Doe" }), record(2, { source: "bing" }), record(3, { source: "bing" })].map((line) => JSON.stringify(line)).join("\n") + "\n");
    try {
      const again = await exportModel({ projectDir, config, outDir: path.join(tmp, "export-sources") });
      const readme = await fs.readFile(path.join(again.outDir, "README.md"), "utf8");
      assert.match(readme, /The data folder at export time \(its provenance manifest\): 3 pictures\. Found by: bing 2, wikimedia 1\. Licences: unknown 2, CC BY-SA 4\.0 1/);
    } finally {
      if (before === undefined) await fs.rm(manifestFile, { force: true });
      else await fs.writeFile(manifestFile, before);
    }
  });

  it("gives the same probabilities in ONNX Runtime as the tfjs backbone + head (≤ 1e-4) on real photos", async () => {
    const files = [...faceApiSamples(), run.images[0].path, run.images[5].path];
    const { preprocess, featureLength: F, labels } = run.head;
    const [height, width] = preprocess.size;
    const perImage = height * width * 3;
    const data = new Float32Array(files.length * perImage);
    for (const [index, file] of files.entries()) await loadImageTensor({ source: file, preprocess, target: data, offset: index * perImage });

    const session = await createOnnxSession(path.join(projectDir, "export", "model.onnx"), { threads: 2 });
    let onnx: { probabilities?: Float32Array; features?: Float32Array };
    try {
      onnx = await runOnnx(session, data, files.length, height, width);
    } finally {
      await session.release();
    }

    const tf = await loadTensorflow();
    const backbone: LoadedBackbone = await loadBackbone({ spec: resolveBackbone({ backbone: OFFLINE_BACKBONE_ID }) });
    let features: Float32Array;
    try {
      features = await extractFeaturesTfjs(backbone, { data, count: files.length });
    } finally {
      backbone.dispose();
    }
    const expected = tf.tidy(() => tf.tensor2d(features, [files.length, F])
      .sub(tf.tensor1d(run.head.mean)).div(tf.tensor1d(run.head.std))
      .matMul(tf.tensor2d(run.head.weights, [F, labels.length])).add(tf.tensor1d(run.head.bias))
      .softmax().dataSync() as Float32Array);

    assert.ok(onnx.probabilities && onnx.features);
    const probabilityDiff = maxAbsDiff(onnx.probabilities, expected);
    const featureScale = features.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
    const featureDiff = maxAbsDiff(onnx.features, features) / featureScale;
    // Saturated outputs (all 0 or 1) would make the check meaningless: the head must be unsure about some photos.
    const unsure = Array.from(expected).filter((p) => p > 0.02 && p < 0.98).length;
    if (verbose) console.log(`      ${files.length} images: max |p_onnx - p_tfjs| = ${probabilityDiff.toExponential(2)}, relative feature diff ${featureDiff.toExponential(2)}, ${unsure} unsaturated probabilities`);
    assert.ok(unsure >= 2, `the fitted head is saturated (${Array.from(expected).map((p) => p.toFixed(4)).join(", ")})`);
    assert.ok(probabilityDiff <= 1e-4, `max |p_onnx - p_tfjs| = ${probabilityDiff}`);
    assert.ok(featureDiff <= 1e-4, `relative feature difference ${featureDiff}`);

    // predict() decodes the files itself; it must reproduce the same numbers.
    const predicted = await predict({ modelDir: path.join(projectDir, "export"), inputs: files, threads: 2 });
    const flat = predicted.flatMap((result) => labels.map((label) => (result as Prediction).probabilities[label]));
    assert.ok(maxAbsDiff(flat, expected) <= 1e-4);
  });

  it("the README's JavaScript snippet runs on the export and agrees with predict", async () => {
    const exportDir = path.join(projectDir, "export");
    const readme = await fs.readFile(path.join(exportDir, "README.md"), "utf8");
    const snippet = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(snippet, "README has no js block");
    const script = path.join(tmp, "readme-snippet.js");
    await fs.writeFile(script, snippet);
    const photo = faceApiSamples()[2];
    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [script, photo], { cwd: exportDir, env: { ...process.env, NODE_PATH: path.join(ROOT, "node_modules") } }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)));
    });
    const [expected] = (await predict({ modelDir: exportDir, inputs: [photo], threads: 2 })) as Prediction[];
    const printed = run.head.labels.map((label) => Number(new RegExp(`'${label}': ([0-9.e-]+)`).exec(output)?.[1]));
    assert.ok(maxAbsDiff(printed, run.head.labels.map((label) => expected.probabilities[label])) <= 1e-6, output);
  });

  it("the README's Python snippet prepares images like the studio (and runs, where onnxruntime is installed)", async function () {
    const canImport = (python: string, modules: string) => {
      try {
        execFileSync(python, ["-c", `import ${modules}`], { stdio: "ignore" });
        return true;
      } catch {
        return false;
      }
    };
    const python = ["python3", "/usr/bin/python3"].find((candidate) => canImport(candidate, "numpy, PIL"));
    requireSystem(python, "A python3 with numpy and PIL", "python3-numpy python3-pil");
    const exportDir = path.join(projectDir, "export");
    const readme = await fs.readFile(path.join(exportDir, "README.md"), "utf8");
    const snippet = /```python\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    assert.ok(snippet.includes("session = ort.InferenceSession"), "README has no python block");
    const { preprocess } = run.head;
    const pyRun = (code: string, args: string[]) => new Promise<string>((resolve, reject) => {
      execFile(python as string, ["-c", code, ...args], { cwd: exportDir }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)));
    });

    // The snippet's load(): same orientation, colours, alpha handling and squish as loadImageTensor.
    const prepare = `${snippet.slice(0, snippet.indexOf("session = ort.InferenceSession")).replace("import onnxruntime as ort\n", "")}
import sys
load(sys.argv[1]).astype("<f4").tofile(sys.argv[2])
`;
    const inputs = path.join(tmp, "python-inputs");
    await fs.mkdir(inputs, { recursive: true });
    const photos = { face: faceApiSamples()[3], exifRotated: path.join(inputs, "rotated.jpg"), alpha: path.join(inputs, "alpha.png") };
    await fs.writeFile(photos.exifRotated, (await hostileImages.exifRotated()).body);
    await fs.writeFile(photos.alpha, (await hostileImages.pngWithAlpha()).body);
    for (const [name, photo] of Object.entries(photos)) {
      const out = path.join(inputs, `${name}.f32`);
      await pyRun(prepare, [photo, out]);
      const bytes = await fs.readFile(out);
      const fromPython = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      const fromStudio = await loadImageTensor({ source: photo, preprocess });
      assert.equal(fromPython.length, fromStudio.length, name);
      const meanDiff = fromStudio.reduce((sum, value, i) => sum + Math.abs(value - fromPython[i]), 0) / fromStudio.length;
      if (verbose) console.log(`      python load(${name}): mean |Δpixel| ${meanDiff.toFixed(2)}`);
      // Resampling filters differ by a few levels at edges; a wrong orientation, channel order or alpha is off by tens.
      assert.ok(meanDiff < 3, `${name}: PIL and sharp differ by ${meanDiff} on average`);
    }

    if (!canImport(python as string, "onnxruntime")) return;
    const output = await pyRun(snippet.replace('load("photo.jpg")', `load(${JSON.stringify(photos.face)})`), []);
    const [expected] = (await predict({ modelDir: exportDir, inputs: [photos.face], threads: 2 })) as Prediction[];
    const printed = run.head.labels.map((label) => Number(new RegExp(`'${label}': ([0-9.e-]+)`).exec(output)?.[1]));
    assert.ok(maxAbsDiff(printed, run.head.labels.map((label) => expected.probabilities[label])) <= 0.05, output);
  });

  it("decodes like training: EXIF orientation applied, transparency on white, squish to the exact size", async () => {
    const size: [number, number] = [64, 48];
    const rotated = await loadImageTensor({ source: (await hostileImages.exifRotated()).body, preprocess: { size, kernel: "linear" } });
    const pixel = (data: Float32Array, row: number, column: number) => Array.from(data.subarray((row * size[1] + column) * 3, (row * size[1] + column) * 3 + 3)).map(Math.round);
    assert.equal(rotated.length, 64 * 48 * 3);
    // Stored landscape with a red top-left mark; orientation 6 shows it portrait with the mark top-right.
    const near = (actual: number[], expected: number[]) => assert.ok(actual.every((value, i) => Math.abs(value - expected[i]) <= 8), `${actual} is not ${expected}`);
    near(pixel(rotated, 3, 44), [255, 0, 0]);
    near(pixel(rotated, 3, 3), [255, 255, 255]);
    const alpha = await loadImageTensor({ source: (await hostileImages.pngWithAlpha()).body, preprocess: { size, kernel: "linear" } });
    near(pixel(alpha, 30, 3), [255, 255, 255]);
    near(pixel(alpha, 30, 44), [0, 0, 255]);
    await assert.rejects(loadImageTensor({ source: (await hostileImages.svgWithScript()).body, preprocess: { size, kernel: "linear" } }), (error: unknown) => error instanceof ImageReadError && error.reason === "unsupported-format");
    await assert.rejects(loadImageTensor({ source: (await hostileImages.truncatedJpeg()).body, preprocess: { size, kernel: "linear" } }), (error: unknown) => error instanceof ImageReadError && error.reason === "damaged");
  });

  it("predicts folders recursively, skips non-images found in folders, reports unreadable files without stopping", async () => {
    const inputs = path.join(tmp, "inputs");
    await fs.mkdir(path.join(inputs, "nested"), { recursive: true });
    await fs.copyFile(faceApiSamples()[0], path.join(inputs, "a-face.jpg"));
    // A transparent PNG: alpha goes on white, as gather does for training images.
    await sharp(await makePhoto(7, 300, 200)).ensureAlpha(0.5).png().toFile(path.join(inputs, "nested", "b-alpha.png"));
    const jpeg = await makePhoto(8, 300, 200);
    await fs.writeFile(path.join(inputs, "nested", "c-truncated.jpg"), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    await fs.writeFile(path.join(inputs, "notes.txt"), "not an image\n");
    await fs.writeFile(path.join(inputs, "report.pdf"), (await hostileImages.pdfAsImage()).body);
    await fs.writeFile(path.join(inputs, "nested", "d-drawing.svg"), (await hostileImages.svgWithScript()).body);
    await fs.writeFile(path.join(inputs, ".hidden.jpg"), jpeg);
    const missing = path.join(tmp, "does-not-exist.jpg");

    const events: string[] = [];
    const results = await predict({ modelDir: path.join(projectDir, "export"), inputs: [inputs, missing], threads: 2, onProgress: (event) => events.push(event.event === "warning" ? event.message : "") });
    assert.deepEqual(results.map((result) => path.relative(tmp, result.file)), ["inputs/a-face.jpg", "inputs/nested/b-alpha.png", "inputs/nested/c-truncated.jpg", "inputs/nested/d-drawing.svg", "does-not-exist.jpg"]);
    const [face, alpha, truncated, svg, absent] = results;
    assert.ok("label" in face && "label" in alpha);
    assert.ok("error" in truncated && /corrupt|cut short/.test(truncated.error), JSON.stringify(truncated));
    assert.ok("error" in svg && /svg format/.test(svg.error), "an SVG is refused (it may carry scripts), not decoded");
    assert.ok("error" in absent && /No such file/.test(absent.error));
    assert.ok(events.some((message) => /Skipped 2 file/.test(message)), "the skipped notes.txt and report.pdf are counted");
  });

  it("CLI predict --json prints exactly [{file, label, probabilities}] and {file, error} entries; exit 0 when any image was predicted", async () => {
    const photo = faceApiSamples()[1];
    const broken = path.join(tmp, "broken.jpg");
    await fs.writeFile(broken, "this is not a JPEG");
    const { code, stdout, stderr } = await runCli(["predict", photo, broken, "--json", "--model", path.join(projectDir, "export")]);
    assert.equal(code, 0, stderr);
    const parsed = JSON.parse(stdout) as Array<Record<string, unknown>>;
    assert.equal(parsed.length, 2);
    assert.deepEqual(Object.keys(parsed[0]), ["file", "label", "probabilities"]);
    assert.equal(parsed[0].file, photo);
    assert.ok(run.head.labels.includes(parsed[0].label as string));
    const probabilities = parsed[0].probabilities as Record<string, number>;
    assert.deepEqual(Object.keys(probabilities), run.head.labels);
    assert.ok(Math.abs(Object.values(probabilities).reduce((a, b) => a + b, 0) - 1) < 1e-5);
    assert.equal(parsed[0].label, Object.entries(probabilities).sort(([, a], [, b]) => b - a)[0][0]);
    assert.deepEqual(Object.keys(parsed[1]), ["file", "error"]);
    assert.equal(parsed[1].file, broken);

    // The table, with --project giving the default model folder.
    const table = await runCli(["--project", projectDir, "predict", photo]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^file\s+label\s+confidence\n/);
    assert.match(table.stdout, /\d+\.\d%\n$/);

    // Nothing predicted: exit 1, the JSON still lists the error.
    const none = await runCli(["predict", broken, "--json", "--model", path.join(projectDir, "export")]);
    assert.equal(none.code, 1);
    assert.deepEqual(Object.keys((JSON.parse(none.stdout) as object[])[0]), ["file", "error"]);
    assert.match(none.stderr, /None of the given files could be read/);
  });

  it("CLI export names the available runs for an unknown --run, and asks to train first when there is no run", async () => {
    const unknown = await runCli(["--project", projectDir, "export", "--run", "no-such-run"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /There is no run "no-such-run"/);
    assert.ok(unknown.stderr.includes(`Available runs: ${RUN_ID}`), unknown.stderr);

    const empty = path.join(tmp, "empty-project");
    await makeProject(empty);
    await fs.mkdir(path.join(empty, "runs", ".tmp-half-written"), { recursive: true });
    const none = await runCli(["--project", empty, "export"]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no training run/);
    assert.match(none.stderr, /Run `deepfake-studio train` first/);
  });

  it("keeps the working export when a re-export fails, and moves it to export.previous when one succeeds", async () => {
    const other = path.join(tmp, "reexport-project");
    const otherConfig = await makeProject(other);
    await writeFakeRun({ projectDir: other, run });
    await fs.cp(path.join(projectDir, "export"), path.join(other, "export"), { recursive: true });
    const exportDir = path.join(other, "export");
    const before = sha256(await fs.readFile(path.join(exportDir, "model.onnx")));

    // A later run whose backbone file is not the one it was trained on.
    const tampered: FakeRun = { ...run, head: { ...run.head, backbone: { ...run.head.backbone, modelJsonSha256: "0".repeat(64) } } };
    await writeFakeRun({ projectDir: other, run: tampered, runId: "2025-01-02T00-00-00Z" });
    await assert.rejects(exportModel({ projectDir: other, config: otherConfig }), (error: unknown) => {
      assert.ok(error instanceof ExportError && error.code === "backbone-mismatch", String(error));
      assert.match(error.message, /not the one this run was trained on/);
      return true;
    });
    // A run whose backbone is gone.
    const gone: FakeRun = { ...run, head: { ...run.head, backbone: { ...run.head.backbone, kind: "file", location: path.join(tmp, "gone", "model.json") } } };
    await writeFakeRun({ projectDir: other, run: gone, runId: "2025-01-03T00-00-00Z" });
    await assert.rejects(exportModel({ projectDir: other, config: otherConfig }), (error: unknown) => error instanceof ExportError && error.code === "backbone-unavailable");

    assert.equal(sha256(await fs.readFile(path.join(exportDir, "model.onnx"))), before, "the old export was touched");
    assert.deepEqual((await fs.readdir(other)).filter((name) => name.startsWith(".") || name.endsWith(".previous")), []);
    await loadExport({ modelDir: exportDir });

    const redone = await exportModel({ projectDir: other, config: otherConfig, runId: RUN_ID });
    assert.equal(redone.previousDir, `${exportDir}.previous`);
    assert.equal(sha256(await fs.readFile(path.join(`${exportDir}.previous`, "model.onnx"))), before);
    await loadExport({ modelDir: exportDir });
  });

  it("refuses to export over the project, a folder above it, its data or runs (also through a symbolic link)", async () => {
    const refused = (error: unknown) => error instanceof ExportError && error.code === "out-dir-refused" && /is replaced as a whole/.test(error.message);
    await assert.rejects(exportModel({ projectDir, config, outDir: projectDir }), refused);
    await assert.rejects(exportModel({ projectDir, config, outDir: path.dirname(projectDir) }), refused);
    await assert.rejects(exportModel({ projectDir, config, outDir: path.join(projectDir, "data") }), refused);
    await assert.rejects(exportModel({ projectDir, config, outDir: path.join(projectDir, "runs") }), refused);
    await assert.rejects(exportModel({ projectDir, config, outDir: path.join(projectDir, "data", "export") }), refused);
    const link = path.join(tmp, "link-to-project");
    await fs.symlink(projectDir, link);
    await assert.rejects(exportModel({ projectDir, config, outDir: path.join(link, "runs", "export") }), refused);
  });

  it("refuses a Space folder (it holds a model.onnx too) and any folder it did not write, leaving them as they were", async () => {
    // The Space of this very project, a git repository with history: `export -o space` used to move it to
    // space.previous, and a second run deleted it.
    const space = await createSpace({ projectDir });
    const spaceDir = space.spaceDir;
    const before = await listTree(spaceDir);
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: spaceDir, encoding: "utf8" });
    for (let attempt = 0; attempt < 2; attempt++) {
      const { code, stderr } = await runCli(["--project", projectDir, "export", "-o", spaceDir]);
      assert.equal(code, 1, stderr);
      assert.ok(stderr.includes(`Refusing to export into ${spaceDir}: it already holds files that export did not write (.git, .gitattributes, app.js, `), stderr);
      assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
    }
    assert.deepEqual(await listTree(spaceDir), before);
    assert.equal(execFileSync("git", ["rev-parse", "HEAD"], { cwd: spaceDir, encoding: "utf8" }), head);
    assert.ok(!existsSync(`${spaceDir}.previous`));

    // An export folder with a file of the user's in it, a hand-made model folder, a file: all refused, untouched.
    const cases = path.join(tmp, "refusals");
    const withNotes = path.join(cases, "with-notes");
    await fs.cp(path.join(projectDir, "export"), withNotes, { recursive: true });
    await fs.writeFile(path.join(withNotes, "notes.txt"), "mine");
    const handMade = path.join(cases, "hand-made");
    await fs.mkdir(handMade, { recursive: true });
    for (const name of ["model.onnx", "labels.json", "preprocess.json"]) await fs.copyFile(path.join(projectDir, "export", name === "model.onnx" ? "labels.json" : name), path.join(handMade, name));
    const file = path.join(cases, "a-file");
    await fs.writeFile(file, "mine");
    for (const outDir of [withNotes, handMade, file]) {
      const listed = outDir === file ? [] : await listTree(outDir);
      await assert.rejects(exportModel({ projectDir, config, outDir }), (error: unknown) => error instanceof ExportError && error.code === "out-dir-refused", outDir);
      if (outDir !== file) assert.deepEqual(await listTree(outDir), listed);
    }
    assert.equal(await fs.readFile(file, "utf8"), "mine");

    // <out>.previous is deleted by the next export, so someone else's folder there is refused as well.
    const fresh = path.join(cases, "fresh");
    await fs.mkdir(`${fresh}.previous`, { recursive: true });
    await fs.writeFile(path.join(`${fresh}.previous`, "keep.txt"), "mine");
    await assert.rejects(exportModel({ projectDir, config, outDir: fresh }), (error: unknown) => error instanceof ExportError && /fresh\.previous/.test(error.message));
    assert.equal(await fs.readFile(path.join(`${fresh}.previous`, "keep.txt"), "utf8"), "mine");
  });

  it("replaces an export written before the marker existed, and an empty folder", async () => {
    const legacy = path.join(tmp, "legacy", "export");
    await fs.cp(path.join(projectDir, "export"), legacy, { recursive: true });
    await fs.rm(path.join(legacy, EXPORT_MARKER));
    const model = sha256(await fs.readFile(path.join(legacy, "model.onnx")));
    const result = await exportModel({ projectDir, config, outDir: legacy });
    assert.equal(result.previousDir, `${legacy}.previous`);
    assert.equal(sha256(await fs.readFile(path.join(`${legacy}.previous`, "model.onnx"))), model);
    assert.ok(existsSync(path.join(legacy, EXPORT_MARKER)));
    const empty = path.join(tmp, "legacy", "empty");
    await fs.mkdir(empty);
    assert.equal((await exportModel({ projectDir, config, outDir: empty })).previousDir, undefined);
  });

  it("removes the staging folder a killed export left, at the next start (never a live export's)", async () => {
    const parent = path.join(tmp, "killed");
    const outDir = path.join(parent, "export");
    await fs.mkdir(parent, { recursive: true });
    const child = spawn(process.execPath, [CLI, "--project", projectDir, "export", "-o", outDir], { env: process.env, stdio: "ignore" });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    let staging: string[] = [];
    const deadline = Date.now() + 120_000;
    while (staging.length === 0 && Date.now() < deadline && child.exitCode === null) {
      staging = (await fs.readdir(parent)).filter((name) => name.startsWith(".export.tmp-"));
      if (staging.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    child.kill("SIGKILL");
    await exited;
    assert.equal(staging.length, 1, "the export was killed while it wrote its staging folder");
    assert.ok(existsSync(path.join(parent, staging[0])), "the kill left the staging folder behind");
    // One left by an older version (no process id in the name) two hours ago, and one of a live export (this process).
    const old = path.join(parent, ".export.tmp-0123456789ab");
    await fs.mkdir(old);
    await fs.writeFile(path.join(old, "model.onnx"), "half");
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await fs.utimes(old, twoHoursAgo, twoHoursAgo);
    const live = path.join(parent, `.export.tmp-abcdefabcdef-pid${process.pid}`);
    await fs.mkdir(live);

    await exportModel({ projectDir, config, outDir });
    assert.deepEqual((await fs.readdir(parent)).sort(), [live, outDir].map((dir) => path.basename(dir)).sort());
  });

  describe("on a full disk", () => {
    let disk: Tmpfs | undefined;
    after(async () => disk?.unmount());

    it("says so in words, leaves the previous export as it was and nothing half-written; the next export works", async () => {
      const modelBytes = (await fs.stat(path.join(projectDir, "export", "model.onnx"))).size;
      // Room for one export, not for a second one beside it.
      disk = await mountTmpfs(path.join(tmp, "small-disk"), Math.round(modelBytes * 1.5));
      const outDir = path.join(disk.dir, "export");
      await exportModel({ projectDir, config, outDir });
      const before = sha256(await fs.readFile(path.join(outDir, "model.onnx")));

      const { code, stderr } = await runCli(["--project", projectDir, "export", "-o", outDir]);
      assert.equal(code, 1, stderr);
      assert.ok(stderr.includes(`The disk is full, so the export to ${outDir} could not be written; nothing was replaced.`), stderr);
      assert.match(stderr, /the previous export is unchanged/);
      assert.doesNotMatch(stderr, /ENOSPC|\n\s+at /, "no errno, no stack trace");
      assert.deepEqual(await fs.readdir(disk.dir), ["export"], "no staging folder, no export.previous");
      assert.equal(sha256(await fs.readFile(path.join(outDir, "model.onnx"))), before);
      await loadExport({ modelDir: outDir });

      disk.resize(modelBytes * 3);
      const again = await exportModel({ projectDir, config, outDir });
      assert.equal(again.previousDir, `${outDir}.previous`);
      assert.equal(sha256(await fs.readFile(path.join(`${outDir}.previous`, "model.onnx"))), before);
    });
  });

  describe("tampered exports are refused before anything runs", () => {
    let copy: string;
    beforeEach(async () => {
      copy = await makeTempDir("dds-tampered-");
      await fs.cp(path.join(projectDir, "export"), copy, { recursive: true });
    });
    afterEach(() => removeDir(copy));

    async function refused(pattern: RegExp): Promise<void> {
      await assert.rejects(predict({ modelDir: copy, inputs: [faceApiSamples()[0]] }), (error: unknown) => {
        assert.ok(error instanceof InvalidExportError, String(error));
        assert.match(error.message, pattern);
        return true;
      });
    }

    it("labels.json of the wrong type", async () => {
      await fs.writeFile(path.join(copy, "labels.json"), JSON.stringify({ 0: "Deepfake Tom Cruise", 1: "Real Tom Cruise" }));
      await refused(/labels\.json is not a valid labels\.json: field "\(root\)" must be array, not object/);
      await fs.writeFile(path.join(copy, "labels.json"), JSON.stringify([1, 2]));
      await refused(/field "\[0\]" must be string, not number/);
    });

    it("labels.json with a count that does not match the model output", async () => {
      await fs.writeFile(path.join(copy, "labels.json"), JSON.stringify([...run.head.labels, "Someone else"]));
      await refused(/names 3 labels but the model outputs 2 probabilities/);
    });

    it("labels.json reordered (it would silently swap the verdicts)", async () => {
      await fs.writeFile(path.join(copy, "labels.json"), JSON.stringify([...run.head.labels].reverse()));
      await refused(/does not match the labels stored inside model\.onnx/);
    });

    it("preprocess.json changed, or model.onnx that is not ONNX", async () => {
      await fs.writeFile(path.join(copy, "preprocess.json"), JSON.stringify({ ...run.head.preprocess, size: [299, 299] }));
      await refused(/preprocess\.json/);
      await fs.writeFile(path.join(copy, "preprocess.json"), JSON.stringify(run.head.preprocess));
      await fs.writeFile(path.join(copy, "model.onnx"), Buffer.from("\x80\x04\x95 pickle? no."));
      await refused(/not a readable ONNX model|does not take one float32 input/);
    });

    it("through the CLI, with a clear message", async () => {
      await fs.writeFile(path.join(copy, "labels.json"), "[\"only one\"]");
      const { code, stderr } = await runCli(["predict", faceApiSamples()[0], "--model", copy, "--json"]);
      assert.equal(code, 1);
      assert.match(stderr, /labels\.json is not a valid labels\.json: field "\(root\)" needs at least two labels; the export was refused/);
    });
  });
});
