/**
 * `deepfake-studio deploy`: puts a Space folder on the Hugging Face Hub through its HTTP API (no git needed).
 *
 * whoAmI first (a bad token fails before anything else), then the Space is created with the right sdk (409: it
 * exists, fine), then only the files that differ from what the Space holds are committed: LFS files are compared by
 * sha256, others by git blob id, so a re-deploy of an unchanged folder sends nothing. Binaries go through the LFS
 * batch API (useXet: false: plain LFS, which every hub and proxy speaks), and the hub skips objects it already has.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { createRepo, HubApiError, whoAmI, type CommitOperation } from "@huggingface/hub";
import { formatSeconds } from "../shared/describe-network-error";
import { describeFsError, throwIfAborted } from "../shared/errors";
import type { OperationOptions } from "../shared/progress";
import { listSpaceFiles } from "../space/list-space-files";
import { parseFrontMatter } from "../space/parse-front-matter";
import { readSpaceManifest } from "../space/read-space-manifest";
import { SpaceError } from "../space/space-error";
import type { SpaceSdk } from "../space/space-sdk";
import { createHubFetch } from "./create-hub-fetch";
import { describeHubError } from "./describe-hub-error";
import { HubError } from "./hub-error";
import { resolveHubUrl } from "./resolve-hub-url";
import { spaceUrl } from "./space-url";
import { tokenHint } from "./token-hint";
import { commitToRepo, type HubCredentials, listRemoteFiles, sameContent } from "./sync-repo-files";

export interface DeploySpaceParams extends OperationOptions {
  spaceDir: string;
  /** "owner/name": owner is your user name or an organisation you can write to. */
  repo: string;
  sdk: SpaceSdk;
  /** Create the Space as private (an existing Space keeps its visibility). */
  private?: boolean;
  accessToken: string;
  /** Default: $HF_ENDPOINT, else https://huggingface.co. */
  hubUrl?: string;
  fetch?: typeof fetch;
  /** For HF_ENDPOINT and proxy variables (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** First retry delay (default 1000 ms). */
  retryDelayMs?: number;
  /**
   * Longest wait for the hub to start answering a request, or to send more of it (default: $DEEPFAKE_STUDIO_HUB_TIMEOUT
   * seconds, else 30 s). Uploads are not limited as a whole: they may take as long as bytes keep flowing.
   */
  timeoutMs?: number;
}

export interface DeploySpaceResult {
  repo: string;
  /** The Space's page on the hub. */
  url: string;
  /** The account the token belongs to. */
  user: string;
  /** False when the Space already existed. */
  created: boolean;
  /** Space-relative paths sent in the commit (new or changed). */
  uploaded: string[];
  /** Files the Space already had, byte for byte. */
  unchanged: string[];
  /** Files the studio had written earlier that are gone from the folder, removed from the Space too. */
  deleted: string[];
  /** Absent when nothing changed (no commit is made then). */
  commit?: { oid: string; url: string };
}

/** Names only the studio writes: when one is on the hub but no longer in the folder, the deploy removes it. */
const GENERATED_NAMES: ReadonlySet<string> = new Set([
  "index.html", "app.js", "format-percent.js", "preprocess.js", "style.css", "app.py", "preprocess.py", "requirements.txt", "space.json", "model.onnx", "labels.json", "preprocess.json",
]);
const GENERATED_FOLDERS = ["examples/", "ort/"];
/** Hugging Face's repository name rules. */
const NAME = /^(?!.*(?:--|\.\.))[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9])?$/;

