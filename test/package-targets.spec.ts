/**
 * The per-platform VS Code packages (scripts/package-all.mjs, `npm run package -- --target <t>`): every target is
 * built, opened, and each native file in it is checked by its header (ELF machine, PE machine, Mach-O CPU type)
 * against the target; nothing of another platform may be inside, and what the extension loads must be there.
 * Needs `npm run build` (npm test does it) and the platform packages in .vsix-cache/ or the npm cache/registry.
 */
import * as assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { nativeFormat } from "./support/native-format";
import { readEntryStart, readEntryText, readZip, type ZipEntry } from "./support/read-zip";
import { makeTempDir, removeDir } from "./support/temp-dir";

const ROOT = path.resolve(__dirname, "..", "..");
const TARGETS = ["win32-x64", "win32-arm64", "darwin-arm64", "linux-x64", "linux-arm64"] as const;
type Target = (typeof TARGETS)[number];
const PLATFORM_NAME = /(?:linux|linuxmusl|darwin|win32)[-/](?:x64|arm64|ia32|arm|ppc64|riscv64|s390x|wasm32)\b/g;
/** File names that are native code whatever their content: each must pass the header check. */
const NATIVE_NAME = /\.(node|dll|so(\.\d+)*|dylib|exe)$|\/(ffmpeg|ffprobe)$/;

