/**
 * Makes the Space folder a git repository whose binaries are Git LFS pointers, the only form in which the hub
 * accepts them over git: `git init`, `git lfs install --local`, `git lfs track …`, then one commit of what changed.
 * Without git or git-lfs the folder stays as it is (deploy uploads through the hub API and needs neither).
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { CheckRepoActions, simpleGit, type SimpleGit } from "simple-git";
import { throwIfAborted } from "../shared/errors";
import { sleep } from "../shared/sleep";

/** Patterns tracked with LFS: the model, pictures, the WebAssembly runtimes and face-api's weights (face-crop models). */
export const LFS_PATTERNS = ["*.onnx", "*.jpg", "*.jpeg", "*.png", "*.webp", "*.wasm", "*.bin"] as const;

export type CommitSpaceResult =
  | { status: "committed"; commit: string; lfsFiles: string[]; removedLock?: true }
  | { status: "unchanged"; commit?: string; lfsFiles: string[]; removedLock?: true }
  | { status: "skipped"; reason: "git-missing" | "git-lfs-missing"; message: string };

/** Used only when the user has no git identity, so the first commit does not fail with "Please tell me who you are". */
const FALLBACK_IDENTITY = ["user.name=Deepfake Detector Studio", "user.email=deepfake-studio@users.noreply.huggingface.co"];

export async function commitSpaceFolder(params: { dir: string; message: string; signal?: AbortSignal }): Promise<CommitSpaceResult> {
  const plain = simpleGit({ baseDir: params.dir, abort: params.signal });
  if (!(await plain.version().then((version) => version.installed, () => false))) {
    return { status: "skipped", reason: "git-missing", message: "git is not installed, so the Space folder was written but not committed. Deploy uploads it without git." };
  }
  if (!(await plain.raw(["lfs", "version"]).then(() => true, () => false))) {
    return {
      status: "skipped",
      reason: "git-lfs-missing",
      message: "git-lfs is not installed, so the Space folder was written but not committed: the hub refuses binary files (model, pictures, WebAssembly) pushed without LFS. Install git-lfs (https://git-lfs.com, or `apt-get install git-lfs`) and write the Space again to commit it, or just deploy: Deploy uploads through the hub API without git.",
    };
  }
  throwIfAborted(params.signal, "space");
  const removedLock = await clearStaleIndexLock(params.dir, params.signal);
  // A folder inside another repository would otherwise be committed to that one.
  const isRoot = await plain.checkIsRepo(CheckRepoActions.IS_REPO_ROOT).catch(() => false);
  if (!isRoot) await plain.init(["--initial-branch=main"]);
  const git = (await hasIdentity(plain)) ? plain : simpleGit({ baseDir: params.dir, abort: params.signal, config: FALLBACK_IDENTITY });
  await git.raw(["lfs", "install", "--local"]);
  // Writes nothing when .gitattributes already tracks them (the scaffold writes it), but keeps a hand-edited file right.
  await git.raw(["lfs", "track", ...LFS_PATTERNS]);
  await git.add(["-A", "."]);
  const status = await git.status();
  if (status.files.length === 0) {
    const head = await git.revparse(["HEAD"]).catch(() => undefined);
    return { status: "unchanged", commit: head, lfsFiles: await lfsFiles(git), ...(removedLock ? { removedLock } : {}) };
  }
  const result = await git.commit(params.message);
  const commit = (await git.revparse(["HEAD"]).catch(() => result.commit)) || result.commit;
  return { status: "committed", commit, lfsFiles: await lfsFiles(git), ...(removedLock ? { removedLock } : {}) };
}

/** A git command holds .git/index.lock for well under this on a Space folder; a lock that outlives it is a leftover. */
const LOCK_WAIT_MS = 5000;

/**
 * A git killed mid-command (kill -9, a closed terminal, a full disk) leaves .git/index.lock behind, and every later
 * git command in the folder fails on it. Waits for a live git (say, one still finishing after its parent was killed)
 * to let go, then removes a lock nobody released. Returns true when it removed one.
 */
async function clearStaleIndexLock(dir: string, signal: AbortSignal | undefined): Promise<boolean> {
  const lock = path.join(dir, ".git", "index.lock");
  const exists = () => fs.lstat(lock).then(() => true, () => false);
  const deadline = Date.now() + LOCK_WAIT_MS;
  while (await exists()) {
    if (Date.now() >= deadline) {
      await fs.rm(lock, { force: true });
      return true;
    }
    await sleep(100, signal);
  }
  return false;
}

async function hasIdentity(git: SimpleGit): Promise<boolean> {
  const [name, email] = await Promise.all(["user.name", "user.email"].map((key) => git.raw(["config", "--get", key]).then((value) => value.trim(), () => "")));
  return name !== "" && email !== "";
}

/** Paths git-lfs manages in HEAD (`git lfs ls-files --name-only`). */
async function lfsFiles(git: SimpleGit): Promise<string[]> {
  const out = await git.raw(["lfs", "ls-files", "--name-only"]).catch(() => "");
  return out.split("\n").map((line) => line.trim()).filter(Boolean).sort();
}
