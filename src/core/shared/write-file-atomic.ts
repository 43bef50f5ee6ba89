/** Replaces a small file so that a reader (or the next start after a crash) sees the old bytes or the new, never a torn mix. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { describeFsError } from "./errors";
import { tempName } from "./stale-temps";

/** Prefix of the temp file beside `target`; removeStaleTemps(dir, atomicTempPrefix(target)) clears a killed write's. */
export function atomicTempPrefix(target: string): string {
  return `.${path.basename(target)}.tmp-`;
}

/** Writes `data` to a temp file beside `target`, flushes it to disk, and renames it over `target`. */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  const temp = path.join(path.dirname(target), tempName(atomicTempPrefix(target)));
  try {
    const handle = await fs.open(temp, "w");
    try {
      await handle.writeFile(data);
      // Durable before it takes the old file's place: a power cut must not leave an empty file under the real name.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw describeFsError(error, target);
  }
}
