/**
 * Finds the ffmpeg and ffprobe a video check runs: a program the user names (the VS Code setting, then
 * DEEPFAKE_STUDIO_FFMPEG) wins; else the copies that ship with the studio as npm packages
 * (@ffmpeg-installer/<platform>-<arch>, @ffprobe-installer/<platform>-<arch>, binaries inside the tarballs);
 * else the PATH, for platforms with no such package (win32-arm64). Nothing is downloaded.
 */
import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { FfmpegMissingError } from "./video-errors";

/** The two programs a video check runs, and ffmpeg's version line for reports. */
export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
  /** e.g. "ffmpeg version 5.1.6-0+deb12u1". */
  version: string;
  /** Where they came from: the user's setting or variable, the npm packages, or the PATH. */
  source: "setting" | "environment" | "package" | "path";
}

/** Parameters of findFfmpeg; env, platform and arch default to this process's. */
export interface FindFfmpegParams {
  /** The ffmpeg program the user chose in the editor (VS Code setting deepfakeStudio.check.ffmpegPath); wins over everything. */
  ffmpegPath?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  arch?: string;
  /** Folder the npm packages are resolved from (default: this module's); a test points it at an empty folder. */
  packagesFrom?: string;
}

/** Environment variable naming the ffmpeg program; ffprobe is taken from DEEPFAKE_STUDIO_FFPROBE or the same folder. */
export const FFMPEG_ENV = "DEEPFAKE_STUDIO_FFMPEG";
export const FFPROBE_ENV = "DEEPFAKE_STUDIO_FFPROBE";
/** The VS Code setting passed down as `ffmpegPath`. */
export const FFMPEG_SETTING = "deepfakeStudio.check.ffmpegPath";

const found = new Map<string, Promise<FfmpegTools>>();

/** Locates ffmpeg + ffprobe and checks that they run; throws FfmpegMissingError saying what was tried. Cached per setting. */
export function findFfmpeg(params: FindFfmpegParams = {}): Promise<FfmpegTools> {
  const env = params.env ?? process.env;
  const where = { platform: params.platform ?? process.platform, arch: params.arch ?? process.arch, packagesFrom: params.packagesFrom ?? __dirname };
  const key = [params.ffmpegPath ?? "", env[FFMPEG_ENV] ?? "", env[FFPROBE_ENV] ?? "", env.PATH ?? env.Path ?? "", where.platform, where.arch, where.packagesFrom].join("\0");
  let pending = found.get(key);
  if (pending === undefined) {
    pending = locate(params.ffmpegPath?.trim(), env, where);
    found.set(key, pending);
    // A failure is not cached: the user may install ffmpeg and try again in the same editor session.
    pending.catch(() => found.delete(key));
  }
  return pending;
}

interface Where {
  platform: NodeJS.Platform;
  arch: string;
  packagesFrom: string;
}

async function locate(setting: string | undefined, env: NodeJS.ProcessEnv, where: Where): Promise<FfmpegTools> {
  const exe = where.platform === "win32" ? ".exe" : "";
  const variable = env[FFMPEG_ENV]?.trim();
  const explicit = setting ? { program: setting, named: `The setting ${FFMPEG_SETTING}`, source: "setting" as const } : variable ? { program: variable, named: FFMPEG_ENV, source: "environment" as const } : undefined;
  if (explicit !== undefined) {
    if (!(await isExecutable(explicit.program))) throw new FfmpegMissingError(`${explicit.named} is set to ${explicit.program}, which is not an ffmpeg program that can be run.`);
    const probeExplicit = env[FFPROBE_ENV]?.trim();
    const beside = path.join(path.dirname(explicit.program), `ffprobe${exe}`);
    const ffprobe = probeExplicit || ((await isExecutable(beside)) ? beside : await searchPath(`ffprobe${exe}`, env, where.platform));
    if (ffprobe === undefined || !(await isExecutable(ffprobe))) {
      throw new FfmpegMissingError(`ffmpeg was found at ${explicit.program} (${explicit.named}), but ffprobe (which ships with it) was not found next to it or on the PATH.`);
    }
    return confirm(explicit.program, ffprobe, explicit.source);
  }
  const packaged = await packagedTools(where, exe);
  if (packaged !== undefined) return confirm(packaged.ffmpeg, packaged.ffprobe, "package");
  const ffmpeg = await searchPath(`ffmpeg${exe}`, env, where.platform);
  const ffprobe = await searchPath(`ffprobe${exe}`, env, where.platform);
  if (ffmpeg === undefined || ffprobe === undefined) {
    const target = `${where.platform}-${where.arch}`;
    throw new FfmpegMissingError(
      `Checking a video needs ffmpeg and ffprobe. The copies that ship with Deepfake Studio (npm packages @ffmpeg-installer/${target} and @ffprobe-installer/${target}) ` +
        `are not installed${target === "win32-arm64" ? " (none exist for win32-arm64)" : ""}, and ${ffmpeg === undefined ? "ffmpeg" : "ffprobe"} is not on the PATH.`,
    );
  }
  return confirm(ffmpeg, ffprobe, "path");
}

/** Both programs run; ffmpeg's version line is kept for reports. */
async function confirm(ffmpeg: string, ffprobe: string, source: FfmpegTools["source"]): Promise<FfmpegTools> {
  const version = await versionOf(ffmpeg);
  await versionOf(ffprobe);
  return { ffmpeg, ffprobe, version, source };
}

/** The ffmpeg + ffprobe of this platform's npm packages, when both are installed. */
async function packagedTools(where: Where, exe: string): Promise<{ ffmpeg: string; ffprobe: string } | undefined> {
  const ffmpeg = await packagedProgram(`@ffmpeg-installer/${where.platform}-${where.arch}`, `ffmpeg${exe}`, where);
  const ffprobe = ffmpeg && (await packagedProgram(`@ffprobe-installer/${where.platform}-${where.arch}`, `ffprobe${exe}`, where));
  return ffmpeg && ffprobe ? { ffmpeg, ffprobe } : undefined;
}

/** The program inside an installed npm package, made executable if the install skipped the package's own `chmod u+x`. */
async function packagedProgram(pkg: string, program: string, where: Where): Promise<string | undefined> {
  let file: string;
  try {
    // createRequire, not require.resolve: the bundled extension must resolve from its own node_modules at run time.
    file = path.join(path.dirname(createRequire(path.join(where.packagesFrom, "noop.js")).resolve(`${pkg}/package.json`)), program);
  } catch {
    return undefined;
  }
  if (await isExecutable(file)) return file;
  if (where.platform === "win32" || !(await isFile(file))) return undefined;
  // npm install --ignore-scripts (or an allowScripts policy) leaves ffprobe without its execute bit.
  await fs.chmod(file, 0o755).catch(() => undefined);
  return (await isExecutable(file)) ? file : undefined;
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

async function isFile(file: string): Promise<boolean> {
  return fs.stat(file).then((stat) => stat.isFile(), () => false);
}

async function isExecutable(file: string): Promise<boolean> {
  if (!(await isFile(file))) return false;
  return fs.access(file, fs.constants.X_OK).then(() => true, () => false);
}