export async function deploySpace(params: DeploySpaceParams): Promise<DeploySpaceResult> {
  const repo = checkRepo(params.repo);
  checkTokenShape(params.accessToken);
  const spaceDir = path.resolve(params.spaceDir);
  await checkSpaceFolder(spaceDir, params.sdk);
  const hubUrl = resolveHubUrl({ hubUrl: params.hubUrl, env: params.env });
  const log = (message: string) => params.onProgress?.({ event: "log", message });
  const phase = (message: string) => params.onProgress?.({ event: "phase", phase: "deploy", message });
  const hub = createHubFetch({
    fetch: params.fetch,
    env: params.env,
    signal: params.signal,
    retryDelayMs: params.retryDelayMs,
    timeoutMs: params.timeoutMs ?? timeoutFromEnv(params.env ?? process.env),
    onRetry: ({ reason, attempt, delayMs }) => log(`${reason}; retry ${attempt} in ${formatSeconds(delayMs)}`),
    onWait: ({ waitedMs }) => log(`still waiting for ${new URL(hubUrl).host} to answer (${formatSeconds(waitedMs)})…`),
  });
  const credentials = { accessToken: params.accessToken, hubUrl, fetch: hub.fetch };
  try {
    phase(`Checking the token with ${hubUrl}…`);
    const user = await checkAccess(repo, credentials);
    throwIfAborted(params.signal, "deploy");

    phase(`Creating the ${params.sdk} Space ${repo} (if needed)…`);
    const created = await ensureSpace(repo, params, credentials);
    if (!created && params.private) params.onProgress?.({ event: "warning", message: `${repo} already exists; its visibility was left as it is (change it in the Space's settings).` });

    phase("Comparing the folder with the Space…");
    const remote = await listRemoteFiles({ type: "space", name: repo }, credentials);
    const local = await listSpaceFiles(spaceDir);
    const operations: CommitOperation[] = [];
    const uploaded: string[] = [];
    const unchanged: string[] = [];
    for (const file of local) {
      throwIfAborted(params.signal, "deploy");
      const bytes = await readFile(spaceDir, file);
      if (sameContent(bytes, remote.get(file))) {
        unchanged.push(file);
        continue;
      }
      uploaded.push(file);
      // fs.readFile buffers own a plain ArrayBuffer; the cast only narrows the type.
      operations.push({ operation: "addOrUpdate", path: file, content: new Blob([bytes as Uint8Array<ArrayBuffer>]) });
    }
    const localSet = new Set(local);
    const deleted = [...remote.keys()].filter((file) => !localSet.has(file) && isGenerated(file)).sort();
    for (const file of deleted) operations.push({ operation: "delete", path: file });
    const url = spaceUrl({ repo, hubUrl });
    if (operations.length === 0) {
      log(`${repo} already has every file of ${spaceDir}; nothing to upload.`);
      return { repo, url, user, created, uploaded, unchanged, deleted, commit: undefined };
    }

    phase(`Uploading ${uploaded.length} file(s)${deleted.length ? `, removing ${deleted.length}` : ""}…`);
    const commit = await commitToRepo({ type: "space", name: repo }, operations, credentials, { title: "Deploy from Deepfake Detector Studio", signal: params.signal, onProgress: params.onProgress, sdk: params.sdk });
    return { repo, url, user, created, uploaded, unchanged, deleted, commit };
  } finally {
    await hub.close();
  }
}

/** $DEEPFAKE_STUDIO_HUB_TIMEOUT in seconds, for slow links (and tests); undefined: the default. */
function timeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.DEEPFAKE_STUDIO_HUB_TIMEOUT?.trim();
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new HubError(`DEEPFAKE_STUDIO_HUB_TIMEOUT must be a number of seconds, not "${raw}".`, "hub-rejected", "Set it to e.g. 60, or unset it for the default 30 s.");
  }
  return Math.round(seconds * 1000);
}

type Credentials = HubCredentials;

