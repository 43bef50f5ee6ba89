/**
 * What deploy (a Space) and the hf-jobs trainer (a dataset, a model) share: listing a repository's files, telling
 * which local files it already holds without downloading anything, and committing the rest (plain LFS for binaries).
 */
import { createHash } from "node:crypto";
import { commitIter, listFiles, type CommitOperation, type ListFileEntry, type RepoDesignation } from "@huggingface/hub";
import type { ProgressListener } from "../shared/progress";
import { describeHubError } from "./describe-hub-error";
import { HubError } from "./hub-error";

/** Token, hub and fetch, as every @huggingface/hub call takes them. */
export type HubCredentials = { accessToken: string; hubUrl: string; fetch: typeof fetch };

/** Every file of the repository (main), by path. */
export async function listRemoteFiles(repo: { type: "space" | "dataset" | "model"; name: string }, credentials: HubCredentials): Promise<Map<string, ListFileEntry>> {
  const files = new Map<string, ListFileEntry>();
  try {
    for await (const entry of listFiles({ ...credentials, repo: repo as RepoDesignation, recursive: true })) {
      if (entry.type === "file") files.set(entry.path, entry);
    }
  } catch (error) {
    throw describeHubError(error, { action: "list", repo: repo.name, repoType: repo.type });
  }
  return files;
}

/** LFS files are known by sha256, the others by their git blob id: both computed locally, nothing downloaded. */
export function sameContent(bytes: Uint8Array, remote: ListFileEntry | undefined): boolean {
  if (!remote) return false;
  if (remote.lfs) return remote.lfs.size === bytes.length && createHash("sha256").update(bytes).digest("hex") === remote.lfs.oid;
  return remote.oid !== undefined && remote.size === bytes.length && gitBlobId(bytes) === remote.oid;
}

function gitBlobId(bytes: Uint8Array): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/** Commits `operations` to main, reporting LFS uploads as progress; returns the commit. */
export async function commitToRepo(
  repo: { type: "space" | "dataset" | "model"; name: string },
  operations: CommitOperation[],
  credentials: HubCredentials,
  options: { title: string; signal?: AbortSignal; onProgress?: ProgressListener; sdk?: string },
): Promise<{ oid: string; url: string }> {
  const uploadedLfs = new Set<string>();
  try {
    const iterator = commitIter({
      ...credentials,
      repo: repo as RepoDesignation,
      operations,
      title: options.title,
      abortSignal: options.signal,
      // Plain LFS: the Xet protocol needs its own storage service, which proxies and self-hosted hubs may lack.
      useXet: false,
    });
    let next = await iterator.next();
    while (!next.done) {
      const event = next.value;
      if (event.event === "phase") {
        options.onProgress?.({ event: "log", message: { preuploading: "asking the hub which files go to LFS", uploadingLargeFiles: "uploading large files", committing: "committing" }[event.phase] });
      } else if (event.state === "error") {
        options.onProgress?.({ event: "warning", message: `${event.path} failed to upload` });
      } else if (event.state === "uploading" && event.progress >= 1 && !uploadedLfs.has(event.path)) {
        uploadedLfs.add(event.path);
        options.onProgress?.({ event: "progress", phase: "upload", done: uploadedLfs.size, message: event.path });
      }
      next = await iterator.next();
    }
    const output = next.value;
    if (!output) throw new HubError(`The hub did not confirm the commit to ${repo.name}.`, "hub-unavailable", "Open the repository's page to check, then try again.");
    return { oid: output.commit.oid, url: output.commit.url };
  } catch (error) {
    throw describeHubError(error, { action: "upload", repo: repo.name, repoType: repo.type, sdk: options.sdk });
  }
}
