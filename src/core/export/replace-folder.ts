/** Puts a finished folder in place of an older one without ever leaving no working copy behind. */
import { promises as fs } from "node:fs";
import { describeFsError } from "../shared/errors";

/** Suffix of the kept previous generation: `<target>.previous`. */
export const PREVIOUS_SUFFIX = ".previous";

/**
 * Moves `staging` to `target`. An existing `target` becomes `<target>.previous` (replacing an older one) first;
 * if the final rename fails, it is moved back. Both renames stay on one file system, so each is atomic: at every
 * moment either `target` or `<target>.previous` holds a complete folder. Returns the previous folder's path, if any.
 */
export async function replaceFolder(params: { staging: string; target: string }): Promise<string | undefined> {
  const { staging, target } = params;
  const previous = `${target}${PREVIOUS_SUFFIX}`;
  // An empty folder (made for the export beforehand) is simply replaced; rmdir refuses anything else.
  const hadTarget = await fs.lstat(target).then(() => fs.rmdir(target).then(() => false, () => true), () => false);
  try {
    if (hadTarget) {
      await fs.rm(previous, { recursive: true, force: true });
      await fs.rename(target, previous);
    }
    try {
      await fs.rename(staging, target);
    } catch (error) {
      if (hadTarget) await fs.rename(previous, target).catch(() => undefined);
      throw error;
    }
  } catch (error) {
    throw describeFsError(error, target);
  }
  return hadTarget ? previous : undefined;
}
