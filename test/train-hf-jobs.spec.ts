/**
 * train --engine hf-jobs against a fake Hugging Face Hub (test/fixtures/fake-hub.ts) that implements the Jobs API
 * as the hub does (create, status, logs as server-sent events, cancel) and runs each Job's command in a local
 * subprocess whose "image" is Debian's python3 with torch: the real hf_job.py downloads the pictures from the
 * private dataset, runs the real train.py and uploads model.onnx to the private model repository, and the studio
 * side is the real one. Also: re-runs upload only what changed, Cancel cancels the Job, and each failure's message.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { writeOfflineBackbone } from "../src/core/backbone/write-offline-backbone";
import { exportModel } from "../src/core/export/export-model";
import { initProject, loadProjectConfig, parseProjectConfig, type ProjectConfig } from "../src/core/project/project-config";
import { CancelledError } from "../src/core/shared/errors";
import { chooseTorchBackbone, type TorchRunRecord } from "../src/core/train/engines/fine-tune-with-script";
import { listAvailableEngines, listTorchBackbones, readProjectEngine, saveProjectEngine, saveProjectTorchBackbone } from "../src/core/train/engines/project-engine";
import type { EpochRecord, RunMetrics, RunPrediction } from "../src/core/train/run-files";
import { train, type TrainParams, type TrainResult } from "../src/core/train/train";
import { startFakeHub, type FakeHub } from "./fixtures/fake-hub";
import { rejectsWith } from "./support/assertions";
import { runCli } from "./support/run-cli";
import { listTree, makeTempDir, removeDir, setEnv } from "./support/temp-dir";

const run = promisify(execFile);
const TOKEN = `hf_${randomBytes(17).toString("hex")}`;
const POOR_TOKEN = `hf_${randomBytes(17).toString("hex")}`;
const USER = "alice";
const LABELS = ["Real", "Deepfake"];
const PER_CLASS = 8;
const ROOT = path.resolve(__dirname, "..", "..");

function configWith(hfJobs: Record<string, unknown> = {}, train: Record<string, unknown> = {}): ProjectConfig {
  return parseProjectConfig({ categories: LABELS.map((label) => ({ label })), train: { engine: "hf-jobs", fineTuneEpochs: 1, backbone: "nsfwjs-mobilenet_v2", validPct: 0.3, hfJobs, ...train } });
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await fs.readFile(file, "utf8")) as T;
}

async function entries(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch(() => []);
}

describe("train --engine hf-jobs", function () {
  this.timeout(300_000);
  let tmp: string;
  let project: string;
  let hub: FakeHub;
  let restoreEnv: () => void;
  let result: TrainResult;
  let imageTorchHome: string;
  /** Everything any run reported, to look for the token at the end. */
  const transcript: string[] = [];

  before(async () => {
    tmp = await makeTempDir("dds-hfjobs-");
    restoreEnv = setEnv({ DEEPFAKE_STUDIO_CACHE: path.join(tmp, "cache"), DEEPFAKE_STUDIO_BACKBONE: undefined });
    await writeOfflineBackbone({ cacheDir: path.join(tmp, "cache") });
    project = path.join(tmp, "Tom Cruise project");
    const builder = path.join(ROOT, "out", "src", "core", "reference-data", "build-face-dataset.js");
    await run(process.execPath, ["-e", `require(${JSON.stringify(builder)}).buildFaceDataset({ outDir: ${JSON.stringify(path.join(project, "data"))}, perClass: ${PER_CLASS}, seed: 1 }).catch((e) => { console.error(e); process.exit(1); })`]);
    // The Job's "image": a python3 that has torch (Debian's), first on the Job's PATH. Its torch.hub cache holds a
    // resnet18 state dict under torchvision's file name, as if the Job had downloaded it (no network in tests).
    const image = path.join(tmp, "image-bin");
    await fs.mkdir(image);
    imageTorchHome = path.join(tmp, "image-torch-home");
    const checkpoint = path.join(imageTorchHome, "hub", "checkpoints", "resnet18-f37072fd.pth");
    await fs.mkdir(path.dirname(checkpoint), { recursive: true });
    await run("/usr/bin/python3", ["-c", `import torch, torchvision; torch.manual_seed(5); torch.save(torchvision.models.resnet18().state_dict(), ${JSON.stringify(checkpoint)})`]);
    await fs.writeFile(path.join(image, "python3"), `#!/bin/sh\nexport TORCH_HOME=${JSON.stringify(imageTorchHome)}\nexec /usr/bin/python3 "$@"\n`, { mode: 0o755 });
    hub = await startFakeHub({ accounts: { [TOKEN]: { user: USER, orgs: [], role: "write" }, [POOR_TOKEN]: { user: "bob", orgs: [], role: "write" } }, jobImageBin: image });
    hub.jobNamespaces.add(USER);
  });

  after(async () => {
    restoreEnv();
    await hub?.close();
    await removeDir(tmp);
  });

  function trainAsJob(overrides: Partial<TrainParams> = {}, token = TOKEN): Promise<TrainResult> {
    return train({
      projectDir: project, config: configWith(), env: { ...process.env, HF_TOKEN: token }, hfJobs: { hubUrl: hub.url, pollMs: 200, retryDelayMs: 5 },
      onProgress: (event) => transcript.push(JSON.stringify(event)),
      ...overrides,
    }).then((value) => value, (error: unknown) => {
      transcript.push(String(error), (error as { hint?: string }).hint ?? "");
      throw error;
    });
  }

  it("trains as a Job: pictures up to a private dataset, the real script run by the Job, the model back and re-checked", async () => {
    const epochs: EpochRecord[] = [];
    // Log streams cut every 2 s, as a proxy may: the studio reconnects, and the hub's replay adds no line twice.
    hub.logStreamMaxMs = 2000;
    try {
      result = await trainAsJob({ onEpoch: (record) => epochs.push(record) });
    } finally {
      hub.logStreamMaxMs = 0;
    }
    assert.deepEqual(epochs.map((record) => record.epoch), [0, 1], "the epochs came through the Job's log, once each");
    assert.ok(hub.requests.filter((request) => request.path.endsWith("/logs")).length > 1, "the log stream was reconnected");
    const log = (await fs.readFile(path.join(result.runDir, "train.log"), "utf8")).split("\n");
    assert.equal(log.filter((line) => line.startsWith("Frozen epoch")).length, 1);
    assert.deepEqual(await entries(path.join(project, "runs")), [result.runId]);
    assert.deepEqual((await fs.readdir(result.runDir)).sort(),
      ["hf_job.py", "labels.json", "metrics.json", "model.onnx", "predictions.json", "preprocess.json", "run.json", "train-config.json", "train.log", "train.py"]);
    const record = await readJson<TorchRunRecord>(path.join(result.runDir, "run.json"));
    assert.equal(record.engine, "hf-jobs");
    assert.match(record.python.torch, /^\d+\.\d+/, "the Job reported its PyTorch");
    assert.equal(record.job?.flavor, "t4-small");
    const dataset = `${USER}/tom-cruise-project-deepfake-studio-data`;
    const models = `${USER}/tom-cruise-project-deepfake-studio-runs`;
    assert.equal(record.job?.dataset, dataset);

    // The private dataset holds the pictures, the backbone and the run's script; the model repository the model.
    const data = hub.repos.get(dataset)!;
    assert.equal(data.private, true);
    assert.equal(data.type, "dataset");
    const pictures = [...data.files.keys()].filter((file) => file.startsWith("data/"));
    assert.equal(pictures.length, 2 * PER_CLASS);
    assert.ok(data.files.get("data/Real/real-0001.jpg")?.lfs, "pictures go through LFS");
    assert.ok(data.files.has(`runs/${result.runId}/train.py`) && data.files.has(`runs/${result.runId}/train-config.json`));
    const modelRepo = hub.repos.get(models)!;
    assert.equal(modelRepo.private, true);
    const onnx = modelRepo.files.get(`runs/${result.runId}/model.onnx`);
    assert.ok(onnx?.lfs, "the Job uploaded model.onnx through LFS");
    assert.deepEqual(hub.lfsObjects.get(onnx.lfs.oid), await fs.readFile(path.join(result.runDir, "model.onnx")), "the studio kept the Job's model");

    // The Job: the pinned image, the flavor, the token only as a secret.
    const [job] = [...hub.jobs.values()];
    assert.equal(job.stage, "COMPLETED");
    assert.equal(job.spec.dockerImage, "pytorch/pytorch:2.6.0-cuda12.4-cudnn9-runtime");
    assert.equal(job.spec.flavor, "t4-small");
    assert.equal(job.spec.timeoutSeconds, 3600);
    assert.deepEqual(job.spec.secrets, { HF_TOKEN: TOKEN });
    assert.ok(!JSON.stringify([job.spec.command, job.spec.environment, job.spec.arguments]).includes(TOKEN));
    assert.equal(job.spec.environment?.DDS_REVISION, data.commits.at(-1)?.oid, "the Job reads the exact commit the studio made");

    // The studio's own numbers, from ONNX Runtime on its decoding.
    const metrics = await readJson<RunMetrics>(path.join(result.runDir, "metrics.json"));
    assert.deepEqual(metrics.epochs, epochs);
    // The shortcut audit runs for fine-tuned runs too, on the same pictures.
    assert.deepEqual(metrics.audit?.checks.map((check) => check.cue).sort(), ["border", "identity", "jpeg-bytes-per-pixel", "picture-size"]);
    assert.deepEqual(metrics.audit?.sampled, { Real: PER_CLASS, Deepfake: PER_CLASS });
    const predictions = await readJson<RunPrediction[]>(path.join(result.runDir, "predictions.json"));
    const valid = predictions.filter((prediction) => prediction.split === "valid");
    assert.equal(valid.length, 4);
    assert.equal(metrics.errorRate, valid.filter((prediction) => prediction.predicted !== prediction.label).length / valid.length);
    assert.deepEqual(hub.unknownRequests, [], "only routes the real hub has");
  });

  it("export publishes the Job's model; the card names the engine", async () => {
    const exported = await exportModel({ projectDir: project, config: configWith() });
    assert.equal(exported.runId, result.runId);
    const card = await fs.readFile(path.join(exported.outDir, "README.md"), "utf8");
    assert.match(card, /--engine hf-jobs/);
    assert.match(card, /t4-small/);
  });

  it("a second run uploads only its own script; Cancel cancels the Job on the hub and keeps no run folder", async () => {
    const dataset = hub.repos.get(`${USER}/tom-cruise-project-deepfake-studio-data`)!;
    const commits = dataset.commits.length;
    const before = await entries(path.join(project, "runs"));
    const controller = new AbortController();
    const cancelled = trainAsJob({
      signal: controller.signal,
      onProgress: (event) => {
        transcript.push(JSON.stringify(event));
        if (event.event === "log" && event.message.includes("Frozen epoch")) setTimeout(() => controller.abort(), 1000);
      },
    });
    await assert.rejects(cancelled, CancelledError);
    assert.equal(dataset.commits.length, commits + 1);
    assert.deepEqual(dataset.commits.at(-1)!.paths.map((file) => file.replace(/runs\/[^/]+\//, "runs/<id>/")).sort(), ["runs/<id>/train-config.json", "runs/<id>/train.py"]);
    const job = [...hub.jobs.values()].at(-1)!;
    assert.equal(job.stage, "CANCELED");
    await job.exited;
    assert.deepEqual(await entries(path.join(project, "runs")), before);
  });

  it("a torchvision network: no backbone is uploaded, the Job loads the ImageNet weights itself and the run names them", async () => {
    const dataset = hub.repos.get(`${USER}/tom-cruise-project-deepfake-studio-data`)!;
    const commits = dataset.commits.length;
    const trained = await trainAsJob({ torchBackbone: "resnet18" });
    assert.deepEqual(dataset.commits.slice(commits).flatMap((commit) => commit.paths).map((file) => file.replace(/runs\/[^/]+\//, "runs/<id>/")).sort(), ["runs/<id>/train-config.json", "runs/<id>/train.py"]);
    const config = JSON.parse(dataset.files.get(`runs/${trained.runId}/train-config.json`)!.content.toString("utf8")) as { architecture: string; backbone?: unknown };
    assert.equal(config.architecture, "resnet18");
    assert.equal(config.backbone, undefined);
    const record = await readJson<TorchRunRecord>(path.join(trained.runDir, "run.json"));
    assert.equal(record.backbone.id, "torchvision-resnet18");
    const weights = await fs.readFile(path.join(imageTorchHome, "hub", "checkpoints", "resnet18-f37072fd.pth"));
    assert.equal(record.backbone.modelJsonSha256, createHash("sha256").update(weights).digest("hex"));
    assert.equal(record.settings.architecture, "resnet18");
  });

  it("402/403: no Jobs on this plan says which plans have them and suggests --engine torch", async () => {
    const poor = await rejectsWith(trainAsJob({}, POOR_TOKEN), "hf-jobs-not-allowed");
    assert.match(poor.message, /"bob" \(402: Jobs are only available/);
    assert.match(poor.message, /PRO users and to Team or Enterprise organisations/);
    assert.match(poor.hint ?? "", /--engine torch/);
    hub.failures.push({ method: "POST", path: /^\/api\/jobs\//, status: 403, body: { error: "This token does not have the permission" } });
    const forbidden = await rejectsWith(trainAsJob(), "hf-jobs-not-allowed");
    assert.match(forbidden.message, /403: This token does not have the permission/);
  });

  it("401 and quota (429) each give their message", async () => {
    hub.failures.push({ method: "POST", path: /^\/api\/jobs\//, status: 401, body: { error: "Invalid credentials" } });
    const rejected = await rejectsWith(trainAsJob(), "hub-token-invalid");
    assert.match(rejected.message, /starting a Job \(401/);
    hub.failures.push({ method: "POST", path: /^\/api\/jobs\//, status: 429, times: 5, body: { error: "You have reached your quota" } });
    const quota = await rejectsWith(trainAsJob(), "hf-jobs-quota");
    assert.match(quota.message, /quota/);
  });

  it("the command line passes --engine hf-jobs and --flavor through, and prints the hub's refusal in words", async () => {
    await fs.writeFile(path.join(project, "deepfake-studio.json"), JSON.stringify(configWith({}, { engine: "studio" })));
    const restore = setEnv({ HF_TOKEN: TOKEN, HF_ENDPOINT: hub.url });
    try {
      const result = await runCli(["train", "--project", project, "--engine", "hf-jobs", "--flavor", "warp-drive"]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /refused the Job on "warp-drive" \(400: Invalid flavor "warp-drive"\)/);
      assert.match(result.stderr, /train\.hfJobs\.flavor/);
      assert.ok(!`${result.stdout}${result.stderr}`.includes(TOKEN));
    } finally {
      restore();
      await fs.rm(path.join(project, "deepfake-studio.json"));
    }
  });

  it("a failed Job surfaces with its last log lines; a Job past its time limit says so", async () => {
    const broken = path.join(tmp, "broken-backbone");
    await fs.mkdir(broken);
    const source = path.dirname(await writeOfflineBackbone({ cacheDir: path.join(tmp, "cache") }));
    await fs.writeFile(path.join(broken, "model.json"), (await fs.readFile(path.join(source, "model.json"), "utf8")).replace("block_3_expand/kernel", "block_3_renamed/kernel"));
    await fs.copyFile(path.join(source, "weights.bin"), path.join(broken, "weights.bin"));
    const before = await entries(path.join(project, "runs"));
    const failed = await rejectsWith(trainAsJob({ config: configWith({}, { backbone: path.join(broken, "model.json") }) }), "hf-jobs-failed");
    assert.match(failed.message, /Hugging Face Job failed \(Job failed with exit code: 1\); its last lines:/);
    assert.match(failed.message, /The backbone has no weight "block_3_expand\/kernel"/);
    const late = await rejectsWith(trainAsJob({ config: configWith({ timeoutMinutes: 0.05 }) }), "hf-jobs-timeout");
    assert.match(late.message, /time limit of 0.05 minute/);
    assert.deepEqual(await entries(path.join(project, "runs")), before);
  });

  it("without a token it says where to get one, before reading any picture", async () => {
    const home = path.join(tmp, "empty-home");
    await fs.mkdir(home, { recursive: true });
    const { HF_TOKEN: _t, HUGGING_FACE_HUB_TOKEN: _h, ...env } = process.env;
    const missing = await rejectsWith(train({ projectDir: project, config: configWith(), env: { ...env, HF_HOME: home }, hfJobs: { hubUrl: hub.url } }), "hub-token-missing");
    assert.match(missing.hint ?? "", /HF_TOKEN/);
  });

  it("offers the engines that can train here, and writes the one chosen into the project file alone", async () => {
    const dir = path.join(tmp, "choice");
    await initProject({ projectDir: dir, config: configWith() });
    const raw = JSON.parse(await fs.readFile(path.join(dir, "deepfake-studio.json"), "utf8")) as { train: Record<string, unknown> };
    delete raw.train.engine;
    await fs.writeFile(path.join(dir, "deepfake-studio.json"), JSON.stringify(raw));
    assert.equal(await readProjectEngine(dir), undefined);
    const all = await listAvailableEngines({ projectDir: dir, config: configWith({}, { python: "/usr/bin/python3" }), hasToken: true });
    assert.deepEqual(all.map((entry) => entry.engine), ["studio", "torch", "hf-jobs"]);
    assert.match(all[2].detail, /Pro or Team plan/);
    const offline = await listAvailableEngines({ projectDir: dir, config: configWith({}, { python: path.join(tmp, "no-python") }), hasToken: false });
    assert.deepEqual(offline.map((entry) => entry.engine), ["studio"]);
    await saveProjectEngine({ projectDir: dir, engine: "hf-jobs" });
    assert.equal(await readProjectEngine(dir), "hf-jobs");
    const saved = JSON.parse(await fs.readFile(path.join(dir, "deepfake-studio.json"), "utf8")) as { train: Record<string, unknown> };
    assert.deepEqual(saved, { ...raw, train: { ...raw.train, engine: "hf-jobs" } });
    assert.equal((await loadProjectConfig(dir)).train.engine, "hf-jobs");
  });

  it("offers the networks a fine-tune can start from, the offline default first, and writes the one chosen into the project file alone", async () => {
    const dir = path.join(tmp, "network-choice");
    await initProject({ projectDir: dir, config: configWith() });
    const before = JSON.parse(await fs.readFile(path.join(dir, "deepfake-studio.json"), "utf8")) as { train: Record<string, unknown> };
    assert.equal(before.train.torchBackbone, undefined);
    const choices = listTorchBackbones();
    assert.deepEqual(choices.map((choice) => choice.name), ["mobilenet_v2", "resnet18", "resnet34", "efficientnet_b0"]);
    assert.deepEqual(choices.filter((choice) => choice.isDefault).map((choice) => choice.name), ["mobilenet_v2"]);
    assert.match(choices[0].detail, /offline/);
    // Every name offered is one train accepts (chooseTorchBackbone: the torch engines' own check).
    for (const choice of choices) assert.equal(chooseTorchBackbone({ torchBackbone: choice.name, config: configWith() }), choice.name);
    await saveProjectTorchBackbone({ projectDir: dir, torchBackbone: "resnet34" });
    const saved = JSON.parse(await fs.readFile(path.join(dir, "deepfake-studio.json"), "utf8")) as { train: Record<string, unknown> };
    assert.deepEqual(saved, { ...before, train: { ...before.train, torchBackbone: "resnet34" } });
    const config = await loadProjectConfig(dir);
    assert.equal(config.train.torchBackbone, "resnet34");
    assert.equal(chooseTorchBackbone({ config }), "resnet34");
    await assert.rejects(saveProjectTorchBackbone({ projectDir: dir, torchBackbone: "vgg16" as never }), /Unknown network vgg16/);
    assert.deepEqual(JSON.parse(await fs.readFile(path.join(dir, "deepfake-studio.json"), "utf8")), saved);
  });

  it("never lets the token out: not in a run folder, the dataset, the model repository or any message", async () => {
    for (const runId of await entries(path.join(project, "runs"))) {
      for (const file of await listTree(path.join(project, "runs", runId))) {
        assert.ok(!(await fs.readFile(path.join(project, "runs", runId, file))).includes(TOKEN), `${runId}/${file}`);
      }
    }
    for (const repo of hub.repos.values()) for (const [file, stored] of repo.files) assert.ok(!stored.content.includes(TOKEN), `${repo.name}/${file}`);
    for (const object of hub.lfsObjects.values()) assert.ok(!object.includes(TOKEN));
    assert.ok(transcript.length > 20);
    assert.ok(!transcript.join("\n").includes(TOKEN));
  });
});
