/**
 * The ffmpeg that ships with the studio (npm packages @ffmpeg-installer/<platform> + @ffprobe-installer/<platform>):
 * `check` samples a real video with no ffmpeg on the PATH; a setting or DEEPFAKE_STUDIO_FFMPEG overrides the
 * packaged copy; where no package exists (win32-arm64) and the PATH has none, the message names both ways out.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { FfmpegMissingError } from "../src/core/video/video-errors";
import { FFMPEG_ENV, FFMPEG_SETTING, findFfmpeg } from "../src/core/video/find-ffmpeg";
import { loadSourceFaces } from "../src/core/reference-data/load-source-faces";
import { renderFaceSample } from "../src/core/reference-data/render-face-sample";
import { makeFakeProject } from "./fixtures/fake-export";
import { makeTempDir, removeDir } from "./support/temp-dir";

const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "out", "src", "cli", "main.js");

describe("the ffmpeg that ships with the studio", function () {
  this.timeout(180_000);
  let tmp: string;
  /** A folder with nothing in it: a PATH on which no ffmpeg can be found. */
  let emptyBin: string;

  before(async () => {
    tmp = await makeTempDir("dds-ffmpeg-");
    emptyBin = path.join(tmp, "empty-bin");
    await fs.mkdir(emptyBin);
  });
  after(async () => removeDir(tmp));

  it("is found in node_modules with no ffmpeg on the PATH", async () => {
    const tools = await findFfmpeg({ env: { PATH: emptyBin } });
    assert.equal(tools.source, "package");
    assert.equal(tools.ffmpeg, path.join(ROOT, "node_modules", "@ffmpeg-installer", `${process.platform}-${process.arch}`, process.platform === "win32" ? "ffmpeg.exe" : "ffmpeg"));
    assert.match(tools.ffprobe, /@ffprobe-installer[\\/][a-z0-9]+-[a-z0-9]+[\\/]ffprobe(\.exe)?$/);
    assert.match(tools.version, /^ffmpeg version /);
  });

  it("makes the packaged programs executable when the install skipped their chmod (npm --ignore-scripts, an allowScripts policy)", async () => {
    const unix = process.platform !== "win32"; // Windows has no execute bit: there the copy is only found
    const installed = await findFfmpeg({ env: { PATH: emptyBin } });
    // A copy of both packages as `npm install --ignore-scripts` leaves them: ffprobe's tarball has mode 644.
    const modules = path.join(tmp, "ignore-scripts", "node_modules");
    for (const program of [installed.ffmpeg, installed.ffprobe]) {
      const target = path.join(modules, path.basename(path.dirname(path.dirname(program))), path.basename(path.dirname(program)));
      await fs.mkdir(target, { recursive: true });
      await fs.copyFile(path.join(path.dirname(program), "package.json"), path.join(target, "package.json"));
      await fs.copyFile(program, path.join(target, path.basename(program)));
      if (unix) await fs.chmod(path.join(target, path.basename(program)), 0o644);
    }
    const tools = await findFfmpeg({ env: { PATH: emptyBin }, packagesFrom: path.join(tmp, "ignore-scripts") });
    assert.equal(tools.source, "package");
    assert.ok(tools.ffprobe.startsWith(modules), tools.ffprobe);
    for (const program of unix ? [tools.ffmpeg, tools.ffprobe] : []) assert.equal((await fs.stat(program)).mode & 0o111, 0o111, `${program} is executable`);
  });

  it("`check` samples a real video made by the packaged ffmpeg, with a PATH that has no ffmpeg", async () => {
    const tools = await findFfmpeg({ env: { PATH: emptyBin } });
    // A face photo from the reference data, held for 3 s at 10 fps in an H.264 MP4: enough for check's face detector.
    const { photos, faces } = await loadSourceFaces();
    const still = renderFaceSample({ photos, face: faces[1], variation: { margin: 2.6, offsetX: 0, offsetY: 0.08, rotation: 0, flip: false, brightness: 1 }, size: 320 });
    const png = path.join(tmp, "face.png");
    await sharp(still.pixels, { raw: { width: 320, height: 320, channels: 3 } }).png().toFile(png);
    const video = path.join(tmp, "face.mp4");
    await run(tools.ffmpeg, ["-hide_banner", "-loglevel", "error", "-y", "-loop", "1", "-i", png, "-t", "3", "-r", "10", "-c:v", "libx264", "-pix_fmt", "yuv420p", video]);
    const project = await makeFakeProject({ dir: path.join(tmp, "project") });
    const env = { ...process.env, PATH: emptyBin, [FFMPEG_ENV]: "", DEEPFAKE_STUDIO_FFPROBE: "" };
    const { stdout } = await run(process.execPath, [CLI, "check", video, "--model", project.exportDir, "--no-report", "--json"], { env, cwd: tmp });
    const [result] = JSON.parse(stdout) as Array<{ kind?: string; error?: string; summary?: { frames: number; faces: number } }>;
    assert.equal(result.error, undefined, result.error);
    assert.equal(result.kind, "video");
    assert.equal(result.summary?.frames, 6, "3 s sampled at 2 fps");
    assert.ok((result.summary?.faces ?? 0) >= 5, `faces found: ${result.summary?.faces}`);
  });

  it("a setting, then DEEPFAKE_STUDIO_FFMPEG, win over the packaged copy; a broken one is named, not skipped", async () => {
    const packaged = await findFfmpeg({ env: { PATH: emptyBin } });
    const mine = path.join(tmp, "my-ffmpeg");
    await fs.mkdir(mine);
    const exe = process.platform === "win32" ? ".exe" : "";
    await fs.copyFile(packaged.ffmpeg, path.join(mine, `ffmpeg${exe}`));
    await fs.copyFile(packaged.ffprobe, path.join(mine, `ffprobe${exe}`));
    await Promise.all([fs.chmod(path.join(mine, `ffmpeg${exe}`), 0o755), fs.chmod(path.join(mine, `ffprobe${exe}`), 0o755)]);
    const fromSetting = await findFfmpeg({ ffmpegPath: path.join(mine, `ffmpeg${exe}`), env: { PATH: emptyBin, [FFMPEG_ENV]: "/nowhere/ffmpeg" } });
    assert.deepEqual([fromSetting.source, fromSetting.ffprobe], ["setting", path.join(mine, `ffprobe${exe}`)]);
    const fromEnv = await findFfmpeg({ env: { PATH: emptyBin, [FFMPEG_ENV]: path.join(mine, `ffmpeg${exe}`) } });
    assert.equal(fromEnv.source, "environment");
    await assert.rejects(findFfmpeg({ ffmpegPath: path.join(tmp, "no-such-ffmpeg"), env: { PATH: emptyBin } }), (error: unknown) =>
      error instanceof FfmpegMissingError && error.message.includes(FFMPEG_SETTING) && error.message.includes("no-such-ffmpeg"));
  });

  it("with no package for the platform (win32-arm64) and none on the PATH, says so and names both ways out", async () => {
    const error = await findFfmpeg({ env: { PATH: emptyBin }, platform: "win32", arch: "arm64" }).then(() => undefined, (caught: unknown) => caught);
    assert.ok(error instanceof FfmpegMissingError, String(error));
    assert.equal(error.code, "ffmpeg-missing");
    assert.match(error.message, /@ffmpeg-installer\/win32-arm64/);
    assert.match(error.message, /none exist for win32-arm64/);
    assert.match(error.message, /not on the PATH/);
    assert.match(error.hint ?? "", /winget install ffmpeg/);
    assert.match(error.hint ?? "", /DEEPFAKE_STUDIO_FFMPEG/);
    assert.match(error.hint ?? "", /deepfakeStudio\.check\.ffmpegPath/);
    // An installed platform whose packages are missing (resolved from an empty folder) falls to the PATH the same way.
    await assert.rejects(findFfmpeg({ env: { PATH: emptyBin }, packagesFrom: emptyBin }), /@ffmpeg-installer\/.*are not installed, and ffmpeg is not on the PATH/);
  });
});

/** Runs a program; rejects with its stderr. */
function run(program: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { ...options, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => (error ? reject(new Error(`${path.basename(program)} ${args.join(" ")} failed: ${stderr || error.message}`)) : resolve({ stdout, stderr })));
  });
}
