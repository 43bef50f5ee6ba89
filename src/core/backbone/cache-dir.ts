/** Where downloaded and written-out backbones live between runs. */
import * as os from "node:os";
import * as path from "node:path";

/** Name of our folder inside the user's cache folder. */
const CACHE_FOLDER_NAME = "deepfake-studio";

/**
 * The studio's cache folder: `DEEPFAKE_STUDIO_CACHE` when set (tests, CI, a shared disk), else
 * `$XDG_CACHE_HOME/deepfake-studio`, else `~/.cache/deepfake-studio`. Not created here; writers create it.
 */
export function cacheDir(params: { env?: NodeJS.ProcessEnv; homeDir?: string } = {}): string {
  const env = params.env ?? process.env;
  const explicit = env.DEEPFAKE_STUDIO_CACHE?.trim();
  if (explicit) return path.resolve(explicit);
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = env.XDG_CACHE_HOME?.trim();
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, CACHE_FOLDER_NAME);
  return path.join(params.homeDir ?? os.homedir(), ".cache", CACHE_FOLDER_NAME);
}
