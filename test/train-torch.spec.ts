/**
 * train --engine torch: the generated PyTorch script run for real with Debian's python3-torch (CPU) on a small
 * face dataset: the Keras → torchvision weight mapping against the tfjs backbone, a fine-tune whose run folder
 * export, predict and the model card use, Cancel, a failing script, and interpreters without PyTorch.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { extractFeaturesTfjs } from "../src/core/backbone/extract-features-tfjs";
import { loadBackbone } from "../src/core/backbone/load-backbone";
import { resolveBackbone } from "../src/core/backbone/resolve-backbone";
import { writeOfflineBackbone } from "../src/core/backbone/write-offline-backbone";
import { computeRunMaps, describeRunMaps } from "../src/core/clean/run-maps";
import { DEFAULT_EXPORT_FOLDER, exportModel } from "../src/core/export/export-model";
import { CAM_UNAVAILABLE, predict, type Prediction } from "../src/core/predict/predict";
import { parseProjectConfig, type ProjectConfig } from "../src/core/project/project-config";
import { CancelledError, ConfigError, StudioError } from "../src/core/shared/errors";
import { findTemplateFile } from "../src/core/shared/find-template";
import { findTorchPython } from "../src/core/train/engines/torch/find-torch-python";
import type { TorchRunRecord } from "../src/core/train/engines/fine-tune-with-script";
import type { EpochRecord, RunMetrics, RunPrediction } from "../src/core/train/run-files";
import { train, type TrainResult } from "../src/core/train/train";
import { rejectsWith } from "./support/assertions";
import { makeTempDir, removeDir, setEnv } from "./support/temp-dir";

const run = promisify(execFile);
/** Debian's python3-torch + python3-torchvision (CI installs them); the PATH python3 may be a pyenv shim without. */
const PYTHON = "/usr/bin/python3";
const LABELS = ["Real", "Deepfake"];
const PER_CLASS = 8;
const ROOT = path.resolve(__dirname, "..", "..");
/** Mapped features vs tfjs, relative to the largest feature: float32 convolutions in another order differ ~1e-6. */
const FEATURE_TOLERANCE = 1e-4;

function configWith(train: Record<string, unknown>): ProjectConfig {
  return parseProjectConfig({ categories: LABELS.map((label) => ({ label })), train: { engine: "torch", python: PYTHON, fineTuneEpochs: 1, backbone: "nsfwjs-mobilenet_v2", validPct: 0.3, ...train } });
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await fs.readFile(file, "utf8")) as T;
}

async function entries(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch(() => []);
}

/** Processes whose working folder is inside `dir` (the script runs in its run's temp folder). */
async function processesIn(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const pid of await fs.readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const cwd = await fs.readlink(`/proc/${pid}/cwd`).catch(() => "");
    if (cwd.startsWith(dir)) found.push(Number(pid));
  }
  return found;
}

/** predict with the export gives the probabilities the run recorded for its first pictures. */
async function assertPredictGivesRunNumbers(modelDir: string, runDir: string, project: string): Promise<void> {
  const predictions = await readJson<RunPrediction[]>(path.join(runDir, "predictions.json"));
  const files = predictions.slice(0, 4).map((prediction) => path.join(project, "data", prediction.file));
  const predicted = (await predict({ modelDir, inputs: files, threads: 2 })) as Prediction[];
  predicted.forEach((prediction, i) => {
    for (const label of LABELS) assert.ok(Math.abs(prediction.probabilities[label] - predictions[i].probabilities[label]) < 1e-4, `${prediction.file} ${label}`);
  });
}

