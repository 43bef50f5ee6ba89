/**
 * `deploy`: a Space folder pushed to a fake Hugging Face Hub that speaks the protocol @huggingface/hub really uses
 * (test/fixtures/fake-hub.ts). Checks what the Space ends up holding, that a re-deploy sends nothing, the messages
 * for 401/402/403/409/413/5xx/network failures, the token lookup, and that the token never leaks anywhere.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { deploySpace, type DeploySpaceParams, type DeploySpaceResult } from "../src/core/hub/deploy-space";
import { findHfToken } from "../src/core/hub/find-hf-token";
import { HubError } from "../src/core/hub/hub-error";
import { createSpace } from "../src/core/space/create-space";
import { parseFrontMatter } from "../src/core/space/parse-front-matter";
import { CancelledError } from "../src/core/shared/errors";
import { SpaceError } from "../src/core/space/space-error";
import { makeFakeProject, type FakeProject } from "./fixtures/fake-export";
import { startFakeHub, type FakeHub } from "./fixtures/fake-hub";
import { startPasswordProxy, startSelfSignedServer, startSilentServer } from "./fixtures/network-faults";
import { makeTempDir, removeDir } from "./support/temp-dir";

const TOKEN = `hf_${randomBytes(17).toString("hex")}`;
const READ_TOKEN = `hf_${randomBytes(17).toString("hex")}`;
const WRONG_TOKEN = `hf_${randomBytes(17).toString("hex")}`;
const USER = "alice";
const ORG = "deepfake-lab";

describe("deploy", function () {
  this.timeout(120_000);
  let root: string;
  let project: FakeProject;
  let staticDir: string;
  let hub: FakeHub;
  /** Everything any deploy printed or reported, to grep for the token at the end. */
  const transcript: string[] = [];

  before(async () => {
    root = await makeTempDir("dds-deploy-");
    project = await makeFakeProject({ dir: path.join(root, "project") });
    staticDir = (await createSpace({ projectDir: project.projectDir })).spaceDir;
    hub = await startFakeHub({ accounts: { [TOKEN]: { user: USER, orgs: [ORG], role: "write" }, [READ_TOKEN]: { user: USER, orgs: [], role: "read" } } });
  });
  after(async () => {
    await hub?.close();
    await removeDir(root);
  });

  function deploy(overrides: Partial<DeploySpaceParams> = {}): Promise<DeploySpaceResult> {
    return deploySpace({
      spaceDir: staticDir,
      repo: `${USER}/tom-cruise-detector`,
      sdk: "static",
      accessToken: TOKEN,
      hubUrl: hub.url,
      retryDelayMs: 5,
      onProgress: (event) => transcript.push(JSON.stringify(event)),
      ...overrides,
    }).then((result) => {
      transcript.push(JSON.stringify(result));
      return result;
    }, (error: unknown) => {
      transcript.push(String(error), (error as HubError).hint ?? "");
      throw error;
    });
  }

  async function localFiles(dir: string): Promise<Map<string, Buffer>> {
    const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
    const files = entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join("/")).filter((file) => !file.startsWith(".git/"));
    return new Map(await Promise.all(files.map(async (file) => [file, await fs.readFile(path.join(dir, file))] as const)));
  }

  it("creates a static Space and uploads the folder, binaries through LFS", async () => {
    const result = await deploy();
    assert.equal(result.url, `${hub.url}/spaces/${USER}/tom-cruise-detector`);
    assert.equal(result.user, USER);
    assert.equal(result.created, true);
    assert.ok(result.commit?.oid);
    const repo = hub.repos.get(`${USER}/tom-cruise-detector`);
    assert.ok(repo);
    assert.equal(repo.type, "space");
    assert.equal(repo.sdk, "static");
    assert.equal(repo.private, false);

    const local = await localFiles(staticDir);
    const remote = hub.spaceFiles(repo.name);
    assert.deepEqual([...remote.keys()].sort(), [...local.keys()].sort());
    for (const [file, bytes] of local) assert.ok(remote.get(file)?.equals(bytes), `${file} arrived intact`);

    for (const [file, stored] of repo.files) {
      const binary = /\.(onnx|jpe?g|png|webp|wasm)$/.test(file);
      assert.equal(!!stored.lfs, binary, `${file} ${binary ? "in LFS" : "a regular file"}`);
    }
    const model = repo.files.get("model.onnx");
    assert.equal(model?.lfs?.oid, createHash("sha256").update(local.get("model.onnx")!).digest("hex"));
    assert.match(model!.content.toString("utf8"), /^version https:\/\/git-lfs\.github\.com\/spec\/v1\noid sha256:[0-9a-f]{64}\nsize \d+\n$/);

    const { data } = parseFrontMatter(remote.get("README.md")!.toString("utf8"));
    assert.equal(data?.sdk, "static");
    assert.equal(data?.app_file, "index.html");
    assert.ok(remote.has(String(data?.app_file)));
    assert.ok([...String(data?.short_description)].length <= 60);

    assert.deepEqual(hub.lfsTransfers.flat().filter((transfer) => transfer === "xet"), [], "plain LFS, never xet");
    assert.deepEqual(hub.unknownRequests, [], "only routes the real hub has");
    assert.deepEqual(hub.lfsPuts().length, 5, "model, three examples, the WebAssembly runtime");
  });

  it("re-deploying an unchanged folder sends nothing; a change sends only that file", async () => {
    const putsBefore = hub.lfsPuts().length;
    const repo = hub.repos.get(`${USER}/tom-cruise-detector`)!;
    const commitsBefore = repo.commits.length;
    hub.requests.length = 0;

    const again = await deploy();
    assert.equal(again.created, false, "409 means it exists");
    assert.equal(again.commit, undefined);
    assert.deepEqual(again.uploaded, []);
    assert.equal(hub.lfsPuts().length, putsBefore, "no LFS object uploaded");
    assert.equal(repo.commits.length, commitsBefore, "no empty commit");
    assert.deepEqual(hub.requests.map((request) => `${request.method} ${request.status}`), ["GET 200", "POST 409", "GET 200"]);

    await fs.appendFile(path.join(staticDir, "style.css"), "\n/* tweak */\n");
    const changed = await deploy();
    assert.deepEqual(changed.uploaded, ["style.css"]);
    assert.equal(hub.lfsPuts().length, putsBefore);
    assert.deepEqual(repo.commits.at(-1)?.paths, ["style.css"]);
  });

  it("lets the hub skip LFS objects it already has, and removes examples the folder dropped", async () => {
    const putsBefore = hub.lfsPuts().length;
    const copy = path.join(staticDir, "examples", "example-4.jpg");
    await fs.copyFile(path.join(staticDir, "examples", "example-1.jpg"), copy);
    const added = await deploy();
    assert.deepEqual(added.uploaded, ["examples/example-4.jpg"]);
    assert.equal(hub.lfsPuts().length, putsBefore, "same bytes as example-1: the batch API answers without an upload action");
    assert.ok(hub.repos.get(`${USER}/tom-cruise-detector`)!.files.get("examples/example-4.jpg")?.lfs);

    await fs.rm(copy);
    const removed = await deploy();
    assert.deepEqual(removed.deleted, ["examples/example-4.jpg"]);
    assert.ok(!hub.repos.get(`${USER}/tom-cruise-detector`)!.files.has("examples/example-4.jpg"));
  });

  it("deploys to an organisation, as private, through HF_ENDPOINT, with a paginated file list", async () => {
    hub.treePageSize = 4;
    try {
      const result = await deploy({ repo: `${ORG}/private-detector`, private: true, hubUrl: undefined, env: { HF_ENDPOINT: `${hub.url}/` } });
      assert.equal(result.url, `${hub.url}/spaces/${ORG}/private-detector`);
      assert.equal(hub.repos.get(`${ORG}/private-detector`)?.private, true);
      const again = await deploy({ repo: `${ORG}/private-detector`, hubUrl: undefined, env: { HF_ENDPOINT: hub.url } });
      assert.equal(again.commit, undefined, "the paginated listing saw every file");
      assert.equal(again.unchanged.length, result.uploaded.length);
    } finally {
      hub.treePageSize = 1000;
    }
  });

  describe("failures", () => {
    it("401: a wrong token says how to set one", async () => {
      await assert.rejects(deploy({ accessToken: WRONG_TOKEN, repo: `${USER}/x` }), (error: unknown) =>
        error instanceof HubError && error.code === "hub-token-invalid" && error.statusCode === 401 && /HF_TOKEN/.test(error.hint ?? "") && error.hintParts?.some((part) => typeof part === "object" && "step" in part && part.step === "set-token") === true);
      assert.ok(!hub.repos.has(`${USER}/x`));
    });

    it("refuses a token that is not a hub token before sending it anywhere", async () => {
      const before = hub.requests.length;
      await assert.rejects(deploy({ accessToken: "ghp_not-a-hub-token" }), (error: unknown) => error instanceof HubError && error.code === "hub-token-invalid");
      assert.equal(hub.requests.length, before);
    });

    it("403: an owner the token cannot write to, a read-only token, and the hub's own refusal", async () => {
      await assert.rejects(deploy({ repo: "tom-cruise/detector" }), (error: unknown) =>
        error instanceof HubError && error.code === "hub-forbidden" && /cannot write to "tom-cruise"/.test(error.message) && error.hint!.includes(`${USER}/detector`));
      await assert.rejects(deploy({ accessToken: READ_TOKEN, repo: `${USER}/read-only` }), (error: unknown) => error instanceof HubError && error.code === "hub-forbidden" && /read-only/.test(error.message));
      hub.failures.push({ method: "POST", path: /^\/api\/repos\/create$/, status: 403, body: { error: "You don't have the rights to create a space under this namespace" } });
      await assert.rejects(deploy({ repo: `${ORG}/forbidden` }), (error: unknown) =>
        error instanceof HubError && error.code === "hub-forbidden" && error.statusCode === 403 && /write access/.test(error.message));
    });

    it("402: a Gradio Space without a paid plan suggests --sdk static; with one it deploys", async () => {
      const gradioDir = (await createSpace({ projectDir: project.projectDir, outDir: path.join(root, "gradio-space"), sdk: "gradio", git: false })).spaceDir;
      await assert.rejects(deploy({ spaceDir: gradioDir, sdk: "gradio", repo: `${USER}/gradio-detector` }), (error: unknown) =>
        error instanceof HubError && error.code === "hub-payment-required" && error.statusCode === 402 && /--sdk static/.test(error.hint ?? ""));
      hub.requirePlanForPaidSdks = false;
      try {
        const result = await deploy({ spaceDir: gradioDir, sdk: "gradio", repo: `${USER}/gradio-detector` });
        assert.equal(result.created, true);
        const repo = hub.repos.get(`${USER}/gradio-detector`)!;
        assert.equal(repo.sdk, "gradio");
        const { data } = parseFrontMatter(repo.files.get("README.md")!.content.toString("utf8"));
        assert.equal(data?.sdk, "gradio");
        assert.equal(data?.app_file, "app.py");
        assert.ok(repo.files.has("app.py") && repo.files.has("requirements.txt"));
        assert.ok(repo.files.get("model.onnx")?.lfs);
      } finally {
        hub.requirePlanForPaidSdks = true;
      }
    });

    it("refuses to deploy a folder of the other sdk", async () => {
      const before = hub.requests.length;
      await assert.rejects(deploy({ sdk: "gradio" }), (error: unknown) => error instanceof SpaceError && error.code === "space-sdk-mismatch" && /--sdk static/.test(error.hint ?? ""));
      assert.equal(hub.requests.length, before);
    });

    it("413 and a refused commit are explained; the commit is not retried", async () => {
      await fs.appendFile(path.join(staticDir, "style.css"), "\n/* another tweak */\n");
      hub.failures.push({ method: "POST", path: /\/commit\/main$/, status: 413, body: { error: "Payload too large" } });
      await assert.rejects(deploy(), (error: unknown) => error instanceof HubError && error.code === "hub-too-large" && error.statusCode === 413);
      const commits = () => hub.requests.filter((request) => request.path.endsWith("/commit/main")).length;
      const before = commits();
      hub.failures.push({ method: "POST", path: /\/commit\/main$/, status: 500, times: 5 });
      await assert.rejects(deploy(), (error: unknown) => error instanceof HubError && error.code === "hub-unavailable" && error.statusCode === 500);
      assert.equal(commits() - before, 1, "a commit that may have been applied is not sent twice");
      hub.failures.length = 0;
      hub.failures.push({ method: "POST", path: /\/commit\/main$/, status: 409, body: { error: "A commit has happened since. Please refresh and try again." } });
      await assert.rejects(deploy(), (error: unknown) => error instanceof HubError && error.code === "hub-conflict" && error.statusCode === 409 && /run deploy again/.test(error.hint ?? ""));
      hub.failures.length = 0;
    });

    it("stops when cancelled", async () => {
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(deploy({ repo: `${USER}/cancelled`, signal: controller.signal }), (error: unknown) => error instanceof CancelledError);
      assert.ok(!hub.repos.has(`${USER}/cancelled`));
    });

    it("retries what is safe to retry (503 on preupload, 429 on the LFS batch), then succeeds", async () => {
      hub.failures.push({ method: "POST", path: /\/preupload\/main$/, status: 503, times: 2 }, { method: "POST", path: /lfs\/objects\/batch$/, status: 429, times: 1 });
      // A changed picture (JPEG ignores trailing bytes), so the LFS batch API is needed too.
      await fs.appendFile(path.join(staticDir, "examples", "example-3.jpg"), Buffer.from([0]));
      const putsBefore = hub.lfsPuts().length;
      const logs: string[] = [];
      const result = await deploy({ onProgress: (event) => { logs.push(JSON.stringify(event)); transcript.push(JSON.stringify(event)); } });
      assert.ok(result.uploaded.includes("examples/example-3.jpg"), result.uploaded.join(", "));
      assert.equal(logs.filter((line) => /retry/.test(line)).length, 3, logs.join("\n"));
      assert.deepEqual(hub.failures, [], "every injected failure was met and retried");
      assert.equal(hub.lfsPuts().length, putsBefore + 1);
    });

    it("gives up after the retries with a 5xx message, and explains network failures", async () => {
      hub.failures.push({ method: "GET", path: /\/tree\/main$/, status: 502, times: 10 });
      await assert.rejects(deploy(), (error: unknown) => error instanceof HubError && error.code === "hub-unavailable" && error.statusCode === 502 && /status\.huggingface\.co/.test(error.hint ?? ""));
      assert.equal(hub.failures[0]?.times, 5, "1 try + 4 retries");
      hub.failures.length = 0;

      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
      const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      await assert.rejects(deploy({ hubUrl: deadUrl }), (error: unknown) => error instanceof HubError && error.code === "hub-network" && /ECONNREFUSED/.test(error.message) && /HTTPS_PROXY/.test(error.hint ?? ""));
    });

    it("a hub that accepts the connection and never answers: progress while waiting, then a timeout in words, within a bounded time", async () => {
      const silent = await startSilentServer();
      const logs: string[] = [];
      const started = Date.now();
      try {
        await assert.rejects(deploy({ hubUrl: silent.url, timeoutMs: 400, onProgress: (event) => { logs.push(JSON.stringify(event)); transcript.push(JSON.stringify(event)); } }), (error: unknown) => {
          assert.ok(error instanceof HubError, String(error));
          assert.equal(error.code, "hub-timeout");
          assert.match(error.message, /^The Hugging Face Hub at 127\.0\.0\.1:\d+ did not answer in 400 ms \(UND_ERR_|^The Hugging Face Hub at 127\.0\.0\.1:\d+ did not answer in 400 ms, 3 tries\.$/);
          assert.match(error.message, /3 tries/);
          assert.match(error.hint ?? "", /DEEPFAKE_STUDIO_HUB_TIMEOUT/);
          assert.match(error.hint ?? "", /run deploy again/);
          return true;
        });
      } finally {
        await silent.close();
      }
      const elapsed = Date.now() - started;
      // 3 tries of 400 ms and back-offs of 5 + 10 ms: well under the 5 minutes per try it used to take.
      assert.ok(elapsed < 4000, `gave up after ${elapsed} ms`);
      assert.equal(silent.requests(), 3, "tried three times, then stopped");
      assert.ok(logs.some((line) => /still waiting for 127\.0\.0\.1:\d+ to answer/.test(line)), logs.join("\n"));
      assert.equal(logs.filter((line) => /did not answer in 400 ms; retry/.test(line)).length, 2, logs.join("\n"));
    });

    it("a connection cut halfway through an answer is retried, then named in words; a cut commit is not sent twice", async () => {
      // Cut twice while listing the Space: retried, and the deploy goes through.
      await fs.appendFile(path.join(staticDir, "style.css"), "\n/* after a flaky link */\n");
      hub.failures.push({ method: "GET", path: /\/tree\/main$/, status: 200, cut: true, times: 2 });
      const logs: string[] = [];
      const result = await deploy({ onProgress: (event) => { logs.push(JSON.stringify(event)); transcript.push(JSON.stringify(event)); } });
      assert.deepEqual(result.uploaded, ["style.css"]);
      assert.equal(logs.filter((line) => /the connection to the hub was cut; retry/.test(line)).length, 2, logs.join("\n"));
      assert.equal(hub.failures.length, 0);

      // Cut every time: after the retries, words instead of "Error: terminated".
      hub.failures.push({ method: "GET", path: /^\/api\/whoami-v2$/, status: 200, cut: true, times: 10 });
      await assert.rejects(deploy(), (error: unknown) => {
        assert.ok(error instanceof HubError, String(error));
        assert.equal(error.code, "hub-network");
        assert.match(error.message, /^The connection to the Hugging Face Hub was cut before the answer was complete \(UND_ERR_SOCKET\), 5 tries\.$/);
        assert.match(error.hint ?? "", /try again/);
        return true;
      });
      assert.equal(hub.failures[0]?.times, 5, "1 try + 4 retries");
      hub.failures.length = 0;

      // The commit itself may have been applied when its answer is cut: it is not sent again.
      await fs.appendFile(path.join(staticDir, "style.css"), "\n/* once more */\n");
      const commits = () => hub.requests.filter((request) => request.path.endsWith("/commit/main")).length;
      const before = commits();
      hub.failures.push({ method: "POST", path: /\/commit\/main$/, status: 200, cut: true, times: 5 });
      await assert.rejects(deploy(), (error: unknown) => error instanceof HubError && /was cut/.test(error.message) && /may have been applied/.test(error.hint ?? ""));
      assert.equal(commits() - before, 1);
      hub.failures.length = 0;
      await deploy();
    });

    it("an untrusted certificate (a firm proxy's, say) is named as such at once, with NODE_EXTRA_CA_CERTS as the fix", async () => {
      const tls = await startSelfSignedServer();
      const started = Date.now();
      try {
        await assert.rejects(deploy({ hubUrl: tls.url }), (error: unknown) => {
          assert.ok(error instanceof HubError, String(error));
          assert.equal(error.code, "hub-network");
          assert.match(error.message, /^The secure connection to 127\.0\.0\.1:\d+ failed: its certificate is not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)\.$/);
          assert.match(error.hint ?? "", /NODE_EXTRA_CA_CERTS/);
          return true;
        });
      } finally {
        await tls.close();
      }
      assert.equal(tls.handshakes(), 0);
      assert.ok(Date.now() - started < 2000, "no retries: a certificate does not heal");
    });

    it("uploads slower than the timeout (an LFS file, a commit with a large text file) go through while their bytes flow", async function () {
      this.timeout(60_000);
      const BIG = 16 * 1024 * 1024;
      const bigDir = path.join(root, "big-space");
      await fs.cp(staticDir, bigDir, { recursive: true });
      await fs.writeFile(path.join(bigDir, "examples", "big.bin"), randomBytes(BIG));
      // Text, so it travels inside the commit request itself (base64 in the NDJSON body).
      const notes = "A long note about the detector.\n".repeat(250_000);
      await fs.writeFile(path.join(bigDir, "notes.txt"), notes);
      hub.uploadReadPauseMs = 8;
      const started = Date.now();
      try {
        const result = await deploy({ spaceDir: bigDir, repo: `${USER}/slow-uplink`, timeoutMs: 1000 });
        assert.ok(result.uploaded.includes("examples/big.bin") && result.uploaded.includes("notes.txt"), result.uploaded.join(", "));
      } finally {
        hub.uploadReadPauseMs = 0;
      }
      const elapsed = Date.now() - started;
      assert.ok(elapsed > 2000, `the upload took ${elapsed} ms, twice the timeout`);
      assert.equal(hub.spaceFiles(`${USER}/slow-uplink`).get("examples/big.bin")?.length, BIG);
      assert.equal(hub.spaceFiles(`${USER}/slow-uplink`).get("notes.txt")?.toString("utf8"), notes);
      assert.ok(!hub.repos.get(`${USER}/slow-uplink`)?.files.get("notes.txt")?.lfs, "a regular file, sent in the commit");
    });

    it("a proxy that wants a password, and a hub name that does not resolve, are told apart", async () => {
      const proxy = await startPasswordProxy();
      try {
        await assert.rejects(deploy({ env: { HTTP_PROXY: proxy.url } }), (error: unknown) => {
          assert.ok(error instanceof HubError, String(error));
          assert.equal(error.message, `The proxy ${proxy.url} wants a user name and password (HTTP 407).`);
          assert.match(error.hint ?? "", /HTTPS_PROXY=http:\/\/user:password@proxy:port/);
          return true;
        });
        assert.equal(proxy.requests(), 1, "a refusal that does not heal is not retried");
      } finally {
        await proxy.close();
      }
      await assert.rejects(deploy({ hubUrl: "http://nonexistent.invalid" }), (error: unknown) => {
        assert.ok(error instanceof HubError, String(error));
        assert.match(error.message, /^Could not look up nonexistent\.invalid: this computer seems to have no network connection, or no working DNS \((ENOTFOUND|EAI_AGAIN)\), 5 tries\.$/);
        assert.match(error.hint ?? "", /Check the internet connection/);
        return true;
      });
    });

    it("rejects a malformed Space name", async () => {
      await assert.rejects(deploy({ repo: "just-a-name" }), (error: unknown) => error instanceof HubError && /owner\/name/.test(error.message));
      await assert.rejects(deploy({ repo: "alice/bad--name" }), HubError);
    });
  });

  describe("token lookup", () => {
    it("reads HF_TOKEN first, then HF_TOKEN_PATH, HF_HOME/token, XDG_CACHE_HOME and ~/.cache/huggingface/token", async () => {
      const home = path.join(root, "home");
      await fs.mkdir(path.join(home, ".cache", "huggingface"), { recursive: true });
      await fs.writeFile(path.join(home, ".cache", "huggingface", "token"), "hf_fromcache\n");
      const hfHome = path.join(root, "hf-home");
      await fs.mkdir(hfHome, { recursive: true });
      await fs.writeFile(path.join(hfHome, "token"), "  hf_fromhfhome  \n");
      const tokenPath = path.join(root, "token-file");
      await fs.writeFile(tokenPath, "hf_fromtokenpath");
      const xdg = path.join(root, "xdg");
      await fs.mkdir(path.join(xdg, "huggingface"), { recursive: true });
      await fs.writeFile(path.join(xdg, "huggingface", "token"), "hf_fromxdg");

      assert.deepEqual(await findHfToken({ env: { HF_TOKEN: "hf_fromenv", HF_HOME: hfHome }, homeDir: home }), { token: "hf_fromenv", source: "HF_TOKEN" });
      assert.deepEqual(await findHfToken({ env: { HF_TOKEN_PATH: tokenPath, HF_HOME: hfHome }, homeDir: home }), { token: "hf_fromtokenpath", source: tokenPath });
      assert.deepEqual(await findHfToken({ env: { HF_HOME: hfHome }, homeDir: home }), { token: "hf_fromhfhome", source: path.join(hfHome, "token") });
      assert.deepEqual(await findHfToken({ env: { XDG_CACHE_HOME: xdg }, homeDir: home }), { token: "hf_fromxdg", source: path.join(xdg, "huggingface", "token") });
      assert.deepEqual(await findHfToken({ env: {}, homeDir: home }), { token: "hf_fromcache", source: path.join(home, ".cache", "huggingface", "token") });
      assert.equal(await findHfToken({ env: { HF_TOKEN: "  " }, homeDir: path.join(root, "nobody") }), undefined);
    });
  });

  describe("command line", () => {
    /** Runs the real command line (out/src/cli/main.js) with its own environment. */
    function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
      const main = path.resolve(__dirname, "..", "src", "cli", "main.js");
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [main, ...args], { env, cwd: root });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
      });
    }

    it("deploy writes the Space folder when missing, uploads it and prints the Space URL last", async () => {
      const out = path.join(root, "cli-space");
      const env = { PATH: process.env.PATH, HOME: path.join(root, "cli-home"), HF_TOKEN: TOKEN, HF_ENDPOINT: hub.url };
      const first = await runCli(["--project", project.projectDir, "deploy", "--space", `${USER}/cli-detector`, "--out", out], env);
      transcript.push(first.stdout, first.stderr);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout.trim().split("\n").at(-1), `${hub.url}/spaces/${USER}/cli-detector`);
      assert.match(first.stderr, /Using the Hugging Face token from HF_TOKEN/);
      assert.match(first.stdout, /model\.onnx/, "the scaffold's file table");

      const second = await runCli(["--project", project.projectDir, "deploy", "--space", `${USER}/cli-detector`, "--out", out], env);
      transcript.push(second.stdout, second.stderr);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /nothing changed since the last deploy/);

      const noToken = await runCli(["--project", project.projectDir, "deploy", "--space", `${USER}/cli-detector`, "--out", out], { PATH: process.env.PATH, HOME: path.join(root, "cli-home"), HF_ENDPOINT: hub.url });
      assert.equal(noToken.code, 1);
      assert.match(noToken.stderr, /No Hugging Face token was found/);

      const wrong = await runCli(["--project", project.projectDir, "deploy", "--space", `${USER}/cli-detector`, "--out", out], { ...env, HF_TOKEN: WRONG_TOKEN });
      transcript.push(wrong.stdout, wrong.stderr);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /rejected the token/);
      assert.ok(!wrong.stderr.includes(WRONG_TOKEN), "not even a wrong token is printed");

      const space = await runCli(["--project", project.projectDir, "space", "--sdk", "gradio", "--out", path.join(root, "cli-gradio"), "--no-git"], env);
      assert.equal(space.code, 0, space.stderr);
      assert.match(space.stdout, /app\.py/);
      assert.match(space.stdout, /deploy --space <owner>\/<name> --sdk gradio/);

      // The lesson's Gradio app needs a plan: the 402 says to use --sdk static, which rewrites the folder and deploys.
      const paid = await runCli(["--project", project.projectDir, "deploy", "--space", `${USER}/cli-gradio`, "--out", path.join(root, "cli-gradio")], env);
      transcript.push(paid.stdout, paid.stderr);
      assert.equal(paid.code, 1);
      assert.match(paid.stderr, /paid plan/);
      assert.match(paid.stderr, /--sdk static/);
      const switched = await runCli(["--project", project.projectDir, "deploy", "--space", `${USER}/cli-gradio`, "--sdk", "static", "--out", path.join(root, "cli-gradio")], env);
      transcript.push(switched.stdout, switched.stderr);
      assert.equal(switched.code, 0, switched.stderr);
      assert.match(switched.stderr, /rewriting it as a static Space/);
      assert.equal(hub.repos.get(`${USER}/cli-gradio`)?.sdk, "static");
      assert.ok(!hub.repos.get(`${USER}/cli-gradio`)?.files.has("app.py"));
    });

    it("deploy to a hub that never answers says so within DEEPFAKE_STUDIO_HUB_TIMEOUT × 3 tries, with progress, no stack trace", async () => {
      const silent = await startSilentServer();
      const started = Date.now();
      try {
        const env = { PATH: process.env.PATH, HOME: path.join(root, "cli-home"), HF_TOKEN: TOKEN, HF_ENDPOINT: silent.url, DEEPFAKE_STUDIO_HUB_TIMEOUT: "0.5" };
        const result = await runCli(["--project", project.projectDir, "deploy", "--space", `${USER}/cli-detector`, "--out", path.join(root, "cli-space")], env);
        transcript.push(result.stdout, result.stderr);
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr, /Checking the token with http:\/\/127\.0\.0\.1:\d+…\n {2}still waiting for 127\.0\.0\.1:\d+ to answer \(\d+ ms\)…/);
        assert.match(result.stderr, /the hub did not answer in 500 ms; retry 1 in 1 s/);
        assert.match(result.stderr, /Error: The Hugging Face Hub at 127\.0\.0\.1:\d+ did not answer in 500 ms, 3 tries\.\n {2}It may be overloaded/);
        assert.doesNotMatch(result.stderr, /\n\s+at |terminated/);
      } finally {
        await silent.close();
      }
      // Three tries of 0.5 s and back-offs of 1 + 2 s.
      assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
    });
  });

  // Last: mocha runs a suite's own tests before its nested suites, so this check lives in the last nested one.
  describe("token hygiene", () => {
    it("never prints, logs, sends in a file or stores the token", async () => {
      assert.ok(transcript.length > 10);
      for (const line of transcript) assert.ok(!line.includes(TOKEN), `token in output: ${line.slice(0, 200)}`);
      for (const dir of [staticDir, path.join(root, "gradio-space"), path.join(root, "cli-space"), path.join(root, "cli-gradio")]) {
        const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
        for (const entry of entries.filter((e) => e.isFile())) {
          const bytes = await fs.readFile(path.join(entry.parentPath, entry.name));
          assert.ok(!bytes.includes(TOKEN), `token in ${path.join(entry.parentPath, entry.name)}`);
        }
      }
      for (const repo of hub.repos.values()) {
        for (const [file, stored] of repo.files) assert.ok(!stored.content.includes(TOKEN), `token in ${repo.name}/${file}`);
      }
      for (const object of hub.lfsObjects.values()) assert.ok(!object.includes(TOKEN));
      for (const body of hub.commitBodies) assert.ok(!body.includes(TOKEN));
    });
  });
});
