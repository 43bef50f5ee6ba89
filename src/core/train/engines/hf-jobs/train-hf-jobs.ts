/**
 * Engine "hf-jobs": the same fine-tune as engine "torch", as a Hugging Face Job on the hub's GPUs (Pro or Team plan).
 *
 * The pictures, the backbone, train.py and its config go to a private dataset repository (only what the repository
 * does not hold yet); the Job (a pinned PyTorch image running hf_job.py, the token passed as a secret) downloads them
 * at that exact commit, runs train.py and uploads model.onnx to a private model repository; the studio follows the
 * Job's log (the epochs reach the Training panel), downloads the model, and checks it like any other
 * (fine-tune-with-script.ts). The token is sent only in Authorization headers and as the Job's secret: never
 * printed, never written into the run folder, the script, or the repositories.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { createRepo, downloadFile, HubApiError, runJob, whoAmI, type CommitOperation } from "@huggingface/hub";
import { createHubFetch, type HubFetch } from "../../../hub/create-hub-fetch";
import { describeHubError } from "../../../hub/describe-hub-error";
import { findHfToken } from "../../../hub/find-hf-token";
import { tokenHint } from "../../../hub/token-hint";
import { HubError } from "../../../hub/hub-error";
import { resolveHubUrl } from "../../../hub/resolve-hub-url";
import { commitToRepo, listRemoteFiles, sameContent, type HubCredentials } from "../../../hub/sync-repo-files";
import { resolveDataDir } from "../../../project/project-config";
import { describeFsError, throwIfAborted } from "../../../shared/errors";
import { findTemplateFile } from "../../../shared/find-template";
import type { TrainParams, TrainResult } from "../../train";
import { createScriptLog, fineTuneWithScript, quote, TORCH_CONFIG, TORCH_SCRIPT, writeFiles, writeScriptConfig, type ScriptConfig, type ScriptJob, type ScriptOutcome } from "../fine-tune-with-script";
import { followHfJob } from "./follow-hf-job";
import { describeJobStartError, HfJobError } from "./hf-jobs-errors";

/** The Job's entry point, run as `python3 -c <file>`; also written into the run folder. */
export const HF_JOB_SCRIPT = "hf_job.py";
const HF_JOB_TEMPLATE = "torch/hf_job.py";
/** Hugging Face's repository name rules. */
const NAME = /^(?!.*(?:--|\.\.))[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9])?$/;

/** Test and power-user knobs that are not project settings. */
export interface HfJobsOptions {
  /** A token kept elsewhere (VS Code's secret storage); default: the one huggingface_hub would use (HF_TOKEN, its token file). */
  accessToken?: { token: string; source: string };
  /** Default: $HF_ENDPOINT, else https://huggingface.co. */
  hubUrl?: string;
  /** Status poll interval (default 5 s). */
  pollMs?: number;
  /** First retry delay of hub calls (default 1 s). */
  retryDelayMs?: number;
}

/** Checks the token and the account first (before any picture is read), then fine-tunes as a Job. */
export async function trainWithHfJobs(params: TrainParams & { hfJobs?: HfJobsOptions }): Promise<TrainResult> {
  const env = params.env ?? process.env;
  const settings = params.config.train.hfJobs;
  const found = params.hfJobs?.accessToken ?? (await findHfToken({ env }));
  if (!found) {
    throw new HubError("Training as a Hugging Face Job (the hf-jobs engine) needs a Hugging Face token, and none was found.", "hub-token-missing", tokenHint());
  }
  const hubUrl = resolveHubUrl({ hubUrl: params.hfJobs?.hubUrl, env });
  const hub = createHubFetch({
    fetch: params.fetch as typeof fetch | undefined, env, signal: params.signal, retryDelayMs: params.hfJobs?.retryDelayMs,
    onRetry: ({ reason, attempt, delayMs }) => params.onProgress?.({ event: "log", message: `${reason}; retry ${attempt} in ${Math.round(delayMs / 1000)} s` }),
  });
  try {
    const credentials: HubCredentials = { accessToken: found.token, hubUrl, fetch: hub.fetch };
    params.onProgress?.({ event: "phase", phase: "hub", message: `Checking the Hugging Face token (from ${found.source}) with ${hubUrl}` });
    const user = await checkAccount(credentials);
    const namespace = settings.namespace ?? user;
    const slug = projectSlug(params.projectDir);
    const target = {
      namespace, hubUrl, credentials, hub, options: params.hfJobs ?? {},
      dataset: repoName(settings.dataset ?? `${slug}-deepfake-studio-data`, namespace, "train.hfJobs.dataset"),
      modelRepo: repoName(settings.modelRepo ?? `${slug}-deepfake-studio-runs`, namespace, "train.hfJobs.modelRepo"),
    };
    return await fineTuneWithScript(params, { engine: "hf-jobs", where: `as a Hugging Face Job (${settings.flavor}, ${namespace})`, run: (job) => runAsJob(job, target) });
  } finally {
    await hub.close();
  }
}