describe("per-platform VS Code packages", function () {
  this.timeout(1_200_000);
  let out: string;
  const built = new Map<Target, { file: string; bytes: number }>();

  before(async function () {
    out = await makeTempDir("dds-vsix-");
    const started = Date.now();
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [path.join(ROOT, "scripts", "package-all.mjs"), "--out", out], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (error, text, stderr) =>
        error ? reject(new Error(`package-all failed: ${stderr || error.message}`)) : resolve(text));
    });
    for (const target of TARGETS) {
      const line = stdout.split("\n").find((text) => text.startsWith(`${target}: `));
      assert.ok(line, `no line for ${target} in:\n${stdout}`);
      built.set(target, { file: path.join(out, `deepfake-studio-${target}-0.1.0.vsix`), bytes: Number(/\(([\d.]+) MB/.exec(line)?.[1]) * 1e6 });
    }
    console.log(`      5 packages in ${((Date.now() - started) / 1000).toFixed(0)} s: ${TARGETS.map((target) => `${target} ${((built.get(target)?.bytes ?? 0) / 1e6).toFixed(1)} MB`).join(", ")}`);
  });
  after(async () => removeDir(out));

  for (const target of TARGETS) {
    it(`${target}: every native file is built for ${target}, nothing of another platform is inside, and what loads at run time is there`, async () => {
      const [os, cpu] = target.split("-");
      const { data, entries } = await readZip(built.get(target)!.file);
      const byName = new Map(entries.map((entry) => [entry.name, entry]));
      assert.match(readEntryText(data, byName.get("extension.vsixmanifest")!), new RegExp(`TargetPlatform="${target}"`));

      const natives: string[] = [];
      for (const entry of entries) {
        const format = nativeFormat(readEntryStart(data, entry, 4096));
        if (format === undefined) {
          assert.doesNotMatch(entry.name, NATIVE_NAME, `${entry.name} is named like native code but has no ELF, PE or Mach-O header`);
          continue;
        }
        natives.push(entry.name);
        assert.equal(format.os, os, `${entry.name} is ${format.os} code in the ${target} package`);
        assert.ok(format.cpus.includes(cpu), `${entry.name} is built for ${format.cpus.join("+")}, not ${cpu}`);
      }
      for (const entry of entries) {
        for (const named of entry.name.match(PLATFORM_NAME) ?? []) assert.equal(named.replace("/", "-"), target, `${entry.name} belongs to another platform`);
      }

      const exe = os === "win32" ? ".exe" : "";
      const programs = target === "win32-arm64" ? [] : [`extension/node_modules/@ffmpeg-installer/${target}/ffmpeg${exe}`, `extension/node_modules/@ffprobe-installer/${target}/ffprobe${exe}`];
      const required = [
        new RegExp(`^extension/node_modules/@img/sharp-${target}/lib/sharp-${target}[-\\d.]*\\.node$`),
        new RegExp(`^extension/node_modules/onnxruntime-node/bin/napi-v6/${os}/${cpu}/onnxruntime_binding\\.node$`),
        ...programs.map((name) => new RegExp(`^${name.replace(/[.]/g, "\\.")}$`)),
      ];
      for (const pattern of required) assert.ok(natives.some((name) => pattern.test(name)), `${pattern} missing from the ${target} package (natives: ${natives.join(", ")})`);
      if (os !== "win32") {
        for (const name of programs) assert.ok(((byName.get(name) as ZipEntry).mode & 0o111) !== 0, `${name} is not executable`);
      }
      if (target === "win32-arm64") assert.ok(!entries.some((entry) => /ff(mpeg|probe)-installer/.test(entry.name)), "win32-arm64 has no ffmpeg package: check uses the PATH's");
      assert.ok(entries.some((entry) => entry.name === "extension/out/dist/extension.js"), "the bundled extension");
      const bytes = built.get(target)!.bytes;
      assert.ok(bytes > 20e6 && bytes < 250e6, `${target}: ${(bytes / 1e6).toFixed(1)} MB`);
    });
  }

  it("refuses a platform tarball that does not match package-lock.json's integrity, and an unknown target", async () => {
    const cache = path.join(out, "tampered-cache");
    await fs.mkdir(cache);
    const lock = JSON.parse(await fs.readFile(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
    const version = lock.packages["node_modules/@img/sharp-win32-arm64"].version;
    await fs.writeFile(path.join(cache, `img-sharp-win32-arm64-${version}.tgz`), "not the tarball npm published");
    const script = path.join(ROOT, "scripts", "package-all.mjs");
    const failure = (args: string[]) => new Promise<string>((resolve) => execFile(process.execPath, [script, ...args], { cwd: ROOT }, (error, _stdout, stderr) => resolve(error ? stderr : "")));
    assert.match(await failure(["--target", "win32-arm64", "--cache", cache, "--out", path.join(out, "tampered")]), /does not match package-lock\.json's integrity for @img\/sharp-win32-arm64/);
    assert.match(await failure(["--target", "darwin-x64", "--out", path.join(out, "unknown")]), /Unknown target darwin-x64: use one of win32-x64, win32-arm64, darwin-arm64, linux-x64, linux-arm64/);
  });

  it("the package of this machine's platform runs: sharp, onnxruntime-node and the packaged ffmpeg load from the unpacked .vsix alone", async function () {
    const host = `${process.platform}-${process.arch}` as Target;
    assert.ok(TARGETS.includes(host), `this machine (${host}) has no package to try`);
    const { data, entries } = await readZip(built.get(host)!.file);
    const dir = path.join(out, "unpacked");
    for (const entry of entries.filter((item) => item.name.startsWith("extension/") && !item.name.endsWith("/"))) {
      const file = path.join(dir, ...entry.name.split("/"));
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, readEntryStart(data, entry, entry.size, entry.compressedSize), { mode: entry.mode & 0o777 || 0o644 });
    }
    const modules = path.join(dir, "extension", "node_modules");
    // A child process with no NODE_PATH, started in the unpacked folder: nothing can come from this repository's node_modules.
    const script = `
      const sharp = require(${JSON.stringify(path.join(modules, "sharp"))});
      const ort = require(${JSON.stringify(path.join(modules, "onnxruntime-node"))});
      sharp({ create: { width: 4, height: 4, channels: 3, background: "#f00" } }).png().toBuffer().then((png) => {
        console.log(JSON.stringify({ png: png.length, vips: sharp.versions.vips, backends: ort.listSupportedBackends().map((backend) => backend.name) }));
      });`;
    const env = { PATH: process.env.PATH ?? "" };
    const loaded = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: dir, env, encoding: "utf8" })) as { png: number; vips: string; backends: string[] };
    assert.ok(loaded.png > 0 && /^\d+\.\d+/.test(loaded.vips) && loaded.backends.includes("cpu"), JSON.stringify(loaded));
    const ffmpeg = path.join(modules, "@ffmpeg-installer", host, process.platform === "win32" ? "ffmpeg.exe" : "ffmpeg");
    assert.match(execFileSync(ffmpeg, ["-hide_banner", "-version"], { encoding: "utf8" }), /^ffmpeg version/);
  });
});
