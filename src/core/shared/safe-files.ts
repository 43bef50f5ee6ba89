/** File writes that never leave half-written files behind, and never overwrite unless the name says they replace. */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { describeFsError } from "./errors";

/** Folder for in-progress files; on the same file system as the data so a link/rename is atomic. */
export const TEMP_FOLDER_NAME = ".tmp";

/**
 * Writes `data` to `target` only if nothing is there yet. Returns false when the name was taken.
 * The bytes go to a temp file first and are then hard-linked into place, which fails instead of replacing.
 */
export async function writeFileExclusive(target: string, data: Uint8Array, tempDir: string): Promise<boolean> {
  await fs.mkdir(tempDir, { recursive: true });
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

/** Moves `from` to `to` without replacing an existing `to`. Returns false when `to` exists. */
export async function moveExclusive(from: string, to: string): Promise<boolean> {
  await fs.mkdir(path.dirname(to), { recursive: true });
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
  await fs.rm(tempDir, { recursive: true, force: true });
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
