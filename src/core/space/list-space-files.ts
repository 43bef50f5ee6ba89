/** The files of a Space folder that belong on the hub: everything except git's own data and OS clutter. */
import { promises as fs } from "node:fs";
import * as path from "node:path";

const SKIPPED_NAMES: ReadonlySet<string> = new Set([".git", ".DS_Store", "Thumbs.db", "__pycache__", "node_modules", ".ipynb_checkpoints"]);

/** Space-relative POSIX paths, sorted; symbolic links are skipped (they could point outside the folder). */
export async function listSpaceFiles(spaceDir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (SKIPPED_NAMES.has(entry.name) || entry.name.endsWith(".pyc")) continue;
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), relative);
      else if (entry.isFile()) out.push(relative);
    }
  };
  await walk(spaceDir, "");
  return out.sort();
}