type JobTarget = { namespace: string; hubUrl: string; credentials: HubCredentials; hub: HubFetch; options: HfJobsOptions; dataset: string; modelRepo: string };

/** whoAmI: the user name; a read-only token is refused with what to do. */
async function checkAccount(credentials: HubCredentials): Promise<string> {
  let me;
  try {
    me = await whoAmI(credentials);
  } catch (error) {
    throw describeHubError(error, { action: "check-token" });
  }
  if (me.auth?.accessToken?.role === "read") {
    throw new HubError(`The token of ${me.name} is read-only: a Job needs to write the pictures and the model to private repositories.`, "hub-forbidden",
      "Create a token with the \"write\" role at https://huggingface.co/settings/tokens and set HF_TOKEN to it (or run \"Set Hugging Face Token\").");
  }
  return me.name;
}

/** The project folder's name as a repository name part. */
function projectSlug(projectDir: string): string {
  const slug = path.basename(path.resolve(projectDir)).toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/[-.]{2,}/g, "-").replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "").slice(0, 40);
  return slug || "project";
}

/** "name" (in `namespace`) or "owner/name", checked against the hub's rules. */
function repoName(value: string, namespace: string, setting: string): string {
  const full = value.includes("/") ? value : `${namespace}/${value}`;
  const [owner, name, extra] = full.split("/");
  if (extra !== undefined || !NAME.test(owner ?? "") || !NAME.test(name ?? "")) {
    throw new HubError(`"${value}" is not a repository name.`, "hub-rejected", `Set ${setting} to letters, digits, '-', '_' or '.', e.g. "my-detector-data".`);
  }
  return full;
}

