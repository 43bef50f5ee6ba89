/**
 * Pruning of the project's content-addressed caches under .deepfake-studio/ (features, synthesized, blend-statistics):
 * every entry is a file whose name starts with the sha256 of the picture it belongs to, in shard folders, maybe under
 * version folders. Without pruning they grow with every gather, clean-up and re-crop.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";

/** How long the entries of a picture that left the dataset are kept: an undone clean-up within this time costs nothing. */
export const STALE_CACHE_KEPT_MS = 7 * 24 * 60 * 60 * 1000;

/** The picture's sha256 an entry's name starts with (`<sha>.0.f32`, `<sha>-face.json`, `<sha>-s1-blend0.png`, `<sha>.json`). */
const ENTRY_KEY = /^[0-9a-f]{64}/;

/** A write a killed run left behind: the feature cache's `.<name>.<hex>.part`, writeFileAtomic's `<name>.<pid>.tmp`. */
function isTemp(name: string): boolean {
  return name.endsWith(".part") || name.endsWith(".tmp");
}

/** Parameters of pruneContentCache. */
export interface PruneContentCacheParams {
  /** The cache folder; every folder below it is searched (shards, versions). */
  dir: string;
  /** sha256 of every picture in use: their entries stay, whatever their age. */
  keep: ReadonlySet<string>;
  /** Entries (and temp files) untouched for less than this stay (default STALE_CACHE_KEPT_MS). */
  minAgeMs?: number;
  now?: number;
}

/** Removes the entries of pictures not in `keep` once untouched for `minAgeMs`, and old temp files; links are left alone. */
export async function pruneContentCache(params: PruneContentCacheParams): Promise<{ files: number; bytes: number }> {
  const cutoff = (params.now ?? Date.now()) - (params.minAgeMs ?? STALE_CACHE_KEPT_MS);
  const removed = { files: 0, bytes: 0 };
  const walk = async (dir: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(file);
      if (!entry.isFile()) continue;
      const key = ENTRY_KEY.exec(entry.name)?.[0];
      if (!isTemp(entry.name) && (key === undefined || params.keep.has(key))) continue;
      const stat = await fs.stat(file).catch(() => undefined);
      if (!stat || stat.mtimeMs > cutoff) continue;
      await fs.rm(file, { force: true });
      removed.files += 1;
      removed.bytes += stat.size;
    }
  };
  await walk(params.dir);
  return removed;
}
