/**
 * The command line as people install it: `npm pack` (prepack builds and adds npm-shrinkwrap.json), then
 * `npm install -g <tarball>` into a temporary prefix, then the lesson's loop run from an unrelated folder with
 * the installed `deepfake-studio` only: --help, init, import, train (offline backbone), export, predict.
 * The install takes its packages from the npm cache (`npm ci` filled it) and asks the registry only for what is
 * missing there (--prefer-offline); the CLI loop itself is offline. Slow (a minute or two): one test.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { makePhoto } from "./fixtures/make-images";
import { makeTempDir, removeDir } from "./support/temp-dir";

const ROOT = path.resolve(__dirname, "..", "..");
const LABELS = ["Deepfake Tom Cruise", "Real Tom Cruise"];

describe("the CLI package (npm pack → npm install -g)", function () {
  this.timeout(900_000);
  let tmp: string;

  before(async () => {
    tmp = await makeTempDir("dds-cli-package-");
  });
  after(async () => removeDir(tmp));

  it("installs from its tarball into a fresh prefix and runs init → import → train → export → predict from any folder", async () => {
    const packed = await npm(["pack", "--pack-destination", tmp, "--json"], { cwd: ROOT });
    const [{ filename, files }] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const names = files.map((file) => file.path);
    for (const needed of ["package.json", "README.md", "npm-shrinkwrap.json", "out/src/cli/main.js", "out/src/core/train/train.js", "templates/static/index.html", "templates/gradio/app.py"]) {
      assert.ok(names.includes(needed), `${needed} is in the tarball`);
    }
    const stray = names.filter((name) => /^(src|test|bench|webview|scripts|docs|media|\.github)\/|^out\/(test|bench|dist)\/|\.(map|ts)$/.test(name));
    assert.deepEqual(stray, [], "only built code, templates and the manifest are published");
    assert.ok(!(await exists(path.join(ROOT, "npm-shrinkwrap.json"))), "postpack removed the shrinkwrap copy from the repository");

    const prefix = path.join(tmp, "prefix");
    // ONNXRUNTIME_NODE_INSTALL=skip: npm 10 would run onnxruntime-node's script, which fetches CUDA parts (npm 11 asks first).
    const npmEnv = { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip" };
    await npm(["install", "--global", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", path.join(tmp, filename)], { cwd: tmp, env: npmEnv });
    // The installed command: the bin link on macOS and Linux; on Windows the package's main.js that the .cmd shim
    // runs (a .cmd needs a shell, which would split the labels' spaces).
    const installedMain = path.join(prefix, "node_modules", "deepfake-studio", "out", "src", "cli", "main.js");
    const bin = process.platform === "win32" ? process.execPath : path.join(prefix, "bin", "deepfake-studio");
    const binArgs = process.platform === "win32" ? [installedMain] : [];
    if (process.platform === "win32") assert.ok(await exists(path.join(prefix, "deepfake-studio.cmd")), "the .cmd shim");

    // Nothing from this repository: a folder elsewhere, a PATH with the prefix's bin and node only, a cache of its own.
    await fs.mkdir(path.join(tmp, "work"));
    const work = await fs.realpath(path.join(tmp, "work")); // as the CLI sees its cwd (macOS: /private/var/…)
    const env = { PATH: [path.dirname(bin), path.dirname(process.execPath)].join(path.delimiter), HOME: tmp, USERPROFILE: tmp, DEEPFAKE_STUDIO_CACHE: path.join(tmp, "cache") };
    const cli = (args: string[]) => run(bin, [...binArgs, ...args], { cwd: work, env });

    assert.match((await cli(["--help"])).stdout, /Usage: deepfake-studio/);
    await cli(["init"]);
    assert.ok(await exists(path.join(work, "deepfake-studio.json")));
    for (const [index, label] of LABELS.entries()) {
      const folder = path.join(tmp, `photos-${index}`);
      await fs.mkdir(folder);
      for (let i = 0; i < 8; i++) await fs.writeFile(path.join(folder, `photo-${i}.jpg`), await makePhoto(100 * index + i, 320, 240));
      const imported = JSON.parse((await cli(["import", folder, "--label", label, "--json"])).stdout) as { categories: Array<{ label: string; kept: number }> };
      assert.deepEqual(imported.categories.map((category) => [category.label, category.kept]), [[label, 8]]);
    }
    const trained = JSON.parse((await cli(["train", "--backbone", "nsfwjs-mobilenet_v2", "-e", "2", "--json"])).stdout) as { runDir: string; metrics: { epochs: unknown[] } };
    assert.equal(path.dirname(trained.runDir), path.join(work, "runs"));
    assert.equal(trained.metrics.epochs.length, 2);
    await cli(["export"]);
    for (const file of ["model.onnx", "labels.json", "preprocess.json"]) assert.ok(await exists(path.join(work, "export", file)), `export/${file}`);
    const predicted = JSON.parse((await cli(["predict", path.join(tmp, "photos-0", "photo-0.jpg"), "--json"])).stdout) as Array<{ label: string; probabilities: Record<string, number> }>;
    assert.ok(LABELS.includes(predicted[0].label), JSON.stringify(predicted));
    const total = Object.values(predicted[0].probabilities).reduce((sum, p) => sum + p, 0);
    assert.ok(Math.abs(total - 1) < 1e-3, `probabilities sum to ${total}`);
  });
});

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

/** Runs npm: the one running the tests under `npm test` (npm_execpath), else the PATH's (a shell for npm.cmd on Windows). */
function npm(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ stdout: string; stderr: string }> {
  const cli = process.env.npm_execpath;
  if (cli && /\.c?js$/.test(cli)) return run(process.execPath, [cli, ...args], options);
  return process.platform === "win32" ? run("npm.cmd", args, { ...options, shell: true }) : run("npm", args, options);
}

/** Runs a program to completion; rejects with its output when it fails. */
function run(program: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; shell?: boolean }): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { ...options, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${path.basename(program)} ${args.join(" ")} failed (${error.message.split("\n", 1)[0]}):\n${stderr}\n${stdout}`.slice(0, 6000))) : resolve({ stdout, stderr }));
  });
}
