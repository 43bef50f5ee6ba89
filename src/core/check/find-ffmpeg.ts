/** Finds the system's ffmpeg and ffprobe: DEEPFAKE_STUDIO_FFMPEG first, else the PATH. Nothing is downloaded. */
import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { FfmpegMissingError } from "./check-errors";

/** The two programs a video check runs, and ffmpeg's version line for reports. */
export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
  /** e.g. "ffmpeg version 5.1.6-0+deb12u1". */
  version: string;
}

/** Parameters of findFfmpeg; both default to this process's. */
export interface FindFfmpegParams {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/** Environment variable naming the ffmpeg program; ffprobe is taken from DEEPFAKE_STUDIO_FFPROBE or the same folder. */
export const FFMPEG_ENV = "DEEPFAKE_STUDIO_FFMPEG";
export const FFPROBE_ENV = "DEEPFAKE_STUDIO_FFPROBE";

const found = new Map<string, Promise<FfmpegTools>>();

/** Locates ffmpeg + ffprobe and checks that they run; throws FfmpegMissingError saying what was tried. Cached per setting. */
export function findFfmpeg(params: FindFfmpegParams = {}): Promise<FfmpegTools> {
  const env = params.env ?? process.env;
  const platform = params.platform ?? process.platform;
  const key = [env[FFMPEG_ENV] ?? "", env[FFPROBE_ENV] ?? "", env.PATH ?? env.Path ?? "", platform].join("\0");
  let pending = found.get(key);
  if (pending === undefined) {
    pending = locate(env, platform);
    found.set(key, pending);
    // A failure is not cached: the user may install ffmpeg and try again in the same editor session.
    pending.catch(() => found.delete(key));
  }
  return pending;
}

async function locate(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Promise<FfmpegTools> {
  const exe = platform === "win32" ? ".exe" : "";
  const explicit = env[FFMPEG_ENV]?.trim();
  let ffmpeg: string | undefined;
  if (explicit) {
    if (!(await isExecutable(explicit))) throw new FfmpegMissingError(`${FFMPEG_ENV} is set to ${explicit}, which is not an ffmpeg program that can be run.`);
    ffmpeg = explicit;
  } else {
    ffmpeg = await searchPath(`ffmpeg${exe}`, env, platform);
    if (ffmpeg === undefined) throw new FfmpegMissingError("Checking a video needs ffmpeg, which is not on the PATH.");
  }
  const probeExplicit = env[FFPROBE_ENV]?.trim();
  const beside = path.join(path.dirname(ffmpeg), `ffprobe${exe}`);
  const ffprobe = probeExplicit || ((await isExecutable(beside)) ? beside : await searchPath(`ffprobe${exe}`, env, platform));
  if (ffprobe === undefined || !(await isExecutable(ffprobe))) {
    throw new FfmpegMissingError(`ffmpeg was found at ${ffmpeg}, but ffprobe (which ships with it) was not found next to it or on the PATH.`);
  }
  const version = await versionOf(ffmpeg);
  await versionOf(ffprobe);
  return { ffmpeg, ffprobe, version };
}

/** The first line of `<program> -version`; a program that does not run is reported as missing. */
function versionOf(program: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(program, ["-hide_banner", "-version"], { timeout: 15_000, windowsHide: true }, (error, stdout) => {
      if (error) reject(new FfmpegMissingError(`${program} did not run (${error.message.split("\n", 1)[0]}).`));
      else resolve(stdout.split("\n", 1)[0].trim());
    });
  });
}

/** The first PATH entry holding an executable `name`. */
async function searchPath(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Promise<string | undefined> {
  const entries = (env.PATH ?? env.Path ?? "").split(platform === "win32" ? ";" : ":").filter(Boolean);
  for (const dir of entries) {
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
