/**
 * `space` interrupted for real: the command line is killed with SIGKILL (with the git it runs) at several moments of
 * a first run and of a re-run, and the disk fills up under it (a small tmpfs). Each time the next `space` completes
 * the folder, `deploy` uploads it to the fake hub (test/fixtures/fake-hub.ts), and an unfinished folder is never
 * uploaded.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";
import { deploySpace } from "../src/core/hub/deploy-space";
import { listSpaceFiles } from "../src/core/space/list-space-files";
import { SpaceError } from "../src/core/space/space-error";
import { makeFakeProject, type FakeProject } from "./fixtures/fake-export";
import { startFakeHub, type FakeHub } from "./fixtures/fake-hub";
import { makeTempDir, removeDir } from "./support/temp-dir";
import { mountTmpfs, type Tmpfs } from "./support/tmpfs";

const CLI = path.resolve(__dirname, "..", "src", "cli", "main.js");
const TOKEN = `hf_${randomBytes(17).toString("hex")}`;
const USER = "alice";

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the command line in its own process group. With `killWhen`, the group runs in slices of a fraction of a
 * millisecond and is stopped (SIGSTOP) in between, while `killWhen` looks at the folder; once it is true, the whole group (node
 * and the git it runs, as a closed terminal or `kill -9` would) gets SIGKILL in exactly the state that was seen.
 * Writing a Space takes milliseconds on a fast disk, too little to hit reliably by polling a running process.
 */
function runCli(args: string[], env: NodeJS.ProcessEnv, killWhen?: () => boolean): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    let exited = false;
    const group = (signal: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid as number), signal);
        return true;
      } catch {
        return false;
      }
    };
    const step = () => {
      if (exited || !group("SIGSTOP")) return;
      if (killWhen?.()) {
        group("SIGKILL");
        return;
      }
      group("SIGCONT");
      setImmediate(step);
    };
    if (killWhen) setImmediate(step);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      exited = true;
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function delayAfter(condition: () => boolean, ms: number): () => boolean {
  let since: number | undefined;
  return () => {
    if (since === undefined && condition()) since = Date.now();
    return since !== undefined && Date.now() - since >= ms;
  };
}