/** Uploads, starts the Job, follows it, downloads model.onnx into the run folder. */
async function runAsJob(job: ScriptJob, target: JobTarget): Promise<ScriptOutcome> {
  const { params, folder, runId } = job;
  const settings = params.config.train.hfJobs;
  const { files, config } = repoLayout(job);
  await writeScriptConfig(folder, config);
  const bootstrap = await fs.readFile(findTemplateFile(HF_JOB_TEMPLATE), "utf8");
  await writeFiles(folder, [[HF_JOB_SCRIPT, Buffer.from(bootstrap)]]);
  files.push({ repoPath: `runs/${runId}/${TORCH_SCRIPT}`, file: path.join(folder, TORCH_SCRIPT) }, { repoPath: `runs/${runId}/${TORCH_CONFIG}`, file: path.join(folder, TORCH_CONFIG) });

  const revision = await uploadInputs(target, files, params);
  await ensureRepo(target, { type: "model", name: target.modelRepo });
  throwIfAborted(params.signal, "training");

  params.onProgress?.({ event: "phase", phase: "head", message: `Starting a Job on ${settings.flavor} (${settings.image})` });
  let started;
  try {
    started = await runJob({
      accessToken: target.credentials.accessToken, hubUrl: target.hubUrl, fetch: target.hub.fetch, namespace: target.namespace,
      dockerImage: settings.image, flavor: settings.flavor as never, command: ["python3", "-c", bootstrap],
      environment: { HF_ENDPOINT: target.hubUrl, DDS_DATASET: target.dataset, DDS_REVISION: revision, DDS_RUN: runId, DDS_MODEL_REPO: target.modelRepo, PYTHONUNBUFFERED: "1" },
      secrets: { HF_TOKEN: target.credentials.accessToken },
      timeoutSeconds: Math.round(settings.timeoutMinutes * 60),
      labels: { "deepfake-studio-run": runId },
    });
  } catch (error) {
    throw describeJobStartError(error, target.namespace, settings.flavor);
  }
  const jobUrl = `${target.hubUrl}/jobs/${target.namespace}/${started.id}`;
  params.onProgress?.({ event: "log", message: `Job ${started.id} started: ${jobUrl}` });

  const log = createScriptLog(params, folder, job.expectedEpochs);
  let environment: { torch: string; torchvision: string; device: string; gpu?: string } | undefined;
  let uploaded: { sha256: string; size: number } | undefined;
  const startedAt = Date.now();
  let ended;
  try {
    const cancelHub = createHubFetch({ env: params.env, fetch: params.fetch as typeof fetch | undefined, retries: 1 });
    try {
      ended = await followHfJob({
        namespace: target.namespace, jobId: started.id, accessToken: target.credentials.accessToken, hubUrl: target.hubUrl,
        fetch: target.hub.fetch, stream: target.hub.stream, cancelFetch: cancelHub.fetch, pollMs: target.options.pollMs, signal: params.signal,
        onLine: (line) => {
          if (line.startsWith("===== Job started")) return;
          const report = parseReport(line);
          if (report?.job) environment = report.job as typeof environment;
          else if (report?.uploaded) uploaded = report.uploaded as typeof uploaded;
          else log.onLine(line, "job");
        },
      });
    } finally {
      await cancelHub.close();
    }
  } finally {
    await log.save();
  }
  checkEnding(ended, log.lastLines(), settings.timeoutMinutes, (Date.now() - startedAt) / 1000, jobUrl);
  const epochs = log.checkEpochs();
  params.onProgress?.({ event: "phase", phase: "download", message: `Downloading the model from ${target.modelRepo}` });
  await downloadModel(target, runId, folder, uploaded);
  const device = environment ? `${environment.device}${environment.gpu ? ` (${environment.gpu})` : ""}` : "unknown";
  return {
    epochs,
    weights: log.weights(),
    python: { torch: environment?.torch ?? "unknown", torchvision: environment?.torchvision ?? "unknown", device },
    details: { id: started.id, url: jobUrl, namespace: target.namespace, flavor: settings.flavor, image: settings.image, dataset: target.dataset, datasetRevision: revision, modelRepo: target.modelRepo, model: `runs/${runId}/model.onnx` },
  };
}

/** Repository paths: pictures under data/ (as in the data folder), the backbone under backbone/<id>/. */
function repoLayout(job: ScriptJob): { files: Array<{ repoPath: string; file: string }>; config: ScriptConfig } {
  const dataDir = resolveDataDir(job.params.projectDir, job.params.config);
  const files: Array<{ repoPath: string; file: string }> = [];
  const toRepo = (entry: { file: string; label: string }) => {
    const repoPath = `data/${path.relative(dataDir, entry.file).split(path.sep).join("/")}`;
    files.push({ repoPath, file: entry.file });
    return { file: repoPath, label: entry.label };
  };
  const config: ScriptConfig = { ...job.config, train: job.config.train.map(toRepo), valid: job.config.valid.map(toRepo) };
  // A torchvision network has no studio backbone: the Job downloads its ImageNet weights itself.
  if (job.config.backbone) {
    const backboneDir = `backbone/${job.config.backbone.id.replace(/[^\w.-]+/g, "_")}`;
    config.backbone = { id: job.config.backbone.id, modelJson: `${backboneDir}/model.json` };
    files.push({ repoPath: `${backboneDir}/model.json`, file: job.config.backbone.modelJson });
  }
  return { files, config };
}