describe("train --engine torch", function () {
  this.timeout(300_000);
  let tmp: string;
  let cacheDir: string;
  let project: string;
  let restoreEnv: () => void;
  let result: TrainResult;
  const epochs: EpochRecord[] = [];

  before(async () => {
    tmp = await makeTempDir("dds-torch-");
    cacheDir = path.join(tmp, "cache");
    restoreEnv = setEnv({ DEEPFAKE_STUDIO_CACHE: cacheDir, DEEPFAKE_STUDIO_BACKBONE: undefined });
    await writeOfflineBackbone({ cacheDir });
    project = path.join(tmp, "project");
    const builder = path.join(ROOT, "out", "src", "core", "reference-data", "build-face-dataset.js");
    await run(process.execPath, ["-e", `require(${JSON.stringify(builder)}).buildFaceDataset({ outDir: ${JSON.stringify(path.join(project, "data"))}, perClass: ${PER_CLASS}, seed: 1 }).catch((e) => { console.error(e); process.exit(1); })`]);
  });

  after(async () => {
    restoreEnv();
    await removeDir(tmp);
  });

  it(`maps the offline Keras MobileNetV2 onto torchvision's: the tfjs backbone's tap features within ${FEATURE_TOLERANCE} of the largest`, async () => {
    const spec = resolveBackbone({ backbone: "nsfwjs-mobilenet_v2" });
    const backbone = await loadBackbone({ spec });
    const count = 2;
    const images = new Float32Array(count * 224 * 224 * 3);
    let state = 7;
    for (let i = 0; i < images.length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      // Gradients plus noise, so every tap sees structure and the stride-2 padding matters.
      images[i] = ((i % 672) / 672) * 200 + (state / 4294967296) * 55;
    }
    const expected = await extractFeaturesTfjs(backbone, { data: images, count });
    backbone.dispose();
    const dir = path.join(tmp, "features");
    await fs.mkdir(dir);
    const modelJson = await writeOfflineBackbone({ cacheDir });
    await fs.writeFile(path.join(dir, "config.json"), JSON.stringify({ size: [224, 224], scaling: spec.scaling, backbone: { modelJson } }));
    await fs.writeFile(path.join(dir, "x.f32"), Buffer.from(images.buffer));
    await run(PYTHON, [findTemplateFile("torch/train_torch.py"), "features", "--config", path.join(dir, "config.json"), "--input", path.join(dir, "x.f32"), "--count", String(count), "--out", path.join(dir, "y.f32")]);
    const bytes = await fs.readFile(path.join(dir, "y.f32"));
    const actual = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    // 192 + 192 (block_6_expand_relu avg, max) + 576 + 576 (block_13) + 1280 (out_relu avg) per picture.
    assert.equal(actual.length, count * 2816);
    assert.equal(actual.length, expected.length);
    const scale = expected.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    assert.ok(worst / scale <= FEATURE_TOLERANCE, `largest difference ${worst} of ${scale}`);
  });

  it("fine-tunes with PyTorch for real: epochs streamed, a complete run folder, results recomputed by the studio", async () => {
    result = await train({ projectDir: project, config: configWith({}), onEpoch: (record) => epochs.push(record) });
    assert.deepEqual(epochs.map((record) => record.epoch), [0, 1], "one frozen + one unfrozen epoch");
    assert.ok(epochs.every((record) => record.trainLoss > 0 && record.validLoss > 0 && record.seconds > 0));
    assert.deepEqual(await entries(path.join(project, "runs")), [result.runId], "nothing temporary is left");
    assert.deepEqual((await fs.readdir(result.runDir)).sort(),
      ["labels.json", "metrics.json", "model.onnx", "predictions.json", "preprocess.json", "run.json", "train-config.json", "train.log", "train.py"]);
    const record = await readJson<TorchRunRecord>(path.join(result.runDir, "run.json"));
    assert.equal(record.engine, "torch");
    assert.equal(record.python.python, PYTHON);
    assert.equal(record.backbone.id, "nsfwjs-mobilenet_v2");
    assert.equal(record.settings.epochs, 1);
    const metrics = await readJson<RunMetrics>(path.join(result.runDir, "metrics.json"));
    assert.deepEqual(metrics.epochs, epochs);
    // The shortcut audit runs for fine-tuned runs too, on the same pictures.
    assert.deepEqual(metrics.audit?.checks.map((check) => check.cue).sort(), ["border", "identity", "jpeg-bytes-per-pixel", "picture-size"]);
    assert.deepEqual(metrics.audit?.sampled, { Real: PER_CLASS, Deepfake: PER_CLASS });
    const predictions = await readJson<RunPrediction[]>(path.join(result.runDir, "predictions.json"));
    assert.equal(predictions.length, 2 * PER_CLASS);
    const valid = predictions.filter((prediction) => prediction.split === "valid");
    assert.equal(valid.length, 4, "int(0.3 × 16) validation pictures, as the studio engine splits them");
    assert.equal(metrics.errorRate, valid.filter((prediction) => prediction.predicted !== prediction.label).length / valid.length);
    assert.equal(metrics.confusion.matrix.flat().reduce((a, b) => a + b, 0), valid.length);
    for (const prediction of predictions) {
      const p = prediction.probabilities;
      assert.ok(Math.abs(p.Real + p.Deepfake - 1) < 1e-4);
      assert.ok(Math.abs(prediction.loss + Math.log(p[prediction.label])) < 1e-4);
    }
    // The config the script ran with lists the studio's split, so a person can re-run it.
    const scriptConfig = await readJson<{ train: unknown[]; valid: Array<{ file: string }> }>(path.join(result.runDir, "train-config.json"));
    assert.deepEqual(scriptConfig.valid.map((entry) => path.relative(path.join(project, "data"), entry.file)).sort(), valid.map((prediction) => prediction.file).sort());
  });

  it("export publishes the fine-tuned model; predict gives the run's own numbers; the card names the engine", async () => {
    const exported = await exportModel({ projectDir: project, config: configWith({}) });
    assert.equal(exported.runId, result.runId);
    assert.ok(exported.verification.maxProbabilityDifference <= 1e-6);
    const card = await fs.readFile(path.join(exported.outDir, "README.md"), "utf8");
    assert.match(card, /--engine torch/);
    assert.match(card, /fine_tune\(1\)/);
    await assertPredictGivesRunNumbers(exported.outDir, result.runDir, project);
  });

  it("where it looked: a fine-tuned network says plainly it has no maps (run report, predict --cam, the cleaner)", async () => {
    const metrics = await readJson<RunMetrics>(path.join(result.runDir, "metrics.json"));
    assert.equal(metrics.whereItLooked, undefined);
    const exportDir = path.join(project, DEFAULT_EXPORT_FOLDER);
    const camDir = path.join(tmp, "torch-overlays");
    const predictions = await readJson<RunPrediction[]>(path.join(result.runDir, "predictions.json"));
    const files = predictions.slice(0, 2).map((prediction) => path.join(project, "data", prediction.file));
    const predicted = (await predict({ modelDir: exportDir, inputs: files, camDir })) as Prediction[];
    for (const prediction of predicted) assert.deepEqual(prediction.cam, { unavailable: CAM_UNAVAILABLE }, JSON.stringify(prediction));
    assert.deepEqual(await fs.readdir(camDir), []);
    const maps = await computeRunMaps({ projectDir: project, config: configWith({}), runId: result.runId, pictures: predictions.slice(0, 2).map((prediction) => ({ file: prediction.file, predicted: prediction.predicted })) });
    assert.equal(maps.available, false);
    assert.match(describeRunMaps(maps), /not available for this model/);
  });

  it("Cancel mid-epoch ends the Python process and leaves no run folder", async () => {
    const controller = new AbortController();
    const before = await entries(path.join(project, "runs"));
    const cancelled = train({
      projectDir: project, config: configWith({}), signal: controller.signal,
      // Stop once the script has started its first epoch.
      onProgress: (event) => {
        if (event.event === "log" && event.message.includes("Frozen epoch")) setTimeout(() => controller.abort(), 1500);
      },
    });
    await assert.rejects(cancelled, CancelledError);
    assert.deepEqual(await entries(path.join(project, "runs")), before);
    assert.deepEqual(await processesIn(path.join(project, "runs")), []);
  });

  it("a failing script surfaces as a clear message with its last lines, and no run folder", async () => {
    // A backbone whose weights do not map: one layer renamed in the manifest.
    const broken = path.join(tmp, "broken-backbone");
    await fs.mkdir(broken);
    const source = path.dirname(await writeOfflineBackbone({ cacheDir }));
    const modelJson = await fs.readFile(path.join(source, "model.json"), "utf8");
    await fs.writeFile(path.join(broken, "model.json"), modelJson.replace("block_3_expand/kernel", "block_3_renamed/kernel"));
    await fs.copyFile(path.join(source, "weights.bin"), path.join(broken, "weights.bin"));
    const before = await entries(path.join(project, "runs"));
    const error = await rejectsWith(train({ projectDir: project, config: configWith({ backbone: path.join(broken, "model.json") }) }), "torch-script-failed");
    assert.match(error.message, /training script failed \(exit code 1\); its last lines:/);
    assert.match(error.message, /The backbone has no weight "block_3_expand\/kernel": it is not a Keras MobileNetV2/);
    assert.deepEqual(await entries(path.join(project, "runs")), before);
  });

  it("a picture the studio reads but Pillow cannot (AVIF) is named in the script's message", async () => {
    const other = path.join(tmp, "avif-project");
    await fs.cp(path.join(project, "data"), path.join(other, "data"), { recursive: true });
    await sharp(path.join(project, "data", "Real", "real-0001.jpg")).avif().toFile(path.join(other, "data", "Real", "extra.avif"));
    const error = await rejectsWith(train({ projectDir: other, config: configWith({}) }), "torch-script-failed");
    assert.match(error.message, /Pillow cannot read .*extra\.avif .*convert it to JPEG or PNG/);
    assert.deepEqual(await entries(path.join(other, "runs")), []);
  });

  it("an interpreter without PyTorch gets the exact install line; train.python unset falls back past it", async () => {
    const venv = path.join(tmp, "venv");
    await run(PYTHON, ["-m", "venv", "--without-pip", venv]);
    const bare = path.join(venv, "bin", "python");
    const error = await rejectsWith(train({ projectDir: project, config: configWith({ python: bare }) }), "torch-unavailable");
    assert.match(error.message, new RegExp(`${bare.replace(/[/.]/g, "\\$&")}: it has no '?(numpy|torch)`));
    assert.match(error.hint ?? "", /pip install torch torchvision/);
    assert.match(error.hint ?? "", /apt install python3-torch python3-torchvision/);
    const missing = await rejectsWith(train({ projectDir: project, config: configWith({ python: path.join(tmp, "no-such-python") }) }), "torch-unavailable");
    assert.match(missing.message, /no-such-python: not found/);
    // python3 on PATH without torch (a pyenv shim, a venv): the search goes on to /usr/bin/python3.
    const bin = path.join(tmp, "bin");
    await fs.mkdir(bin);
    // A wrapper, not a symlink: a symlink outside the venv would find no pyvenv.cfg and act as the system Python.
    for (const name of ["python3", "python"]) await fs.writeFile(path.join(bin, name), `#!/bin/sh\nexec ${bare} "$@"\n`, { mode: 0o755 });
    const found = await findTorchPython({ env: { ...process.env, PATH: bin } });
    assert.equal(found.python, PYTHON);
    assert.match(found.torch, /^\d+\.\d+/);
  });

  it("refuses an unknown engine, naming the engines there are", async () => {
    const unknown = await rejectsWith(train({ projectDir: project, config: configWith({}), engine: "tensorflow" }), "train-settings-invalid");
    assert.ok(unknown instanceof StudioError);
    assert.match(unknown.hint ?? "", /studio, torch, hf-jobs/);
  });
});