describe("space, interrupted", function () {
  this.timeout(300_000);
  let root: string;
  let project: FakeProject;
  let hub: FakeHub;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    root = await makeTempDir("dds-space-killed-");
    project = await makeFakeProject({ dir: path.join(root, "project") });
    hub = await startFakeHub({ accounts: { [TOKEN]: { user: USER, orgs: [], role: "write" } } });
    env = { ...process.env, HOME: path.join(root, "home"), HF_TOKEN: TOKEN, HF_ENDPOINT: hub.url };
  });
  after(async () => {
    await hub?.close();
    await removeDir(root);
  });

  const space = (out: string, extra: string[] = [], killWhen?: () => boolean) =>
    runCli(["--project", project.projectDir, "space", "--out", out, ...extra], env, killWhen);

  /** The next `space` completes the folder, and `deploy` uploads it as it is (it does not have to write it again). */
  async function completesAndDeploys(out: string, name: string): Promise<void> {
    const again = await space(out);
    assert.equal(again.code, 0, again.stderr);
    const manifest = JSON.parse(await fs.readFile(path.join(out, "space.json"), "utf8"));
    assert.equal(manifest.unfinished, undefined);
    assert.deepEqual(await listSpaceFiles(out), manifest.files, "exactly the files of a static Space");
    assert.equal(execFileSync("git", ["status", "--porcelain"], { cwd: out, encoding: "utf8" }), "", "everything committed");

    const deployed = await runCli(["--project", project.projectDir, "deploy", "--space", `${USER}/${name}`, "--out", out], env);
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.doesNotMatch(deployed.stderr, /writing it again|rewriting/, "deploy took the folder as it was");
    assert.deepEqual([...(hub.repos.get(`${USER}/${name}`)?.files.keys() ?? [])].sort(), (await listSpaceFiles(out)).sort());
  }

  const moments: Array<{ name: string; when: (out: string) => () => boolean }> = [
    { name: "as soon as the folder appears", when: (out) => () => existsSync(out) },
    { name: "as soon as space.json appears", when: (out) => () => existsSync(path.join(out, "space.json")) },
    { name: "as soon as the first picture is written", when: (out) => () => existsSync(path.join(out, "examples", "example-1.jpg")) },
    { name: "as soon as the model is written", when: (out) => () => existsSync(path.join(out, "model.onnx")) },
    { name: "100 ms after the folder appears", when: (out) => delayAfter(() => existsSync(out), 100) },
    { name: "while git commits", when: (out) => () => existsSync(path.join(out, ".git", "index")) },
  ];
  for (const [index, moment] of moments.entries()) {
    it(`a first run killed ${moment.name} is completed by the next one`, async () => {
      const out = path.join(root, `first-${index}`);
      const killed = await space(out, [], moment.when(out));
      assert.equal(killed.signal, "SIGKILL", `the run finished before it was killed: ${killed.stderr}`);
      await completesAndDeploys(out, `first-${index}`);
    });
  }

  it("a re-run killed half-way (static over gradio) is refused by deploy, then completed: no file of the old one is left", async () => {
    const out = path.join(root, "rerun");
    const gradio = await space(out, ["--sdk", "gradio"]);
    assert.equal(gradio.code, 0, gradio.stderr);
    const commits = execFileSync("git", ["rev-list", "--count", "HEAD"], { cwd: out, encoding: "utf8" }).trim();
    const killed = await space(out, [], () => existsSync(path.join(out, "index.html")));
    assert.equal(killed.signal, "SIGKILL");
    await assert.rejects(deploySpace({ spaceDir: out, repo: `${USER}/rerun`, sdk: "static", accessToken: TOKEN, hubUrl: hub.url }),
      (error: unknown) => error instanceof SpaceError && /is not finished: the `space` run that wrote it was interrupted/.test(error.message) && /deepfake-studio space/.test(error.hint ?? ""));
    assert.equal(hub.repos.has(`${USER}/rerun`), false, "nothing was uploaded");
    await completesAndDeploys(out, "rerun");
    assert.ok(!existsSync(path.join(out, "app.py")) && !existsSync(path.join(out, "requirements.txt")), "the Gradio app is gone");
    assert.equal(Number(execFileSync("git", ["rev-list", "--count", "HEAD"], { cwd: out, encoding: "utf8" }).trim()), Number(commits) + 1, "the history is kept");
  });

  it("a folder holding only the space.json.part of a run killed while it wrote space.json is taken and tidied", async () => {
    const out = path.join(root, "only-part");
    await fs.mkdir(out);
    await fs.writeFile(path.join(out, "space.json.part"), "{\"generator\": \"deepf");
    const again = await space(out, ["--no-git"]);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(!existsSync(path.join(out, "space.json.part")));
    assert.deepEqual(await listSpaceFiles(out), JSON.parse(await fs.readFile(path.join(out, "space.json"), "utf8")).files);
  });

  it("removes the .git/index.lock a killed git left (after giving a live git time to finish) and says so", async () => {
    const out = path.join(root, "first-0");
    await fs.writeFile(path.join(out, ".git", "index.lock"), "");
    await fs.writeFile(path.join(out, "style.css"), "/* changed by hand */");
    const again = await space(out);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(again.stderr.includes(`Removed ${path.join(out, ".git", "index.lock")}, which an interrupted git command had left behind.`), again.stderr);
    assert.equal(execFileSync("git", ["status", "--porcelain"], { cwd: out, encoding: "utf8" }), "");
  });

  it("deploy completes a folder an interrupted run left before it uploads", async () => {
    const out = path.join(root, "deploy-completes");
    const killed = await space(out, [], () => existsSync(path.join(out, "index.html")));
    assert.equal(killed.signal, "SIGKILL");
    const deployed = await runCli(["--project", project.projectDir, "deploy", "--space", `${USER}/deploy-completes`, "--out", out], env);
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.match(deployed.stderr, /was not finished \(the run that wrote it was interrupted\); writing it again/);
    assert.equal(JSON.parse(await fs.readFile(path.join(out, "space.json"), "utf8")).unfinished, undefined);
  });

  describe("on a full disk", () => {
    let disk: Tmpfs | undefined;
    after(async () => disk?.unmount());

    it("says so in words; deploy refuses the unfinished folder; with room again, space completes it and deploy uploads it", async () => {
      const reference = path.join(root, "first-0");
      const bytes = (await Promise.all((await listSpaceFiles(reference)).map((file) => fs.stat(path.join(reference, file))))).reduce((sum, stat) => sum + stat.size, 0);
      disk = await mountTmpfs(path.join(root, "small-disk"), Math.round(bytes * 0.5));
      const out = path.join(disk.dir, "space");

      const full = await space(out);
      assert.equal(full.code, 1, full.stderr);
      assert.ok(full.stderr.includes(`The disk is full, so the Space folder ${out} could not be written completely.`), full.stderr);
      assert.match(full.stderr, /run `deepfake-studio space` again: it completes the folder/);
      assert.doesNotMatch(full.stderr, /ENOSPC|\n\s+at /, "no errno, no stack trace");
      assert.equal(JSON.parse(await fs.readFile(path.join(out, "space.json"), "utf8")).unfinished, true);
      await assert.rejects(deploySpace({ spaceDir: out, repo: `${USER}/full`, sdk: "static", accessToken: TOKEN, hubUrl: hub.url }), (error: unknown) => error instanceof SpaceError && /is not finished/.test(error.message));

      // Room for the folder and the copies git and LFS keep of it.
      disk.resize(bytes * 4);
      await completesAndDeploys(out, "full");
    });
  });
});