/** Creates the private dataset if needed and commits what it lacks (the backbone's shards included); returns the commit. */
async function uploadInputs(target: JobTarget, files: Array<{ repoPath: string; file: string }>, params: TrainParams): Promise<string> {
  const repo = { type: "dataset" as const, name: target.dataset };
  params.onProgress?.({ event: "phase", phase: "upload", message: `Comparing the pictures with the private dataset ${target.dataset}` });
  await ensureRepo(target, repo);
  const modelJson = files.find((entry) => entry.repoPath.startsWith("backbone/") && entry.repoPath.endsWith("/model.json"));
  if (modelJson) {
    const manifest = JSON.parse(await read(modelJson.file).then((bytes) => bytes.toString("utf8"))) as { weightsManifest: Array<{ paths: string[] }> };
    for (const shard of manifest.weightsManifest.flatMap((group) => group.paths)) {
      files.push({ repoPath: `${path.posix.dirname(modelJson.repoPath)}/${path.basename(shard)}`, file: path.join(path.dirname(modelJson.file), path.basename(shard)) });
    }
  }
  const remote = await listRemoteFiles(repo, target.credentials);
  const operations: CommitOperation[] = [];
  for (const entry of files) {
    throwIfAborted(params.signal, "training");
    const bytes = await read(entry.file);
    if (sameContent(bytes, remote.get(entry.repoPath))) continue;
    operations.push({ operation: "addOrUpdate", path: entry.repoPath, content: new Blob([bytes as Uint8Array<ArrayBuffer>]) });
  }
  params.onProgress?.({ event: "log", message: `${target.dataset}: ${operations.length} file(s) to upload, ${files.length - operations.length} already there` });
  const commit = await commitToRepo(repo, operations, target.credentials, { title: "Training pictures from Deepfake Detector Studio", signal: params.signal, onProgress: params.onProgress });
  return commit.oid;
}

/** Creates a private repository; one that exists already is fine. */
async function ensureRepo(target: JobTarget, repo: { type: "dataset" | "model"; name: string }): Promise<void> {
  try {
    await createRepo({ ...target.credentials, repo, visibility: "private" });
  } catch (error) {
    if (error instanceof HubApiError && error.statusCode === 409) return;
    throw describeHubError(error, { action: "create", repo: repo.name, repoType: repo.type });
  }
}

/** Throws the Job's failure in words (its last log lines), or a timeout. */
function checkEnding(job: { status: { stage: string; message?: string | null } }, last: string[], timeoutMinutes: number, seconds: number, url: string): void {
  const { stage, message } = job.status;
  if (stage === "COMPLETED") return;
  if (/time.?out/i.test(message ?? "") || seconds >= timeoutMinutes * 60) {
    throw new HfJobError(`The Hugging Face Job was stopped at its time limit of ${timeoutMinutes} minute(s)${quote(last)}`, "hf-jobs-timeout",
      `Nothing was kept. Allow more time (train.hfJobs.timeoutMinutes), choose a faster train.hfJobs.flavor, or train on fewer pictures. The Job: ${url}`, last);
  }
  const how = stage === "CANCELED" ? "was cancelled on the hub" : stage === "DELETED" ? "was deleted on the hub" : `failed${message ? ` (${message})` : ""}`;
  throw new HfJobError(`The Hugging Face Job ${how}${quote(last)}`, "hf-jobs-failed", `Nothing was kept. Its whole log: ${url}. Fix the cause above and train again.`, last);
}

/** runs/<id>/model.onnx from the model repository into the run folder, checked against what the Job reported. */
async function downloadModel(target: JobTarget, runId: string, folder: string, uploaded: { sha256: string; size: number } | undefined): Promise<void> {
  const file = `runs/${runId}/model.onnx`;
  let blob;
  try {
    blob = await downloadFile({ ...target.credentials, repo: { type: "model", name: target.modelRepo }, path: file });
  } catch (error) {
    throw describeHubError(error, { action: "list", repo: target.modelRepo, repoType: "model" });
  }
  if (!blob) throw new HfJobError(`The Job finished but ${target.modelRepo} has no ${file}.`, "hf-jobs-no-model", "Open the Job's log on the hub to see why, then train again.");
  const bytes = Buffer.from(await blob.arrayBuffer());
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (uploaded && sha256 !== uploaded.sha256) {
    throw new HfJobError(`${file} in ${target.modelRepo} is not the file the Job uploaded (sha256 ${sha256.slice(0, 12)}… instead of ${uploaded.sha256.slice(0, 12)}…).`, "hf-jobs-no-model", "Another run may have written the same path; train again.");
  }
  await writeFiles(folder, [["model.onnx", bytes]]);
}

/** The Job's own JSON report lines ({"job": …}, {"uploaded": …}); anything else is undefined. */
function parseReport(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{"job"') && !line.startsWith('{"uploaded"')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

async function read(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    throw describeFsError(error, file);
  }
}