function checkRepo(repo: string): string {
  const trimmed = repo.trim().replace(/^spaces\//, "");
  const [owner, name, extra] = trimmed.split("/");
  if (extra !== undefined || !owner || !name || !NAME.test(owner) || !NAME.test(name)) {
    throw new HubError(`"${repo}" is not a Space name of the form owner/name.`, "hub-rejected", ["Use your Hugging Face user name (or an organisation) and a name of letters, digits, '-', '_' or '.', e.g. ", { cliOnly: "--space " }, "alice/deepfake-detector."]);
  }
  return `${owner}/${name}`;
}

/** Hub tokens start with hf_; saying so early beats a 401 (and the library would throw a bare TypeError). */
function checkTokenShape(token: string): void {
  if (!token || !token.startsWith("hf_") || /\s/.test(token)) {
    throw new HubError("The Hugging Face token does not look like one (tokens start with \"hf_\").", "hub-token-invalid", tokenHint());
  }
}

async function checkSpaceFolder(spaceDir: string, sdk: SpaceSdk): Promise<void> {
  // A folder `space` was still writing (killed, or the disk filled up) would put a half-written model online.
  if ((await readSpaceManifest(spaceDir))?.unfinished) {
    throw new SpaceError(`${spaceDir} is not finished: the \`space\` run that wrote it was interrupted.`, "space-invalid",
      ["Write the Space again with ", { step: "space" }, ": it completes the folder. Then deploy", { cliOnly: " (`deepfake-studio deploy` completes it by itself)" }, "."]);
  }
  let readme: string;
  try {
    readme = await fs.readFile(path.join(spaceDir, "README.md"), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new SpaceError(`${spaceDir} is not a Space folder (it has no README.md).`, "space-invalid", ["Run ", { step: "space" }, " first, or let ", { step: "deploy" }, " create it."]);
    }
    throw describeFsError(error, spaceDir);
  }
  let folderSdk: unknown;
  try {
    folderSdk = parseFrontMatter(readme).data?.sdk;
  } catch (error) {
    throw new SpaceError(`${path.join(spaceDir, "README.md")} has a Spaces configuration block that cannot be read (${(error as Error).message}).`, "space-invalid", ["Fix it, or run ", { step: "space" }, " to write it again."]);
  }
  if (folderSdk !== sdk) {
    throw new SpaceError(
      `${spaceDir} is a ${String(folderSdk ?? "non-Space")} Space folder, not a ${sdk} one.`,
      "space-sdk-mismatch",
      folderSdk === "static" || folderSdk === "gradio"
        ? ["Deploy it as it is (", { step: "deploy", sdk: folderSdk }, "), or write it again as a ", sdk, " Space (", { step: "space", sdk }, ")."]
        : ["Write it again as a ", sdk, " Space with ", { step: "space", sdk }, "."],
    );
  }
}

/** whoAmI, plus a readable refusal when the token obviously cannot write under `owner`. */
async function checkAccess(repo: string, credentials: Credentials): Promise<string> {
  let me: Awaited<ReturnType<typeof whoAmI>>;
  try {
    me = await whoAmI(credentials);
  } catch (error) {
    throw describeHubError(error, { action: "check-token", repo });
  }
  const role = me.auth?.accessToken?.role;
  if (role === "read") {
    throw new HubError(`The token "${me.auth.accessToken?.displayName ?? ""}" of ${me.name} is read-only, so it cannot create or update a Space.`, "hub-forbidden",
      tokenHint("with the \"write\" role"));
  }
  const owner = repo.split("/")[0];
  if (me.type === "user") {
    const namespaces = [me.name, ...(me.orgs ?? []).map((org) => org.name)];
    if (!namespaces.some((name) => name.toLowerCase() === owner.toLowerCase())) {
      throw new HubError(`The token belongs to ${me.name}, who cannot write to "${owner}" (it may write to: ${namespaces.join(", ")}).`, "hub-forbidden",
        ["Deploy under your own name (", { step: "deploy", repo: `${me.name}/${repo.split("/")[1]}` }, `), or use a token of an account that belongs to "${owner}".`], 403);
    }
  }
  return me.name;
}

/** Creates the Space; true when it was created, false when it already existed. */
async function ensureSpace(repo: string, params: DeploySpaceParams, credentials: Credentials): Promise<boolean> {
  try {
    await createRepo({ ...credentials, repo: { type: "space", name: repo }, sdk: params.sdk, ...(params.private ? { visibility: "private" as const } : {}) });
    return true;
  } catch (error) {
    if (error instanceof HubApiError && error.statusCode === 409) return false;
    throw describeHubError(error, { action: "create", repo, sdk: params.sdk });
  }
}

async function readFile(spaceDir: string, file: string): Promise<Buffer> {
  const target = path.join(spaceDir, ...file.split("/"));
  try {
    return await fs.readFile(target);
  } catch (error) {
    throw describeFsError(error, target);
  }
}

function isGenerated(file: string): boolean {
  return GENERATED_NAMES.has(file) || GENERATED_FOLDERS.some((folder) => file.startsWith(folder));
}