describe("train --engine torch --torch-backbone resnet18 (torchvision's ImageNet weights)", function () {
  this.timeout(300_000);
  let tmp: string;
  let project: string;
  let torchHome: string;
  let seededSha256: string;
  let result: TrainResult;
  /** No network in tests: any download goes to a closed local port and fails at once (so a run that passes used the cache). */
  const offline = { https_proxy: "http://127.0.0.1:9", HTTPS_PROXY: "http://127.0.0.1:9", no_proxy: "", NO_PROXY: "" };

  before(async () => {
    tmp = await makeTempDir("dds-torch-resnet-");
    project = path.join(tmp, "project");
    const builder = path.join(ROOT, "out", "src", "core", "reference-data", "build-face-dataset.js");
    await run(process.execPath, ["-e", `require(${JSON.stringify(builder)}).buildFaceDataset({ outDir: ${JSON.stringify(path.join(project, "data"))}, perClass: ${PER_CLASS}, seed: 1 }).catch((e) => { console.error(e); process.exit(1); })`]);
    // torch.hub's cache as a finished download leaves it: a resnet18 state dict under torchvision's file name. The
    // script goes through torchvision's own load_state_dict_from_url, which finds it there (hashes are only checked
    // when it downloads, torch 1.13's hub.py), so everything but the network transfer runs for real.
    torchHome = path.join(tmp, "torch-home");
    const checkpoint = path.join(torchHome, "hub", "checkpoints", "resnet18-f37072fd.pth");
    await fs.mkdir(path.dirname(checkpoint), { recursive: true });
    await run(PYTHON, ["-c", `import torch, torchvision; torch.manual_seed(3); torch.save(torchvision.models.resnet18().state_dict(), ${JSON.stringify(checkpoint)})`]);
    seededSha256 = createHash("sha256").update(await fs.readFile(checkpoint)).digest("hex");
  });

  after(async () => {
    await removeDir(tmp);
  });

  it("fine-tunes ResNet-18 from the cached ImageNet weights; the in-graph ImageNet normalisation gives the script's own validation loss", async () => {
    const epochs: EpochRecord[] = [];
    result = await train({ projectDir: project, config: configWith({ torchBackbone: "resnet18", backbone: undefined }), env: { ...process.env, TORCH_HOME: torchHome, ...offline }, onEpoch: (record) => epochs.push(record) });
    assert.deepEqual(epochs.map((record) => record.epoch), [0, 1], "one frozen + one unfrozen epoch");
    const record = await readJson<TorchRunRecord>(path.join(result.runDir, "run.json"));
    assert.equal(record.settings.architecture, "resnet18");
    assert.equal(record.backbone.id, "torchvision-resnet18");
    assert.equal(record.backbone.kind, "torchvision");
    assert.equal(record.backbone.location, "https://download.pytorch.org/models/resnet18-f37072fd.pth");
    assert.equal(record.backbone.modelJsonSha256, seededSha256, "the run names the weights file the script loaded");
    assert.deepEqual(record.preprocess.scaling, { scale: 1 / 255, offset: 0 });
    assert.deepEqual(record.preprocess.normalize, { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    const scriptConfig = await readJson<{ architecture: string; backbone?: unknown }>(path.join(result.runDir, "train-config.json"));
    assert.equal(scriptConfig.architecture, "resnet18");
    assert.equal(scriptConfig.backbone, undefined, "no studio backbone is involved");
    // The studio's ONNX Runtime run of model.onnx (its own decoding, the graph's own scaling) against the script's
    // PyTorch numbers: a wrong mean/std in the graph would move the validation loss far more than resampling does.
    const predictions = await readJson<RunPrediction[]>(path.join(result.runDir, "predictions.json"));
    const valid = predictions.filter((prediction) => prediction.split === "valid");
    const studioLoss = valid.reduce((sum, prediction) => sum + prediction.loss, 0) / valid.length;
    const scriptLoss = epochs[epochs.length - 1].validLoss;
    assert.ok(Math.abs(studioLoss - scriptLoss) <= 0.05 * scriptLoss + 0.01, `studio ${studioLoss} vs script ${scriptLoss}`);
  });

  it("export passes the studio's checks, predict uses it, and the card names ResNet-18 and the engine", async () => {
    const exported = await exportModel({ projectDir: project, config: configWith({ torchBackbone: "resnet18" }) });
    assert.equal(exported.runId, result.runId);
    assert.equal(exported.backbone.id, "torchvision-resnet18");
    assert.ok(exported.verification.maxProbabilityDifference <= 1e-6);
    const card = await fs.readFile(path.join(exported.outDir, "README.md"), "utf8");
    assert.match(card, /--engine torch/);
    assert.match(card, /fine-tuned ResNet-18/);
    assert.match(card, /torchvision's ResNet-18 with ImageNet weights/);
    assert.match(card, /downloaded by the training script from https:\/\/download\.pytorch\.org\/models\/resnet18-f37072fd\.pth/);
    assert.match(card, new RegExp(`weights file sha256: \`${seededSha256}\``));
    assert.match(card, /\(x - mean\) \/ std with mean 0\.485, 0\.456, 0\.406/);
    await assertPredictGivesRunNumbers(exported.outDir, result.runDir, project);
  });

  it("offline without the weights: a message in words that it needs the network once, or the default mobilenet_v2; no run folder", async () => {
    const before = await entries(path.join(project, "runs"));
    const emptyHome = path.join(tmp, "empty-torch-home");
    const error = await rejectsWith(train({ projectDir: project, config: configWith({ torchBackbone: "resnet34" }), env: { ...process.env, TORCH_HOME: emptyHome, ...offline } }), "torch-script-failed");
    assert.match(error.message, /Cannot download the ImageNet weights of resnet34: download\.pytorch\.org could not be reached/);
    assert.match(error.message, /They are needed once: train with the network/);
    assert.match(error.message, /fine-tune the default mobilenet_v2, which starts from the studio's own weights and works offline/);
    assert.doesNotMatch(error.message, /Errno|Traceback/);
    assert.deepEqual(await entries(path.join(project, "runs")), before);
    assert.deepEqual(await entries(path.join(emptyHome, "hub", "checkpoints")), [], "no half-downloaded file is left in the cache");
  });

  it("an unknown network is refused in words, from --torch-backbone and from the project file", async () => {
    const unknown = await rejectsWith(train({ projectDir: project, config: configWith({}), torchBackbone: "vgg16" }), "train-settings-invalid");
    assert.match(unknown.message, /The torch engines know no network "vgg16"/);
    assert.match(JSON.stringify(unknown.hint), /mobilenet_v2, resnet18, resnet34 or efficientnet_b0/);
    assert.throws(() => configWith({ torchBackbone: "resnet50" }), (error: unknown) => error instanceof ConfigError
      && /field "train\.torchBackbone" names no network the torch engines know; choose mobilenet_v2, resnet18, resnet34 or efficientnet_b0/.test(error.message));
  });
});
