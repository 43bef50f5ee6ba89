/**
 * Downloads a tfjs LayersModel (model.json + every weight shard it names) into the cache once, with a sha256
 * per file in integrity.json; later calls verify the hashes and use the cache without touching the network.
 */
import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { EnvHttpProxyAgent, fetch as undiciFetch, type Dispatcher } from "undici";
import { CancelledError, describeFsError, StudioError, throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";

/** The subset of a fetch Response we use (undici's and the global one both fit). */
export interface FetchResponseLike {
  ok: boolean;
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array> | null;
}

/** A fetch function; `dispatcher` is only passed to the default (undici) one. */
export type FetchLike = (url: string, init: { signal: AbortSignal; dispatcher?: Dispatcher }) => Promise<FetchResponseLike>;

/** What a download (or cache hit) produced. */
export interface DownloadModelResult {
  modelJsonPath: string;
  folder: string;
  /** True when nothing was fetched: the cached copy verified. */
  fromCache: boolean;
  /** sha256 (hex) of every file, keyed by path relative to the folder. */
  files: Record<string, string>;
}

/** Parameters of downloadModel. */
export interface DownloadModelParams extends OperationOptions {
  /** http(s) URL of a tfjs model.json; shards are resolved relative to it, as tfjs does. */
  url: string;
  cacheDir: string;
  /** Folder name under `<cacheDir>/backbones/`; defaults to one derived from the URL. */
  name?: string;
  /** Where proxy settings (HTTP_PROXY, HTTPS_PROXY, NO_PROXY) are read; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Limit per file, headers and body together. */
  timeoutMs?: number;
  /** Limit for all files together; protects the disk from a wrong URL. */
  maxBytes?: number;
  /** Replaces the network (tests, the VS Code extension's own fetch). */
  fetch?: FetchLike;
}

/** Record written next to the files. */
interface IntegrityRecord {
  url: string;
  files: Record<string, string>;
  downloadedAt: string;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;
/** model.json files are topology + manifest: a few MB at most. */
const MAX_MODEL_JSON_BYTES = 32 * 1024 * 1024;
/** Report download progress about every this many bytes (the CLI throttles again). */
const PROGRESS_STEP_BYTES = 1024 * 1024;

/** Downloads the model at `url` into the cache (or verifies and reuses the cached copy); returns where it is. */
export async function downloadModel(params: DownloadModelParams): Promise<DownloadModelResult> {
  const folder = path.join(params.cacheDir, "backbones", params.name ?? folderNameFor(params.url));
  const cached = await verifyCache(folder, params.url);
  if (cached.ok) return { modelJsonPath: path.join(folder, "model.json"), folder, fromCache: true, files: cached.files };
  if (cached.problem) params.onProgress?.({ event: "warning", message: `The cached backbone in ${folder} is damaged (${cached.problem}); downloading it again.` });

  const session = openSession(params);
  const staging = path.join(params.cacheDir, "backbones", `.${path.basename(folder)}.${randomBytes(6).toString("hex")}.part`);
  try {
    params.onProgress?.({ event: "phase", phase: "download", message: `Downloading backbone ${params.url}` });
    const context = cached.problem ? ` The cached copy in ${folder} is damaged (${cached.problem}).` : ` It is not cached in ${folder} yet.`;
    const files = await downloadInto(staging, params, session, context);
    await writeRecord(staging, { url: params.url, files, downloadedAt: new Date().toISOString() });
    await install(staging, folder);
    return { modelJsonPath: path.join(folder, "model.json"), folder, fromCache: false, files };
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
    await session.close();
  }
}

/** A readable, unique cache folder name: the URL's last folder plus a short hash of the whole URL. */
function folderNameFor(url: string): string {
  const segments = new URL(url).pathname.split("/").filter(Boolean);
  const last = segments.length > 1 && /\.json$/i.test(segments[segments.length - 1]) ? segments[segments.length - 2] : segments[segments.length - 1] ?? "model";
  const slug = last.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80);
  return `${slug}-${createHash("sha256").update(url).digest("hex").slice(0, 8)}`;
}

/** Checks the cached copy: ok with its hashes, or the reason it cannot be used (absent → no problem). */
async function verifyCache(folder: string, url: string): Promise<{ ok: true; files: Record<string, string> } | { ok: false; problem?: string }> {
  let record: IntegrityRecord;
  try {
    record = JSON.parse(await fs.readFile(path.join(folder, "integrity.json"), "utf8")) as IntegrityRecord;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    // A folder without a record is a leftover we cannot trust; a missing folder is simply not cached yet.
    if (missing && !(await exists(folder))) return { ok: false };
    return { ok: false, problem: missing ? "integrity.json is missing" : "integrity.json is unreadable" };
  }
  if (record.url !== url) return { ok: false, problem: `it was downloaded from ${record.url}` };
  if (!record.files?.["model.json"]) return { ok: false, problem: "integrity.json lists no model.json" };
  for (const [name, expected] of Object.entries(record.files)) {
    const actual = await hashFile(path.join(folder, name));
    if (actual !== expected) return { ok: false, problem: actual ? `${name} does not match its sha256` : `${name} is missing` };
  }
  return { ok: true, files: record.files };
}

/** sha256 of a file, or undefined when it cannot be read. */
async function hashFile(file: string): Promise<string | undefined> {
  try {
    return createHash("sha256").update(await fs.readFile(file)).digest("hex");
  } catch {
    return undefined;
  }
}

/** True when the path exists. */
async function exists(target: string): Promise<boolean> {
  return fs.access(target).then(() => true, () => false);
}

/** The network side of one download: the fetch to use and a proxy-aware dispatcher to close afterwards. */
interface Session {
  fetch: FetchLike;
  dispatcher?: Dispatcher;
  close(): Promise<void>;
}

/** Builds the fetch; the default honours HTTP_PROXY/HTTPS_PROXY/NO_PROXY from `env` (undici ignores them otherwise). */
function openSession(params: DownloadModelParams): Session {
  if (params.fetch) return { fetch: params.fetch, close: async () => undefined };
  const env = params.env ?? process.env;
  // Passing "" (not undefined) stops undici from falling back to process.env when `env` is a custom one.
  const agent = new EnvHttpProxyAgent({
    httpProxy: env.http_proxy ?? env.HTTP_PROXY ?? "",
    httpsProxy: env.https_proxy ?? env.HTTPS_PROXY ?? "",
    noProxy: env.no_proxy ?? env.NO_PROXY ?? "",
  });
  const fetch: FetchLike = (url, init) => undiciFetch(url, init) as unknown as Promise<FetchResponseLike>;
  // destroy, not close: close() waits for bodies nobody will read (a rejected 404 or oversized answer) to drain.
  return { fetch, dispatcher: agent, close: () => agent.destroy().catch(() => undefined) };
}

/** Fetches model.json, then every shard it names, into `staging`; returns the sha256 of each file. */
async function downloadInto(staging: string, params: DownloadModelParams, session: Session, context: string): Promise<Record<string, string>> {
  await fs.mkdir(staging, { recursive: true }).catch((error: unknown) => {
    throw describeFsError(error, staging);
  });
  const maxBytes = params.maxBytes ?? DEFAULT_MAX_BYTES;
  const budget = { used: 0, max: maxBytes };
  const files: Record<string, string> = {};

  const modelJsonPath = path.join(staging, "model.json");
  files["model.json"] = await fetchToFile(params.url, modelJsonPath, params, session, { ...budget, max: Math.min(maxBytes, MAX_MODEL_JSON_BYTES) }, context);
  budget.used += (await fs.stat(modelJsonPath)).size;
  for (const shard of shardPaths(await fs.readFile(modelJsonPath, "utf8"), params.url)) {
    throwIfAborted(params.signal, "backbone download");
    const target = path.join(staging, shard);
    await fs.mkdir(path.dirname(target), { recursive: true });
    files[shard] = await fetchToFile(new URL(shard, params.url).toString(), target, params, session, budget, context);
    budget.used += (await fs.stat(target)).size;
  }
  return files;
}

/** Weight shard paths named by a model.json, checked to stay inside the model's folder. */
function shardPaths(modelJsonText: string, url: string): string[] {
  let manifest: unknown;
  try {
    manifest = (JSON.parse(modelJsonText) as { weightsManifest?: unknown }).weightsManifest;
  } catch {
    throw new StudioError(`${url} is not JSON, so it is not a tfjs model.json.`, "backbone-invalid", "Check the URL: it must point at the model.json of a tfjs LayersModel.");
  }
  if (!Array.isArray(manifest)) {
    throw new StudioError(`${url} has no weightsManifest, so it is not a tfjs LayersModel model.json.`, "backbone-invalid", "Check the URL: it must point at the model.json of a tfjs LayersModel.");
  }
  const paths = manifest.flatMap((group: { paths?: unknown }) => (Array.isArray(group?.paths) ? group.paths : [])).map(String);
  for (const shard of paths) {
    // A shard path comes from the server; never let it write outside the cache folder.
    const unsafe = shard.includes("..") || shard.includes("\\") || shard.includes("://") || path.posix.isAbsolute(shard) || shard === "model.json" || shard === "integrity.json";
    if (unsafe) throw new StudioError(`${url} names an unsafe weight file "${shard}".`, "backbone-invalid", "Only shard paths relative to the model.json's folder are supported.");
  }
  return [...new Set(paths)];
}

/** Streams one URL into a file while hashing it; enforces the timeout and the byte budget. Returns the sha256. */
async function fetchToFile(url: string, target: string, params: DownloadModelParams, session: Session, budget: { used: number; max: number }, context: string): Promise<string> {
  const timeoutMs = params.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = params.signal ? AbortSignal.any([params.signal, timeout]) : timeout;
  const failure = (reason: string): StudioError => unavailable(url, reason, context);
  const hash = createHash("sha256");
  let handle: fs.FileHandle | undefined;
  try {
    const response = await session.fetch(url, { signal, ...(session.dispatcher ? { dispatcher: session.dispatcher } : {}) });
    const declared = Number(response.headers.get("content-length") ?? NaN);
    const refusal = !response.ok
      ? failure(`the server answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`)
      : declared > budget.max - budget.used ? tooLarge(url, budget.max) : undefined;
    if (refusal) {
      await discard(response);
      throw refusal;
    }
    if (!response.body) throw failure("the response had no body");
    handle = await fs.open(target, "w");
    let received = 0;
    let reported = 0;
    for await (const chunk of response.body) {
      received += chunk.byteLength;
      if (budget.used + received > budget.max) throw tooLarge(url, budget.max);
      hash.update(chunk);
      await handle.write(chunk);
      if (received - reported >= PROGRESS_STEP_BYTES) {
        reported = received;
        params.onProgress?.({ event: "progress", phase: "download", done: budget.used + received, message: path.basename(target) });
      }
    }
    if (Number.isFinite(declared) && received !== declared) throw failure(`the connection closed after ${received} of ${declared} bytes`);
    return hash.digest("hex");
  } catch (error) {
    if (error instanceof StudioError) throw error;
    if (params.signal?.aborted) throw new CancelledError("backbone download");
    if (timeout.aborted) throw failure(`no complete answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}`);
    if (isFsError(error)) throw describeFsError(error, target);
    throw failure(networkReason(error));
  } finally {
    await handle?.close();
  }
}

/** Releases a body we will not read, so its connection is not held open. */
async function discard(response: FetchResponseLike): Promise<void> {
  const body = response.body as { cancel?: () => Promise<void> } | null;
  await body?.cancel?.().catch(() => undefined);
}

/** The StudioError for a URL that could not be fetched, naming it and the ways forward. */
function unavailable(url: string, reason: string, context: string): StudioError {
  return new StudioError(
    `Could not download the backbone from ${url}: ${reason}.${context}`,
    "backbone-unavailable",
    [
      "Offline? Run ",
      { step: "backbone-offline" },
      { cliOnly: " (the MobileNetV2 bundled with nsfwjs) and then use `--backbone nsfwjs-mobilenet_v2`, or pass `--backbone <path>` to" },
      { editorOnly: ": it switches the project to the MobileNetV2 bundled with nsfwjs; or set train.backbone in deepfake-studio.json to" },
      " a tfjs model.json you already have. Behind a proxy? Set HTTPS_PROXY / HTTP_PROXY.",
    ],
  );
}

/** The StudioError for a download over the size cap. */
function tooLarge(url: string, maxBytes: number): StudioError {
  return new StudioError(`The backbone at ${url} is larger than the ${formatBytes(maxBytes)} limit.`, "backbone-too-large", [
    "Check the URL points at the model you meant, or download it yourself and ",
    { cliOnly: "pass --backbone <path>" },
    { editorOnly: "set train.backbone in deepfake-studio.json to its path" },
    ".",
  ]);
}

/** 536870912 → "512 MB", 200000 → "195 KB". */
function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.round(bytes / 1024)} KB`;
}

/** Readable cause of a fetch failure (undici wraps the socket error in `cause`). */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ""}`;
  return error instanceof Error ? error.message : String(error);
}

/** True for errors raised by the file system rather than the network. */
function isFsError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" && ["ENOSPC", "EROFS", "EACCES", "EPERM", "EISDIR", "ENOTDIR", "EMFILE"].includes(code);
}

/** Writes integrity.json into the staging folder (it moves with the files). */
async function writeRecord(staging: string, record: IntegrityRecord): Promise<void> {
  await fs.writeFile(path.join(staging, "integrity.json"), `${JSON.stringify(record, null, 2)}\n`);
}

/** Moves the finished staging folder into place, replacing a damaged copy; readers never see a partial folder. */
async function install(staging: string, folder: string): Promise<void> {
  const retired = `${folder}.${randomBytes(6).toString("hex")}.old`;
  try {
    if (await exists(folder)) await fs.rename(folder, retired);
    await fs.rename(staging, folder);
  } catch (error) {
    throw describeFsError(error, folder);
  } finally {
    await fs.rm(retired, { recursive: true, force: true });
  }
}
