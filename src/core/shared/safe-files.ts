/** File writes that never leave half-written files behind, and never overwrite unless the name says they replace. */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { describeFsError, mkdirFailureCause } from "./errors";

/** Folder for in-progress files; on the same file system as the data so a link/rename is atomic. */
export const TEMP_FOLDER_NAME = ".tmp";

/**
 * Writes `data` to `target` only if nothing is there yet. Returns false when the name was taken.
 * The bytes go to a temp file first and are then hard-linked into place, which fails instead of replacing.
 */
export async function writeFileExclusive(target: string, data: Uint8Array, tempDir: string): Promise<boolean> {
  await ensureDir(tempDir);
  const temp = path.join(tempDir, `${path.basename(target)}.${randomBytes(6).toString("hex")}.part`);
  try {
    await fs.writeFile(temp, data);
    return await linkExclusive(temp, target);
  } catch (error) {
    throw describeFsError(error, target);
  } finally {
    await fs.rm(temp, { force: true });
  }
}

/**
 * Replaces `file` with `data` so that it survives a crash or power cut once this returns: the bytes go to
 * `<file>.part`, are flushed, renamed into place, and the folder entry is flushed too. Journals use it so they are on
 * disk before the changes they describe. On failure the old file is untouched and the `.part` is removed.
 */
export async function writeFileDurable(file: string, data: string | Uint8Array): Promise<void> {
  const temp = `${file}.part`;
  try {
    const handle = await fs.open(temp, "w");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
    await syncFolder(path.dirname(file));
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw describeFsError(error, file);
  }
}

/** Flushes a folder's entries (new names, renames) to disk; a no-op where folders cannot be opened for that (Windows). */
export async function syncFolder(dir: string): Promise<void> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(dir, "r");
  } catch (error) {
    if (process.platform === "win32") return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems refuse fsync on a folder (EINVAL); their renames are as durable as they get.
    if ((error as NodeJS.ErrnoException).code !== "EINVAL") throw error;
  } finally {
    await handle.close();
  }
}

/** Moves `from` to `to` without replacing an existing `to`. Returns false when `to` exists. */
export async function moveExclusive(from: string, to: string): Promise<boolean> {
  await ensureDir(path.dirname(to));
  if (!(await linkExclusive(from, to))) return false;
  await fs.unlink(from);
  return true;
}

async function linkExclusive(from: string, to: string): Promise<boolean> {
  try {
    await fs.link(from, to);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    // Some file systems (FAT, some network shares) have no hard links: copy without replacing instead.
    if (code === "EPERM" || code === "ENOTSUP" || code === "EXDEV" || code === "ENOSYS") {
      try {
        await fs.copyFile(from, to, fs.constants.COPYFILE_EXCL);
        return true;
      } catch (copyError) {
        if ((copyError as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw copyError;
      }
    }
    throw error;
  }
}

/** Removes temp files a killed run left behind (an aborted run removes its own). */
export async function removeStaleTempFiles(tempDir: string): Promise<void> {
  try {
    await fs.rm(tempDir, { recursive: true, force: true });
  } catch (error) {
    throw describeFsError(error, tempDir);
  }
}

/** Creates `dir` and the folders above it; a failure says why in words (see mkdirFailureCause). */
export async function ensureDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (error) {
    throw describeFsError(mkdirFailureCause(dir, error), dir);
  }
}

/** Writes next to the target and renames over it (creating the folder), so readers never see half a file; replaces an existing file. */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(temp, data);
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw describeFsError(error, file);
  }
}
