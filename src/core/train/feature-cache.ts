/**
 * The project's feature cache: one little-endian float32 file per (image content, view) under
 * <projectDir>/.deepfake-studio/features/<key>/, where the key names the backbone weights, taps, input size and
 * resize kernel. Files are written to a temp name and renamed, so a killed run never leaves a torn entry.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { describeFsError } from "../shared/errors";
import { AUGMENT_RECIPE } from "./view-transform";
import { TEST_TIME_RECIPE } from "../shared/test-time-views";

/** Folder under the project that holds studio state that is not data (caches). */
export const STUDIO_STATE_FOLDER = ".deepfake-studio";

/** Read/write access to the cached feature vectors of one backbone configuration. */
export interface FeatureCache {
  readonly dir: string;
  /** Copies the cached vector of (sha, view) into `target` at `offset`; false when it is not cached (or damaged). */
  readInto(contentSha256: string, view: number, target: Float32Array, offset: number): Promise<boolean>;
  /** Stores one vector. */
  write(contentSha256: string, view: number, features: Float32Array): Promise<void>;
}

/** Opens (creating lazily) the cache folder for `key`; `featureLength` guards against reading a mismatched file. */
export function openFeatureCache(params: { projectDir: string; key: string; featureLength: number; describe?: object }): FeatureCache {
  const dir = path.join(params.projectDir, STUDIO_STATE_FOLDER, "features", params.key);
  const bytes = params.featureLength * 4;
  const fileOf = (sha: string, view: number) => path.join(dir, sha.slice(0, 2), `${sha}.${viewSuffix(view)}.f32`);
  let described = false;
  return {
    dir,
    async readInto(sha, view, target, offset) {
      let data: Buffer;
      try {
        data = await fs.readFile(fileOf(sha, view));
      } catch {
        return false;
      }
      // A file of the wrong length is from something else (or damaged): recompute and overwrite it.
      if (data.length !== bytes) return false;
      new Uint8Array(target.buffer, target.byteOffset + offset * 4, bytes).set(data);
      return true;
    },
    async write(sha, view, features) {
      const file = fileOf(sha, view);
      const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString("hex")}.part`);
      try {
        await fs.mkdir(path.dirname(file), { recursive: true });
        if (!described && params.describe) {
          described = true;
          await fs.writeFile(path.join(dir, "cache.json"), `${JSON.stringify(params.describe, null, 2)}\n`);
        }
        await fs.writeFile(temp, new Uint8Array(features.buffer, features.byteOffset, bytes));
        await fs.rename(temp, file);
      } catch (error) {
        await fs.rm(temp, { force: true });
        throw describeFsError(error, file);
      }
    },
  };
}

/** A view's part of the file name: 0, an augmented view of the recipe in force, or (negative) a test-time view of its own recipe. */
function viewSuffix(view: number): string {
  if (view === 0) return "0";
  return view > 0 ? `${AUGMENT_RECIPE}-${view}` : `${TEST_TIME_RECIPE}-${-view}`;
}
