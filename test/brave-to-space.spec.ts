/**
 * The Brave Search API key end to end (issue 17: "keys never appear in output, logs, manifest, Space or git
 * history"): gather with the brave engine against a local Brave API that speaks its protocol (reached through
 * HTTPS_PROXY as the real one would be), then `space` (its own git repository and commit), then the project put
 * under git as a user would. The key is looked for in every file of the project and the Space, in every object of
 * both git repositories (decompressed), and in everything the CLI printed.
 */
import { strict as assert } from "node:assert";
import { execFile, spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { readManifest } from "../src/core/dataset/manifest";
import { CONFIG_FILE_NAME } from "../src/core/project/project-config";
import { startFakeDuckDuckGo, type FakeDuckDuckGo } from "./fixtures/fake-duckduckgo";
import { startFakeEngines, type FakeEngines } from "./fixtures/fake-engines";
import { FAKE_LABELS, makeFakeProject, type FakeProject } from "./fixtures/fake-export";
import { startImageHost, type ImageHost } from "./fixtures/image-host";
import { requireSystem } from "./support/require-system";
import { runCli, type CliResult } from "./support/run-cli";
import { listTree, makeTempDir, removeDir } from "./support/temp-dir";

const BRAVE_KEY = "BSA-e2e-secret-7c1f0b9a4d2e";

describe("the Brave key, from gather to a committed Space", function () {
  this.timeout(240_000);
  let duck: FakeDuckDuckGo;
  let engines: FakeEngines;
  let host: ImageHost;
  let tmp: string;
  let project: FakeProject;
  const printed: CliResult[] = [];

  before(async () => {
    requireSystem(spawnSync("git", ["--version"]).status === 0, "git", "git");
    [duck, engines, host] = await Promise.all([startFakeDuckDuckGo(), startFakeEngines(BRAVE_KEY), startImageHost()]);
    engines.attach(duck);
    tmp = await makeTempDir("dds-brave-space-");
    project = await makeFakeProject({ dir: path.join(tmp, "project") });
  });
  after(async () => {
    await Promise.all([duck?.close(), engines?.close(), host?.close()]);
    await removeDir(tmp);
  });

  /** The built CLI, through the fake proxy, trusting the fake engines' certificate as NODE_EXTRA_CA_CERTS would. */
  async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    const result = await runCli(["--project", project.projectDir, ...args], {
      HTTP_PROXY: duck.proxyUrl, HTTPS_PROXY: duck.proxyUrl, http_proxy: undefined, https_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined,
      NODE_EXTRA_CA_CERTS: engines.caFile, BRAVE_API_KEY: undefined, ...env,
    });
    printed.push(result);
    return result;
  }

  it("gathers with brave only: the key reaches the API in its header, the manifest records brave", async () => {
    const file = path.join(project.projectDir, CONFIG_FILE_NAME);
    const config = JSON.parse(await fs.readFile(file, "utf8")) as Record<string, unknown>;
    await fs.writeFile(file, JSON.stringify({ ...config, maxImages: 3, search: { engines: ["brave"], delaySeconds: 0, retries: 1, backoffSeconds: 0.01, timeoutSeconds: 5 } }, null, 2));
    FAKE_LABELS.forEach((label, index) => {
      engines.results.brave.set(`${label} photo`, [0, 1].map((i) => ({ image: host.photo(371 + index * 10 + i), page: `https://pages.example/brave/${index}/${i}`, title: `${label} ${i}` })));
    });
    const gathered = await cli(["gather"], { BRAVE_API_KEY: BRAVE_KEY });
    assert.equal(gathered.code, 0, gathered.stderr);
    assert.match(gathered.stdout, /brave 2\/2/);
    assert.deepEqual(engines.braveTokens, [BRAVE_KEY, BRAVE_KEY], "one search per category, the key in X-Subscription-Token");
    const manifest = await readManifest(project.dataDir);
    assert.equal(manifest.filter((record) => record.source === "brave").length, 4);
  });

  it("writes and commits the Space, which credits brave; the project goes under git too", async () => {
    const space = await cli(["space"]);
    assert.equal(space.code, 0, space.stderr);
    const spaceDir = path.join(project.projectDir, "space");
    assert.match(await fs.readFile(path.join(spaceDir, "README.md"), "utf8"), /brave/);
    assert.ok((await git(spaceDir, ["rev-list", "--all"])).trim().length > 0, "the Space has a commit");
    // A user who versions the whole project (the Space folder stays its own repository).
    await git(project.projectDir, ["init", "-q"]);
    await git(project.projectDir, ["add", "-A"]);
    await git(project.projectDir, ["-c", "user.name=Test", "-c", "user.email=test@example.invalid", "commit", "-q", "-m", "project"]);
  });

  it("the key is in no file of the project or the Space, no object of either git history, nothing printed", async () => {
    const root = project.projectDir;
    const files = await listTree(root);
    assert.ok(files.some((file) => file.startsWith("space/.git/")) && files.some((file) => file.startsWith(".git/")), "both repositories are searched");
    const leaks: string[] = [];
    for (const file of files) {
      if ((await fs.readFile(path.join(root, file))).includes(BRAVE_KEY)) leaks.push(file);
    }
    for (const repo of [root, path.join(root, "space")]) {
      // Every object, loose or packed, decompressed: what the history holds.
      const objects = spawnSync("git", ["cat-file", "--batch-all-objects", "--batch"], { cwd: repo, maxBuffer: 512 * 1024 * 1024 });
      assert.equal(objects.status, 0, String(objects.stderr));
      assert.ok(objects.stdout.length > 0);
      if (objects.stdout.includes(BRAVE_KEY)) leaks.push(`git objects of ${path.relative(root, repo) || "the project"}`);
    }
    printed.forEach((result, index) => {
      if (`${result.stdout}${result.stderr}`.includes(BRAVE_KEY)) leaks.push(`CLI run ${index + 1}`);
    });
    assert.deepEqual(leaks, []);
  });
});

function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("git", args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => (error ? reject(new Error(`git ${args.join(" ")}: ${stderr || error.message}`)) : resolve(stdout)));
  });
}
